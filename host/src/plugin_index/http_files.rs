//! An index read over HTTP through the shared outbound client: the index's origin is the
//! only destination (the address rules still apply), every file capped, conditional
//! requests for `index.json`.

use std::time::{Duration, Instant};

use url::Url;

use super::error::IndexError;
use super::trust::{Fetched, IndexFiles};
use crate::fetch::{CookieJar, EgressPolicy, FetchClient, FetchRequest, FetchScope};

/// The longest one file may take, body included.
const FILE_DEADLINE: Duration = Duration::from_secs(60);

/// The files of the index at `base`.
pub(crate) struct HttpFiles {
    fetch: FetchClient,
    base: Url,
    caller: String,
    policy: EgressPolicy,
    cookies: CookieJar,
}

impl HttpFiles {
    pub(crate) fn new(fetch: FetchClient, name: &str, base: Url) -> Self {
        Self {
            fetch,
            policy: EgressPolicy::new(Vec::new(), None, Some(&base)),
            base,
            caller: format!("plugin-index:{name}"),
            cookies: CookieJar::default(),
        }
    }

    /// A file's URL: under the base, never elsewhere.
    pub(crate) fn url(&self, file: &str) -> Result<Url, IndexError> {
        let url = self.base.join(file).map_err(|error| {
            IndexError::malformed(file, format!("not a relative path: {error}"))
        })?;
        if url.origin() != self.base.origin() || !url.path().starts_with(self.base.path()) {
            return Err(IndexError::malformed(
                file,
                "points outside the index (releases are served under the index's URL)",
            ));
        }
        Ok(url)
    }

    async fn get_inner(
        &self,
        file: &str,
        max: usize,
        validator: Option<&str>,
    ) -> Result<Fetched, IndexError> {
        let unreachable = |message: String| IndexError::Unreachable {
            file: file.to_owned(),
            message,
        };
        let mut request = FetchRequest::get(self.url(file)?.to_string());
        request
            .headers
            .push(("cache-control".to_owned(), "no-cache".to_owned()));
        if let Some(etag) = validator {
            request
                .headers
                .push(("if-none-match".to_owned(), etag.to_owned()));
        }
        let scope = FetchScope {
            caller: &self.caller,
            policy: &self.policy,
            cookies: &self.cookies,
            deadline: Some(Instant::now() + FILE_DEADLINE),
        };
        let mut response = self
            .fetch
            .fetch_streaming(&scope, request)
            .await
            .map_err(|error| unreachable(error.to_string()))?;
        match response.status {
            200 => {}
            304 if validator.is_some() => return Ok(Fetched::NotModified),
            404 | 410 => return Ok(Fetched::Missing),
            status => return Err(unreachable(format!("HTTP {status}"))),
        }
        if response
            .content_length()
            .is_some_and(|length| length > max as u64)
        {
            return Err(IndexError::malformed(
                file,
                format!("larger than {max} bytes"),
            ));
        }
        // An ETag only: a Last-Modified date has one-second steps, so an index signed
        // twice within a second would look unchanged.
        let validator = response.header("etag").map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| unreachable(error.to_string()))?
        {
            if bytes.len() + chunk.len() > max {
                return Err(IndexError::malformed(
                    file,
                    format!("larger than {max} bytes"),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            bytes,
            etag: validator,
        })
    }
}

impl IndexFiles for HttpFiles {
    async fn get(&self, file: &str, max: usize, etag: Option<&str>) -> Result<Fetched, IndexError> {
        tokio::time::timeout(FILE_DEADLINE, self.get_inner(file, max, etag))
            .await
            .unwrap_or_else(|_| {
                Err(IndexError::Unreachable {
                    file: file.to_owned(),
                    message: "timed out".to_owned(),
                })
            })
    }
}
