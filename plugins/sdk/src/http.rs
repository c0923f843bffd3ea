//! Outbound HTTP through the host's `fetch`, with helpers that map answers to plugin errors.
//!
//! ```text
//! let page = http::get(&url, &[("Accept", "text/html")])?.error_for_status()?.text();
//! ```
//!
//! On `wasm32` every request goes to the host import; on the native target it is served by
//! the active [`testing`](crate::testing) session (a cassette, or the real network when
//! recording).

use serde::de::DeserializeOwned;

use crate::Error;
use crate::wit::kura::plugin::http as wit_http;

pub use wit_http::{FetchError, Method, Request, Response};

/// Sends one request as is. Non-2xx statuses are answers, not errors.
pub fn fetch(request: &Request) -> Result<Response, FetchError> {
    #[cfg(target_arch = "wasm32")]
    {
        wit_http::fetch(request)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::testing::host::fetch(request)
    }
}

/// `GET url` with extra headers; a failed fetch becomes an [`Error`] (see
/// [`From<FetchError>`](#impl-From<FetchError>-for-Error)). Non-2xx answers are returned:
/// chain [`Response::error_for_status`].
pub fn get(url: &str, headers: &[(&str, &str)]) -> Result<Response, Error> {
    let mut request = Request::get(url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    Ok(fetch(&request)?)
}

impl Request {
    /// A request with no headers, no body and the host's defaults.
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout_ms: None,
            follow_redirects: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Request {
        Request::new(Method::Get, url)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = Some(body.into());
        self
    }

    /// Asks for a shorter timeout than the host's.
    pub fn timeout_ms(mut self, timeout_ms: u32) -> Request {
        self.timeout_ms = Some(timeout_ms);
        self
    }

    /// Follows redirects (the host's default) or returns the 3xx answer.
    pub fn follow_redirects(mut self, follow: bool) -> Request {
        self.follow_redirects = Some(follow);
        self
    }
}

impl Method {
    /// The method as written on the wire: `GET`, `POST`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
        }
    }

    /// Parses a method name, case-insensitively.
    pub fn parse(name: &str) -> Option<Method> {
        let method = match name.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "PATCH" => Method::Patch,
            _ => return None,
        };
        Some(method)
    }
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as UTF-8 text; invalid sequences become U+FFFD.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; a `parse` error when it is not the expected shape.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|error| Error::parse(format!("invalid JSON from {}: {error}", self.final_url)))
    }

    /// Turns an error status into the matching plugin error: 401/403/429 → `blocked`,
    /// 404/410 → `not-found`, 5xx → `network`, any other non-2xx → `other`.
    pub fn error_for_status(self) -> Result<Response, Error> {
        let detail = format!("HTTP {} from {}", self.status, self.final_url);
        match self.status {
            200..=299 => Ok(self),
            401 | 403 | 429 => Err(Error::blocked(detail)),
            404 | 410 => Err(Error::not_found(detail)),
            500..=599 => Err(Error::network(detail)),
            _ => Err(Error::other(detail)),
        }
    }
}

impl FetchError {
    /// The WIT case name: `denied`, `invalid-url`, `timeout`, `too-large`,
    /// `too-many-redirects`, `budget-exhausted` or `network`.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Denied(_) => "denied",
            FetchError::InvalidUrl(_) => "invalid-url",
            FetchError::Timeout => "timeout",
            FetchError::TooLarge(_) => "too-large",
            FetchError::TooManyRedirects => "too-many-redirects",
            FetchError::BudgetExhausted => "budget-exhausted",
            FetchError::Network(_) => "network",
        }
    }

    /// `kind: detail` (or just `kind` when the case carries none), for logs and errors.
    pub fn message(&self) -> String {
        match self {
            FetchError::Denied(detail)
            | FetchError::InvalidUrl(detail)
            | FetchError::Network(detail) => format!("{}: {detail}", self.kind()),
            FetchError::TooLarge(cap) => format!("{}: {cap}", self.kind()),
            FetchError::Timeout | FetchError::TooManyRedirects | FetchError::BudgetExhausted => {
                self.kind().to_string()
            }
        }
    }
}

/// Every failed fetch is a transport failure from the plugin's point of view: `network`, with
/// the fetch error's kind and detail (`denied: host not allowed`, `timeout`, ...).
impl From<FetchError> for Error {
    fn from(error: FetchError) -> Error {
        Error::network(error.message())
    }
}
