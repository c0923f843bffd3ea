//! The small requests of a download, read whole through the shared client: the master
//! and media playlists and the AES-128 keys, each retried like segments are.

use std::time::{Duration, Instant};

use url::Url;

use super::DownloadError;
use super::playlist::{self, Master, Playlist, RenditionKind, Stream, Variant};
use super::renditions;
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

/// Which media playlist of a master playlist a stream is.
#[derive(Debug, Clone)]
pub(crate) enum Pick {
    /// The variant the rule chooses (or the playlist itself when it is a media playlist).
    Variant(VariantRule),
    /// The rendition with this kind, group and name.
    Rendition {
        kind: RenditionKind,
        group: String,
        name: String,
    },
}

/// A media playlist loaded, with the master playlist it came through.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) stream: Stream,
    /// The master playlist and the variant chosen in it, when there was one.
    pub(crate) master: Option<(Master, Variant)>,
    /// How long the media playlist's request took: the site's latency, as seen before
    /// any part is asked for.
    pub(crate) round_trip: Duration,
}

/// The media playlist behind `url` that `pick` names (through the master playlist when
/// it is one; `master` when given instead of fetching it again), each playlist rewritten
/// first when a rewriter is given.
pub(crate) async fn load_stream(
    remote: &Remote<'_>,
    url: &str,
    pick: &Pick,
    master: Option<Master>,
    rewrite: Option<&dyn PlaylistRewrite>,
) -> Result<Loaded, DownloadError> {
    let mut applied = Vec::new();
    let mut loaded = load_media(remote, url, pick, master, rewrite, &mut applied).await?;
    applied.dedup();
    loaded.stream.filtered_by = applied;
    Ok(loaded)
}

fn playlist_error(url: &str, reason: String) -> DownloadError {
    DownloadError::Playlist {
        url: url.to_owned(),
        reason,
    }
}

/// Fetches and parses one playlist; with how long its request took.
async fn fetch_playlist(
    remote: &Remote<'_>,
    url: &str,
    rewrite: Option<&dyn PlaylistRewrite>,
    applied: &mut Vec<String>,
) -> Result<(Playlist, Duration), DownloadError> {
    let sent = Instant::now();
    let response = get(remote, url, |reason| playlist_error(url, reason)).await?;
    let round_trip = sent.elapsed();
    let base =
        Url::parse(&response.final_url).map_err(|error| playlist_error(url, error.to_string()))?;
    let playlist = parse_rewritten(&response.body, &base, rewrite, applied)
        .await
        .map_err(|reason| playlist_error(url, reason))?;
    Ok((playlist, round_trip))
}

async fn load_media(
    remote: &Remote<'_>,
    url: &str,
    pick: &Pick,
    master: Option<Master>,
    rewrite: Option<&dyn PlaylistRewrite>,
    applied: &mut Vec<String>,
) -> Result<Loaded, DownloadError> {
    let master = match master {
        Some(master) => master,
        None => match fetch_playlist(remote, url, rewrite, applied).await? {
            (Playlist::Master(master), _) => master,
            (Playlist::Media(stream), round_trip) => {
                return match pick {
                    Pick::Variant(_) => Ok(Loaded {
                        stream,
                        master: None,
                        round_trip,
                    }),
                    Pick::Rendition { .. } => Err(playlist_error(
                        url,
                        "no longer a master playlist: its renditions are gone".to_owned(),
                    )),
                };
            }
        },
    };
    let (media_url, variant) = match pick {
        Pick::Variant(rule) => {
            let variant = playlist::choose(&master.variants, *rule)
                .ok_or_else(|| playlist_error(url, "no variant to choose".to_owned()))?
                .clone();
            tracing::debug!(bandwidth = variant.bandwidth, %rule, "variant chosen");
            (variant.url.clone(), Some(variant))
        }
        Pick::Rendition { kind, group, name } => {
            let url = renditions::find(&master, *kind, group, name)
                .and_then(|rendition| rendition.url.clone())
                .ok_or_else(|| {
                    playlist_error(
                        url,
                        format!("the master playlist no longer lists the rendition `{name}` of group `{group}`"),
                    )
                })?;
            (url, None)
        }
    };
    let media_url = media_url.to_string();
    match fetch_playlist(remote, &media_url, rewrite, applied).await? {
        (Playlist::Media(stream), round_trip) => Ok(Loaded {
            stream,
            master: variant.map(|variant| (master, variant)),
            round_trip,
        }),
        (Playlist::Master(_), _) => Err(playlist_error(
            &media_url,
            "a variant is itself a master playlist".to_owned(),
        )),
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
