//! `kura:plugin@0.1.0` plugins keep working unchanged: their imports are served by the
//! current (0.2) implementations through conversions between the two versions' generated
//! types, which are the same shapes under different names.

use super::bindings::{v0_1, v0_2};
use super::state::PluginState;

impl v0_1::types::Host for PluginState {}

impl v0_1::http::Host for PluginState {
    async fn fetch(
        &mut self,
        request: v0_1::http::Request,
    ) -> wasmtime::Result<Result<v0_1::http::Response, v0_1::http::FetchError>> {
        let request = v0_2::http::Request {
            method: method(request.method),
            url: request.url,
            headers: request.headers,
            body: request.body,
            timeout_ms: request.timeout_ms,
            follow_redirects: request.follow_redirects,
        };
        let answer = <Self as v0_2::http::Host>::fetch(self, request).await?;
        Ok(answer.map(response).map_err(fetch_error))
    }
}

fn method(method: v0_1::http::Method) -> v0_2::http::Method {
    use v0_1::http::Method as Old;
    use v0_2::http::Method as New;
    match method {
        Old::Get => New::Get,
        Old::Head => New::Head,
        Old::Post => New::Post,
        Old::Put => New::Put,
        Old::Delete => New::Delete,
        Old::Options => New::Options,
        Old::Patch => New::Patch,
    }
}

fn response(response: v0_2::http::Response) -> v0_1::http::Response {
    v0_1::http::Response {
        status: response.status,
        headers: response.headers,
        body: response.body,
        final_url: response.final_url,
    }
}

fn fetch_error(error: v0_2::http::FetchError) -> v0_1::http::FetchError {
    use v0_1::http::FetchError as Old;
    use v0_2::http::FetchError as New;
    match error {
        New::Denied(reason) => Old::Denied(reason),
        New::InvalidUrl(reason) => Old::InvalidUrl(reason),
        New::Timeout => Old::Timeout,
        New::TooLarge(cap) => Old::TooLarge(cap),
        New::TooManyRedirects => Old::TooManyRedirects,
        New::BudgetExhausted => Old::BudgetExhausted,
        New::Network(reason) => Old::Network(reason),
    }
}

impl v0_1::log::Host for PluginState {
    async fn log(&mut self, level: v0_1::log::Level, message: String) -> wasmtime::Result<()> {
        use v0_1::log::Level as Old;
        use v0_2::log::Level as New;
        let level = match level {
            Old::Trace => New::Trace,
            Old::Debug => New::Debug,
            Old::Info => New::Info,
            Old::Warn => New::Warn,
            Old::Error => New::Error,
        };
        <Self as v0_2::log::Host>::log(self, level, message).await
    }
}

impl v0_1::settings::Host for PluginState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        <Self as v0_2::settings::Host>::get(self, key).await
    }

    async fn all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        <Self as v0_2::settings::Host>::all(self).await
    }
}

impl v0_1::cookies::Host for PluginState {
    async fn get(&mut self, url: String) -> wasmtime::Result<Vec<(String, String)>> {
        <Self as v0_2::cookies::Host>::get(self, url).await
    }

    async fn set(&mut self, cookie: v0_1::cookies::Cookie) -> wasmtime::Result<bool> {
        let cookie = v0_2::cookies::Cookie {
            name: cookie.name,
            value: cookie.value,
            url: cookie.url,
        };
        <Self as v0_2::cookies::Host>::set(self, cookie).await
    }
}
