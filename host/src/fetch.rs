//! The one outbound HTTP client, shared by plugins and downloads.
//!
//! Every request is checked before it leaves: scheme, the caller's egress policy, the
//! resolved addresses (no loopback, private or link-local unless the config allows the
//! host), and again at every redirect hop, which is followed by hand. Responses are
//! capped in size and time; each caller has its own cookie jar.

mod address;
mod allowlist;
mod cookies;
mod headers;
mod resolver;
mod trust;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::Method;
use url::Url;

pub(crate) use allowlist::EgressPolicy;
pub(crate) use cookies::CookieJar;
use resolver::{AddressRules, CheckedResolver, DeniedAddress, ResolveError};

use crate::config::FetchConfig;

/// A request as a caller (a plugin) asks for it.
#[derive(Debug, Clone)]
pub(crate) struct FetchRequest {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
    /// A shorter timeout than the configured one.
    pub(crate) timeout: Option<Duration>,
    pub(crate) follow_redirects: bool,
}

impl FetchRequest {
    /// A plain GET that follows redirects.
    pub(crate) fn get(url: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout: None,
            follow_redirects: true,
        }
    }
}

/// TLS settings for another client of this process (the CLI's client of the API): the
/// outbound client's versions, and the system's roots read at the first certificate.
pub(crate) fn tls_settings() -> Result<rustls::ClientConfig, String> {
    trust::client_config(Arc::new(trust::SystemRoots::new(Vec::new())))
}

/// A complete answer (any status).
#[derive(Debug, Clone)]
pub(crate) struct FetchResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) final_url: String,
}

/// Why a fetch did not produce an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("denied: {0}")]
    Denied(String),
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    #[error("timed out")]
    Timeout,
    #[error("response larger than {0} bytes")]
    TooLarge(u64),
    #[error("too many redirects")]
    TooManyRedirects,
    #[error("request budget of this call exhausted")]
    BudgetExhausted,
    #[error("network error: {0}")]
    Network(String),
}

/// Who is fetching: the rules and state that differ per caller.
pub(crate) struct FetchScope<'a> {
    /// Name for logs (the plugin's name).
    pub(crate) caller: &'a str,
    pub(crate) policy: &'a EgressPolicy,
    pub(crate) cookies: &'a CookieJar,
    /// The caller's own deadline (a plugin call's); requests never outlive it.
    pub(crate) deadline: Option<Instant>,
}

/// The shared client.
#[derive(Clone)]
pub struct FetchClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    rules: Arc<AddressRules>,
    config: FetchConfig,
    /// The verifier's roots, to tell whether they were read.
    #[cfg(test)]
    roots: Arc<trust::SystemRoots>,
}

impl FetchClient {
    /// Builds the client from config: proxy, timeouts, the checked resolver.
    pub fn new(config: &FetchConfig) -> Result<Self, FetchError> {
        Self::build(config, Vec::new())
    }

    /// Like [`Self::new`], trusting `extra` roots beside the system's (a test's own CA).
    #[cfg(test)]
    pub(crate) fn trusting(
        config: &FetchConfig,
        extra: Vec<rustls::pki_types::CertificateDer<'static>>,
    ) -> Result<Self, FetchError> {
        Self::build(config, extra)
    }

