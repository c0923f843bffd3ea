//! The per-call store state and the host imports a plugin may call: `http.fetch`,
//! `log`, `settings` and `cookies`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{cookies, http, log, settings, types};
use super::output::BoundedOutput;
use crate::fetch::{CookieJar, EgressPolicy, FetchClient, FetchError, FetchRequest, FetchScope};

/// Where a call's fetches go: the network, or a probe's recorded exchanges.
#[derive(Clone)]
pub(crate) enum Fetcher {
    Live(FetchClient),
    Replay(Arc<super::probes::Replay>),
}

/// What one call may use and reach.
pub(crate) struct CallContext {
    pub(crate) plugin: Arc<str>,
    /// None: no network at all (cleaners).
    pub(crate) fetch: Option<Fetcher>,
    pub(crate) policy: Arc<EgressPolicy>,
    pub(crate) cookies: CookieJar,
    pub(crate) settings: Arc<BTreeMap<String, String>>,
    pub(crate) deadline: Instant,
    pub(crate) max_requests: u32,
    /// The running task's queue and library (task plugins only).
    pub(crate) task: Option<Arc<dyn super::task_link::TaskLink>>,
}

/// The store's data for one call.
pub(crate) struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    ctx: CallContext,
    requests: u32,
    log: BoundedOutput,
}

impl PluginState {
    /// The running task's link, when this call runs one.
    pub(crate) fn task(&self) -> Option<&Arc<dyn super::task_link::TaskLink>> {
        self.ctx.task.as_ref()
    }

