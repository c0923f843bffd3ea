//! The small requests of a download, read whole through the shared client: the master
//! and media playlists and the AES-128 keys, each retried like segments are.

use std::time::Duration;

use url::Url;

use super::DownloadError;
use super::playlist::{self, Playlist, Stream};
use super::retry::{self, Failure};
use super::rewrite::{PlaylistRewrite, parse_rewritten};
use crate::fetch::{CookieJar, EgressPolicy, FetchClient, FetchRequest, FetchResponse, FetchScope};
use crate::types::VariantRule;

/// Who fetches and how: shared by every request of one stream URL.
pub(crate) struct Remote<'a> {
    pub(crate) client: &'a FetchClient,
    pub(crate) jar: &'a CookieJar,
    pub(crate) policy: &'a EgressPolicy,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) retries: u32,
    pub(crate) retry_delay: Duration,
}

/// The media playlist behind `url` (through the master playlist when it is one), each
/// playlist rewritten first when a rewriter is given.
pub(crate) async fn load_stream(
    remote: &Remote<'_>,
    url: &str,
    rule: VariantRule,
    rewrite: Option<&dyn PlaylistRewrite>,
) -> Result<Stream, DownloadError> {
    let mut applied = Vec::new();
    let mut stream = load_media(remote, url, rule, rewrite, &mut applied).await?;
    applied.dedup();
    stream.filtered_by = applied;
    Ok(stream)
}

async fn load_media(
    remote: &Remote<'_>,
    url: &str,
    rule: VariantRule,
    rewrite: Option<&dyn PlaylistRewrite>,
    applied: &mut Vec<String>,
) -> Result<Stream, DownloadError> {
    let playlist_error = |url: &str, reason: String| DownloadError::Playlist {
        url: url.to_owned(),
        reason,
    };
    let response = get(remote, url, |reason| playlist_error(url, reason)).await?;
    let base =
        Url::parse(&response.final_url).map_err(|error| playlist_error(url, error.to_string()))?;
    match parse_rewritten(&response.body, &base, rewrite, applied)
        .await
        .map_err(|reason| playlist_error(url, reason))?
    {
        Playlist::Media(stream) => Ok(stream),
        Playlist::Master(variants) => {
            let variant = playlist::choose(&variants, rule)
                .ok_or_else(|| playlist_error(url, "no variant to choose".to_owned()))?;
            tracing::debug!(bandwidth = variant.bandwidth, %rule, "variant chosen");
            let media_url = variant.url.to_string();
            let response = get(remote, &media_url, |reason| {
                playlist_error(&media_url, reason)
            })
            .await?;
            let base = Url::parse(&response.final_url)
                .map_err(|error| playlist_error(&media_url, error.to_string()))?;
            match parse_rewritten(&response.body, &base, rewrite, applied)
                .await
                .map_err(|reason| playlist_error(&media_url, reason))?
            {
                Playlist::Media(stream) => Ok(stream),
                Playlist::Master(_) => Err(playlist_error(
                    &media_url,
                    "a variant is itself a master playlist".to_owned(),
                )),
            }
        }
    }
}

/// The 16-byte AES-128 key at `uri`.
pub(crate) async fn load_key(remote: &Remote<'_>, uri: &Url) -> Result<[u8; 16], DownloadError> {
    let key_error = |reason: String| DownloadError::Key {
        url: uri.to_string(),
        reason,
    };
    let response = get(remote, uri.as_str(), key_error).await?;
    <[u8; 16]>::try_from(response.body.as_ref()).map_err(|_| {
        key_error(format!(
            "a key has 16 bytes, this answer {}",
            response.body.len()
        ))
    })
}

/// A GET answered with a success, retried on transient failures.
async fn get(
    remote: &Remote<'_>,
    url: &str,
    error: impl Fn(String) -> DownloadError,
) -> Result<FetchResponse, DownloadError> {
    let scope = FetchScope {
        caller: "download",
        policy: remote.policy,
        cookies: remote.jar,
        deadline: None,
    };
    let mut attempt = 0;
    loop {
        let mut request = FetchRequest::get(url);
        request.headers = remote.headers.to_vec();
        let failure = match remote.client.fetch(&scope, request).await {
            Ok(response) if (200..300).contains(&response.status) => return Ok(response),
            Ok(response) => {
                let retry_after = response
                    .headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
                    .map(|(_, value)| value.as_str());
                retry::classify_status(response.status, retry_after)
            }
            Err(fetch_error) => retry::classify_fetch_error(&fetch_error),
        };
        match failure {
            Failure::Expired { status } => {
                return Err(DownloadError::Expired {
                    url: url.to_owned(),
                    status,
                });
            }
            Failure::Permanent { reason } => return Err(error(reason)),
            Failure::Retry { reason, .. } if attempt >= remote.retries => {
                return Err(error(format!("{reason} (after {} tries)", attempt + 1)));
            }
            Failure::Retry { ref reason, .. } => {
                let wait = retry::delay(&failure, remote.retry_delay, attempt);
                let shown = url.split_once('?').map_or(url, |(head, _)| head);
                tracing::debug!(url = shown, %reason, ?wait, "retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        }
    }
}