    fn build(
        config: &FetchConfig,
        extra: Vec<rustls::pki_types::CertificateDer<'static>>,
    ) -> Result<Self, FetchError> {
        let mut allow_private = config.allow_private_hosts.clone();
        if let Some(proxy) = &config.proxy {
            // The operator's proxy may live on a private address.
            allow_private.extend(crate::config::PrivateHost::for_url(proxy));
        }
        let rules = Arc::new(AddressRules::new(allow_private, config.resolve.clone()));
        let roots = Arc::new(trust::SystemRoots::new(extra));
        let tls = trust::client_config(roots.clone()).map_err(FetchError::Network)?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .dns_resolver(Arc::new(CheckedResolver::new(rules.clone())))
            .no_proxy();
        if let Some(proxy) = &config.proxy {
            let proxy = reqwest::Proxy::all(proxy.as_str())
                .map_err(|error| FetchError::InvalidUrl(format!("proxy: {error}")))?;
            builder = builder.proxy(proxy);
        }
        let client = builder
            .build()
            .map_err(|error| FetchError::Network(format!("cannot build HTTP client: {error}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                rules,
                config: config.clone(),
                #[cfg(test)]
                roots,
            }),
        })
    }

    /// Whether the system's trust roots have been read: not before the first HTTPS
    /// answer's certificate.
    #[cfg(test)]
    pub(crate) fn trust_roots_loaded(&self) -> bool {
        self.inner.roots.loaded()
    }

    /// The config this client was built from.
    pub(crate) fn config(&self) -> &FetchConfig {
        &self.inner.config
    }

    /// Sends a request, following redirects by hand with a check at every hop.
    pub(crate) async fn fetch(
        &self,
        scope: &FetchScope<'_>,
        request: FetchRequest,
    ) -> Result<FetchResponse, FetchError> {
        let budget = self.budget(scope, &request);
        // Metrics only: a request's host, parsed again, is not worth it when off.
        let host = crate::telemetry::enabled().then(|| host_of(&request.url));
        let result = tokio::time::timeout(budget, async {
            let (response, final_url) = self.send_following(scope, request).await?;
            self.read_response(response, final_url).await
        })
        .await
        .unwrap_or(Err(FetchError::Timeout));
        log_denial(scope, &result);
        if let Some(host) = host {
            count_fetch(host, result.as_ref().map(|response| response.status));
        }
        result
    }

    /// Like [`Self::fetch`] (the same URL, redirect and address checks), but hands back
    /// the body as a stream of chunks, without the size cap: downloads write segments to
    /// disk as they arrive. The configured timeout covers reaching the final answer's
    /// headers only; the caller bounds the body (an idle timeout per chunk).
    pub(crate) async fn fetch_streaming(
        &self,
        scope: &FetchScope<'_>,
        request: FetchRequest,
    ) -> Result<StreamingResponse, FetchError> {
        let budget = self.budget(scope, &request);
        // Metrics only: a request's host, parsed again, is not worth it when off.
        let host = crate::telemetry::enabled().then(|| host_of(&request.url));
        let result = tokio::time::timeout(budget, self.send_following(scope, request))
            .await
            .unwrap_or(Err(FetchError::Timeout))
            .map(|(response, final_url)| StreamingResponse::new(response, final_url));
        log_denial(scope, &result);
        if let Some(host) = host {
            count_fetch(host, result.as_ref().map(|response| response.status));
        }
        result
    }

    /// The time one request may take: the config's, shortened by the request and by the
    /// caller's deadline.
    fn budget(&self, scope: &FetchScope<'_>, request: &FetchRequest) -> Duration {
        let mut budget = self.inner.config.timeout;
        if let Some(requested) = request.timeout {
            budget = budget.min(requested);
        }
        if let Some(deadline) = scope.deadline {
            budget = budget.min(deadline.saturating_duration_since(Instant::now()));
        }
        budget
    }

    /// Sends the request and follows redirects, checking every hop; returns the first
    /// answer that is not a followed redirect, with its URL.
    async fn send_following(
        &self,
        scope: &FetchScope<'_>,
        request: FetchRequest,
    ) -> Result<(reqwest::Response, Url), FetchError> {
        let mut url = Url::parse(&request.url)
            .map_err(|error| FetchError::InvalidUrl(format!("{}: {error}", request.url)))?;
        let mut method = request.method;
        let mut body = request.body;
        let mut extra = headers::sanitize(&request.headers);
        let first_origin = url.origin();
        for _hop in 0..=self.inner.config.max_redirects {
            self.check_url(scope, &url).await?;
            let response = self
                .send_once(scope, &method, &url, &extra, body.clone())
                .await?;
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            match location {
                Some(location) if status.is_redirection() && request.follow_redirects => {
                    url = url.join(&location).map_err(|error| {
                        FetchError::InvalidUrl(format!("redirect to {location}: {error}"))
                    })?;
                    if status.as_u16() == 303
                        || (matches!(status.as_u16(), 301 | 302) && method == Method::POST)
                    {
                        method = Method::GET;
                        body = None;
                    }
                    if url.origin() != first_origin {
                        headers::drop_credentials(&mut extra);
                    }
                }
                _ => return Ok((response, url)),
            }
        }
        Err(FetchError::TooManyRedirects)
    }

    /// Scheme, policy and address checks for one hop.
    async fn check_url(&self, scope: &FetchScope<'_>, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Denied(format!(
                "scheme `{}` is not allowed ({url})",
                url.scheme()
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::Denied(format!(
                "credentials in URL are not allowed ({})",
                redact(url)
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| FetchError::InvalidUrl(format!("{url} has no host")))?;
        scope
            .policy
            .check(url)
            .map_err(|denial| FetchError::Denied(format!("{denial}: {}", origin_text(url))))?;
        self.inner
            .rules
            .resolve_checked(host, url.port_or_known_default())
            .await
            .map_err(|error| match error {
                ResolveError::Denied(denied) => FetchError::Denied(denied.to_string()),
                ResolveError::Lookup(message) => FetchError::Network(message),
            })?;
        Ok(())
    }

    async fn send_once(
        &self,
        scope: &FetchScope<'_>,
        method: &Method,
        url: &Url,
        extra: &reqwest::header::HeaderMap,
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response, FetchError> {
        let mut header_map = headers::defaults(&self.inner.config);
        for (name, value) in extra {
            header_map.insert(name.clone(), value.clone());
        }
        if let Some(cookie) = scope.cookies.header_for(url) {
            header_map.insert(reqwest::header::COOKIE, cookie);
        }
        let mut builder = self
            .inner
            .client
            .request(method.clone(), url.clone())
            .headers(header_map);
        if let Some(body) = body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(classify)?;
        scope.cookies.store_from(url, response.headers());
        Ok(response)
    }

    async fn read_response(
        &self,
        mut response: reqwest::Response,
        final_url: Url,
    ) -> Result<FetchResponse, FetchError> {
        let cap = self.inner.config.max_response_bytes;
        if response.content_length().is_some_and(|length| length > cap) {
            return Err(FetchError::TooLarge(cap));
        }
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if (body.len() + chunk.len()) as u64 > cap {
                return Err(FetchError::TooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchResponse {
            status,
            headers,
            body: body.freeze(),
            final_url: final_url.to_string(),
        })
    }
}

/// An answer whose body is read chunk by chunk ([`FetchClient::fetch_streaming`]).
pub(crate) struct StreamingResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    /// The URL that answered, after redirects.
    pub(crate) final_url: String,
    response: reqwest::Response,
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .field("final_url", &self.final_url)
            .finish_non_exhaustive()
    }
}