    /// A fresh state: WASI without filesystem, environment, arguments or sockets;
    /// stdout and stderr go to a bounded buffer that ends up in the log.
    pub(crate) fn new(ctx: CallContext, memory_bytes: usize, log: BoundedOutput) -> Self {
        let wasi = WasiCtx::builder()
            .stdout(log.clone())
            .stderr(log.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter::new(memory_bytes),
            ctx,
            requests: 0,
            log,
        }
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Memory, table and instance caps that remember whether the memory cap was hit, so a
/// failed allocation is reported as a limit rather than as a plugin bug.
pub(crate) struct Limiter {
    limits: StoreLimits,
    pub(crate) memory_cap_hit: bool,
}

impl Limiter {
    fn new(memory_bytes: usize) -> Self {
        let limits = wasmtime::StoreLimitsBuilder::new()
            .memory_size(memory_bytes)
            .memories(4)
            .tables(16)
            .instances(64)
            .table_elements(100_000)
            .trap_on_grow_failure(true)
            .build();
        Self {
            limits,
            memory_cap_hit: false,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let answer = self.limits.memory_growing(current, desired, maximum);
        if !matches!(answer, Ok(true)) {
            self.memory_cap_hit = true;
        }
        answer
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

impl types::Host for PluginState {}

impl http::Host for PluginState {
    async fn fetch(
        &mut self,
        request: http::Request,
    ) -> wasmtime::Result<Result<http::Response, http::FetchError>> {
        let Some(client) = self.ctx.fetch.clone() else {
            return Ok(Err(http::FetchError::Denied(
                "this plugin kind has no network access".to_owned(),
            )));
        };
        self.requests += 1;
        if self.requests > self.ctx.max_requests {
            tracing::warn!(plugin = %self.ctx.plugin, limit = self.ctx.max_requests, "fetch budget exhausted");
            return Ok(Err(http::FetchError::BudgetExhausted));
        }
        let request = FetchRequest {
            method: method(request.method),
            url: request.url,
            headers: request.headers,
            body: request.body,
            timeout: request
                .timeout_ms
                .map(|ms| Duration::from_millis(ms.into())),
            follow_redirects: request.follow_redirects.unwrap_or(true),
        };
        tracing::debug!(plugin = %self.ctx.plugin, method = %request.method, url = %request.url, "plugin fetch");
        let client = match client {
            Fetcher::Live(client) => client,
            Fetcher::Replay(replay) => return Ok(self.replay(&replay, &request)),
        };
        let scope = FetchScope {
            caller: &self.ctx.plugin,
            policy: &self.ctx.policy,
            cookies: &self.ctx.cookies,
            deadline: Some(self.ctx.deadline),
        };
        Ok(match client.fetch(&scope, request).await {
            Ok(response) => Ok(http::Response {
                status: response.status,
                headers: response.headers,
                body: response.body.to_vec(),
                final_url: response.final_url,
            }),
            Err(error) => Err(wit_fetch_error(error)),
        })
    }
}

impl PluginState {
    /// A probe's fetch: the recorded exchange for this method and URL, under the same
    /// egress policy as a live one; a request the cassette lacks is denied.
    fn replay(
        &self,
        replay: &super::probes::Replay,
        request: &FetchRequest,
    ) -> Result<http::Response, http::FetchError> {
        let url = url::Url::parse(&request.url)
            .map_err(|error| http::FetchError::InvalidUrl(error.to_string()))?;
        self.ctx
            .policy
            .check(&url)
            .map_err(|denial| http::FetchError::Denied(denial.to_string()))?;
        let exchange = replay
            .take(request.method.as_str(), &request.url)
            .ok_or_else(|| {
                http::FetchError::Denied(format!(
                    "not in the probe's cassette: {} {}",
                    request.method, request.url
                ))
            })?;
        match (exchange.response, exchange.error) {
            (Some(response), _) => Ok(http::Response {
                status: response.status,
                body: response.body_bytes().map_err(http::FetchError::Network)?,
                headers: response.headers,
                final_url: response.final_url,
            }),
            (None, Some(error)) => Err(match error.kind.as_str() {
                "denied" => http::FetchError::Denied(error.detail),
                "invalid-url" => http::FetchError::InvalidUrl(error.detail),
                "timeout" => http::FetchError::Timeout,
                "too-large" => http::FetchError::TooLarge(error.detail.parse().unwrap_or(0)),
                "too-many-redirects" => http::FetchError::TooManyRedirects,
                "budget-exhausted" => http::FetchError::BudgetExhausted,
                _ => http::FetchError::Network(error.detail),
            }),
            (None, None) => Err(http::FetchError::Network(
                "cassette entry has neither response nor error".to_owned(),
            )),
        }
    }
}

fn wit_fetch_error(error: FetchError) -> http::FetchError {
    match error {
        FetchError::Denied(reason) => http::FetchError::Denied(reason),
        FetchError::InvalidUrl(reason) => http::FetchError::InvalidUrl(reason),
        FetchError::Timeout => http::FetchError::Timeout,
        FetchError::TooLarge(cap) => http::FetchError::TooLarge(cap),
        FetchError::TooManyRedirects => http::FetchError::TooManyRedirects,
        FetchError::BudgetExhausted => http::FetchError::BudgetExhausted,
        FetchError::Network(reason) => http::FetchError::Network(reason),
    }
}

fn method(method: http::Method) -> reqwest::Method {
    match method {
        http::Method::Get => reqwest::Method::GET,
        http::Method::Head => reqwest::Method::HEAD,
        http::Method::Post => reqwest::Method::POST,
        http::Method::Put => reqwest::Method::PUT,
        http::Method::Delete => reqwest::Method::DELETE,
        http::Method::Options => reqwest::Method::OPTIONS,
        http::Method::Patch => reqwest::Method::PATCH,
    }
}

impl log::Host for PluginState {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let Some(message) = self.log.admit(&message) else {
            return Ok(());
        };
        let plugin = &*self.ctx.plugin;
        match level {
            log::Level::Trace => tracing::trace!(plugin, "{message}"),
            log::Level::Debug => tracing::debug!(plugin, "{message}"),
            log::Level::Info => tracing::info!(plugin, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, "{message}"),
            log::Level::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }
}

impl settings::Host for PluginState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.ctx.settings.get(&key).cloned())
    }

    async fn all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self
            .ctx
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

impl cookies::Host for PluginState {
    async fn get(&mut self, url: String) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(match url::Url::parse(&url) {
            Ok(url) => self.ctx.cookies.pairs_for(&url),
            Err(_) => Vec::new(),
        })
    }

    async fn set(&mut self, cookie: cookies::Cookie) -> wasmtime::Result<bool> {
        Ok(match url::Url::parse(&cookie.url) {
            Ok(url) => self.ctx.cookies.set(&cookie.name, &cookie.value, &url),
            Err(_) => false,
        })
    }
}