impl StreamingResponse {
    fn new(response: reqwest::Response, final_url: Url) -> Self {
        Self {
            status: response.status().as_u16(),
            headers: header_pairs(response.headers()),
            final_url: final_url.to_string(),
            response,
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body length the server announced (`Content-Length`), if any.
    pub(crate) fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next chunk of the body; `None` at its end.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, FetchError> {
        self.response.chunk().await.map_err(classify)
    }
}

fn header_pairs(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

fn log_denial<T>(scope: &FetchScope<'_>, result: &Result<T, FetchError>) {
    if let Err(FetchError::Denied(reason)) = result {
        tracing::warn!(caller = scope.caller, %reason, "fetch denied");
    }
}

/// Maps a reqwest error, finding the resolver's denial in the source chain.
fn classify(error: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = source {
        if let Some(denied) = current.downcast_ref::<DeniedAddress>() {
            return FetchError::Denied(denied.to_string());
        }
        source = current.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout;
    }
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(current) = source {
        message.push_str(": ");
        message.push_str(&current.to_string());
        source = current.source();
    }
    FetchError::Network(message)
}

fn origin_text(url: &Url) -> String {
    url.origin().ascii_serialization()
}

fn redact(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}
/// The host a request asks, for metrics (`-` when the URL has none).
fn host_of(url: &str) -> String {
    Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "-".to_owned())
}

/// One request in the metrics: by host, and by the answer's status class or why none
/// came.
fn count_fetch(host: String, status: Result<u16, &FetchError>) {
    let outcome = match status {
        Ok(status) => match status / 100 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        },
        Err(FetchError::Denied(_)) => "denied",
        Err(FetchError::InvalidUrl(_)) => "invalid_url",
        Err(FetchError::Timeout) => "timeout",
        Err(FetchError::TooLarge(_)) => "too_large",
        Err(FetchError::TooManyRedirects) => "too_many_redirects",
        Err(FetchError::BudgetExhausted) => "budget_exhausted",
        Err(FetchError::Network(_)) => "network",
    };
    metrics::counter!(crate::telemetry::FETCHES, "host" => host, "outcome" => outcome).increment(1);
}
