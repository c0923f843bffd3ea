//! The library: adding a resource by code (sources by weight, then scrapers, merge,
//! cover, people and avatars), refreshing, deleting and batches. It calls `plugins`,
//! `store` and `media`, and reports to `events`.

mod fix_codes;
mod images;
mod merge;
mod names;
mod seed;

use std::sync::{Arc, OnceLock};

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub(crate) use fix_codes::fix_codes;
pub(crate) use images::AvatarReport;
pub(crate) use names::split_name;
pub(crate) use seed::seed;
#[cfg(test)]
pub(crate) use seed::seed_write_for_tests;

use crate::code::Code;
use crate::events::{CodeEvent, Event, EventBus, ResourceEvent};
use crate::media::MediaStore;
use crate::plugins::{CallError, PluginError, PluginHost, PluginKind, StreamHit};
use crate::store::{
    PersonWrite, ResourceDetail, ResourceWrite, Store, StoreError, TranslationStatus,
};
use merge::{Found, merge};

/// How many people get an avatar fetched while a resource is added.
const MAX_AVATARS_PER_ADD: usize = 20;

/// A library operation that failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LibraryError {
    #[error("no source knows {code} (tried {})", tried(lookups))]
    NotFound { code: String, lookups: Vec<Lookup> },
    #[error("{0} is not in the library")]
    NotInLibrary(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("media: {0}")]
    Media(String),
}

/// What one plugin said during a lookup.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Lookup {
    pub(crate) plugin: String,
    pub(crate) version: String,
    /// `hit`, `miss` or `error`.
    pub(crate) outcome: &'static str,
    pub(crate) detail: Option<String>,
}

/// The result of an add or refresh.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) resource: ResourceDetail,
    pub(crate) lookups: Vec<Lookup>,
    /// The URL the stored cover came from.
    pub(crate) cover_url: Option<String>,
    /// Why no cover was stored, when none was.
    pub(crate) cover_error: Option<String>,
    pub(crate) avatars_fetched: usize,
}

/// The switches of a refresh (N-H8).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RefreshOptions {
    pub(crate) refresh_m3u8: bool,
    pub(crate) refresh_metadata: bool,
    /// Translate the title again: the LLM is asked afresh.
    pub(crate) retranslate: bool,
    /// Clean the cached LLM answer again (after a cleaner update), asking the LLM only
    /// when there is none.
    pub(crate) reclean: bool,
}

impl Default for RefreshOptions {
    fn default() -> Self {
        Self {
            refresh_m3u8: true,
            refresh_metadata: true,
            retranslate: false,
            reclean: false,
        }
    }
}

/// Where the library asks for a title translation: the server queues a `translate`
/// task (`tasks/translate_kind.rs`); without one (the CLI, or no active translator
/// profile) titles just stay `pending`. A trait, so the library does not depend on the
/// task queue.
pub(crate) trait TranslationRequests: Send + Sync {
    /// Asks for `code`'s title to be translated as `how` says.
    fn request<'a>(
        &'a self,
        code: &'a Code,
        how: TranslationRequest,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// What a translation request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TranslationRequest {
    /// A title not translated yet (a cached answer serves).
    New,
    /// Translate a finished title again, asking the LLM afresh.
    Retranslate,
    /// Clean the cached answer again; the LLM only when there is none.
    Reclean,
}

/// The other hosts of a deployment, told that a source cookie was set here (they keep
/// each source's cookies in memory too).
pub(crate) trait CookiePeers: Send + Sync {
    /// A cookie was stored.
    fn cookie_set(&self);
}

/// The library service.
#[derive(Clone)]
pub struct Library {
    store: Store,
    plugins: PluginHost,
    media: MediaStore,
    events: EventBus,
    /// Set once, after the task queue exists (the queue's kinds hold this library).
    translations: Arc<OnceLock<Arc<dyn TranslationRequests>>>,
    /// Set once, when the deployment has other hosts.
    cookie_peers: Arc<OnceLock<Arc<dyn CookiePeers>>>,
}

impl Library {
    pub(crate) fn new(
        store: Store,
        plugins: PluginHost,
        media: MediaStore,
        events: EventBus,
    ) -> Self {
        Self {
            store,
            plugins,
            media,
            events,
            translations: Arc::default(),
            cookie_peers: Arc::default(),
        }
    }

    /// Sends translation requests to `requests` from now on (N-C1, N-C6); a second call
    /// is ignored.
    pub(crate) fn set_translation_requests(&self, requests: Arc<dyn TranslationRequests>) {
        if self.translations.set(requests).is_err() {
            tracing::warn!("translation requests were already set; the new target is ignored");
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn media(&self) -> &MediaStore {
        &self.media
    }

    pub(crate) fn plugins(&self) -> &PluginHost {
        &self.plugins
    }

    /// Puts the stored source cookies (N-A4) into the sources' jars; run at start-up.
    pub(crate) async fn restore_cookies(&self) -> Result<usize, LibraryError> {
        let cookies = self.store.all_cookies().await?;
        let mut restored = 0;
        for (source, cookie) in &cookies {
            let Some(url) = cookie.url.as_deref().and_then(|u| url::Url::parse(u).ok()) else {
                tracing::warn!(%source, name = %cookie.name, "stored cookie without a usable URL skipped");
                continue;
            };
            self.plugins
                .set_cookie(source, &cookie.name, &cookie.value, &url);
            restored += 1;
        }
        Ok(restored)
    }

    /// Stores a cookie for a source and puts it in the source's jar at once (N-A4).
    pub(crate) async fn set_cookie(
        &self,
        source: &str,
        name: &str,
        value: &str,
        url: &url::Url,
    ) -> Result<(), LibraryError> {
        self.store
            .set_cookie(source, name, value, Some(url.as_str()))
            .await?;
        self.plugins.set_cookie(source, name, value, url);
        if let Some(peers) = self.cookie_peers.get() {
            peers.cookie_set();
        }
        Ok(())
    }

    /// Tells `peers` of every cookie set here (the other hosts of a deployment, which
    /// then read the stored cookies again); set once at start-up.
    pub(crate) fn set_cookie_peers(&self, peers: Arc<dyn CookiePeers>) {
        let _ = self.cookie_peers.set(peers);
    }

    /// Adds a resource (or brings an existing one up to date): nothing is written unless
    /// a source knows the code.
    pub(crate) async fn add(&self, code: &Code) -> Result<Report, LibraryError> {
        let mut lookups = Vec::new();
        let (source, version, hit) = self.find_stream(code, &mut lookups).await?;
        let report = self
            .write_metadata(code, &source, &version, &hit, lookups, Event::ResourceAdded)
            .await?;
        // A new resource (or one never translated) gets its title translated.
        if report.resource.resource.translation_status == TranslationStatus::Pending {
            self.request_translation(code, TranslationRequest::New)
                .await;
        }
        Ok(report)
    }

    /// Refreshes a stored resource (N-H8).
    pub(crate) async fn refresh(
        &self,
        code: &Code,
        options: RefreshOptions,
    ) -> Result<Report, LibraryError> {
        let stored = self
            .store
            .get_resource(code.as_str())
            .await?
            .ok_or_else(|| LibraryError::NotInLibrary(code.to_string()))?;
        let mut lookups = Vec::new();
        let row = &stored.resource;
        let (source, version, hit) = if options.refresh_m3u8 {
            self.find_stream(code, &mut lookups).await?
        } else {
            let hit = StreamHit {
                page_url: row.page_url.clone().unwrap_or_default(),
                playlist_url: row.stream_url.clone().unwrap_or_default(),
                title: row.title_source.clone(),
                cover_url: None,
                headers: row.stream_headers.clone().into_iter().collect(),
            };
            (
                row.source_plugin.clone().unwrap_or_default(),
                row.source_version.clone().unwrap_or_default(),
                hit,
            )
        };
        let mut report = if options.refresh_metadata {
            self.write_metadata(
                code,
                &source,
                &version,
                &hit,
                lookups,
                Event::ResourceRefreshed,
            )
            .await?
        } else {
            if options.refresh_m3u8 {
                let headers = hit.headers.iter().cloned().collect();
                self.store
                    .set_stream(code.as_str(), &hit.playlist_url, &headers)
                    .await?;
            }
            Report {
                resource: stored.clone(),
                lookups,
                cover_url: None,
                cover_error: Some("metadata not refreshed".to_owned()),
                avatars_fetched: 0,
            }
        };
        let again = match (options.retranslate, options.reclean) {
            (true, _) => Some(TranslationRequest::Retranslate),
            (false, true) => Some(TranslationRequest::Reclean),
            (false, false) => None,
        };
        if let Some(how) = again {
            self.store
                .set_translation(code.as_str(), TranslationStatus::Pending, None)
                .await?;
            self.request_translation(code, how).await;
        }
        if (again.is_some() || !options.refresh_metadata)
            && let Some(fresh) = self.store.get_resource(code.as_str()).await?
        {
            report.resource = fresh;
        }
        Ok(report)
    }

    /// Deletes the resource, its cover, thumbnails and video (N-H9).
    pub(crate) async fn delete(&self, code: &Code) -> Result<(), LibraryError> {
        let Some(deleted) = self.store.delete_resource(code.as_str()).await? else {
            return Err(LibraryError::NotInLibrary(code.to_string()));
        };
        let tracks: Vec<String> = deleted.video_tracks.into_iter().map(|t| t.file).collect();
        let owned = code.clone();
        self.media
            .blocking(move |media| {
                if let Err(error) = media.delete_video_tracks(&owned, &tracks) {
                    tracing::warn!(code = %owned, %error, "cannot remove a track beside the video");
                }
                media.delete_all(&owned)
            })
            .await
            .map_err(|error| LibraryError::Media(error.to_string()))?;
        self.events.publish(Event::ResourceDeleted(CodeEvent {
            code: code.to_string(),
        }));
        Ok(())
    }

    /// Resolves a fresh stream URL for a stored resource (N-D6, K-8): its own source
    /// first, then every source by weight; stores it and returns it with its headers.
    pub(crate) async fn refresh_stream(
        &self,
        code: &Code,
    ) -> Result<(String, Vec<(String, String)>), LibraryError> {
        let stored = self
            .store
            .get_resource(code.as_str())
            .await?
            .ok_or_else(|| LibraryError::NotInLibrary(code.to_string()))?;
        let mut lookups = Vec::new();
        let own = stored.resource.source_plugin.clone();
        let hit = match own {
            Some(source) => match self.plugins.resolve(&source, code.as_str()).await {
                Ok(hit) => Some(hit),
                Err(error) => {
                    let version = self
                        .plugins
                        .registry()
                        .current(&source)
                        .map(|p| p.version().to_owned())
                        .unwrap_or_default();
                    lookups.push(miss_or_error(source, version, &error));
                    None
                }
            },
            None => None,
        };
        let hit = match hit {
            Some(hit) => hit,
            None => self.find_stream(code, &mut lookups).await?.2,
        };
        let headers: std::collections::BTreeMap<String, String> =
            hit.headers.iter().cloned().collect();
        self.store
            .set_stream(code.as_str(), &hit.playlist_url, &headers)
            .await?;
        Ok((hit.playlist_url, hit.headers))
    }

    /// Removes the resource's video file and forgets it (N-D4); the resource stays.
    /// Returns whether a file was removed.
    pub(crate) async fn delete_video(&self, code: &Code) -> Result<bool, LibraryError> {
        let tracks: Vec<String> = self
            .store
            .video_tracks(code.as_str())
            .await?
            .into_iter()
            .map(|track| track.file)
            .collect();
        let owned = code.clone();
        let removed = self
            .media
            .blocking(move |media| {
                let removed = media.delete_video(&owned)?;
                if let Err(error) = media.delete_video_tracks(&owned, &tracks) {
                    tracing::warn!(code = %owned, %error, "cannot remove a track beside the video");
                }
                Ok(removed)
            })
            .await
            .map_err(|error| LibraryError::Media(error.to_string()))?;
        self.store.clear_video(code.as_str()).await?;
        if removed {
            self.events.publish(Event::VideoDeleted(CodeEvent {
                code: code.to_string(),
            }));
        }
        Ok(removed)
    }

    /// Queues a translation when something takes requests; a failure to queue leaves the
    /// title `pending` (`kura translate --execute` picks it up) and is only logged.
    async fn request_translation(&self, code: &Code, how: TranslationRequest) {
        let Some(requests) = self.translations.get() else {
            return;
        };
        if let Err(error) = requests.request(code, how).await {
            tracing::warn!(code = %code, %error, "translation not queued; the title stays pending");
        }
    }

    /// Asks every enabled source by descending weight; the first hit wins (N-A1).
    async fn find_stream(
        &self,
        code: &Code,
        lookups: &mut Vec<Lookup>,
    ) -> Result<(String, String, StreamHit), LibraryError> {
        for source in self
            .plugins
            .registry()
            .enabled_by_weight(PluginKind::Source)
        {
            let (name, version) = (source.name().to_owned(), source.version().to_owned());
            match self.plugins.resolve(&name, code.as_str()).await {
                Ok(hit) => {
                    lookups.push(Lookup {
                        plugin: name.clone(),
                        version: version.clone(),
                        outcome: "hit",
                        detail: None,
                    });
                    return Ok((name, version, hit));
                }
                Err(error) => lookups.push(miss_or_error(name, version, &error)),
            }
        }
        Err(LibraryError::NotFound {
            code: code.to_string(),
            lookups: std::mem::take(lookups),
        })
    }

    async fn write_metadata(
        &self,
        code: &Code,
        source: &str,
        source_version: &str,
        hit: &StreamHit,
        mut lookups: Vec<Lookup>,
        event: fn(ResourceEvent) -> Event,
    ) -> Result<Report, LibraryError> {
        let scrapers = self
            .plugins
            .registry()
            .enabled_by_weight(PluginKind::Scraper);
        let mut answers = Vec::new();
        for scraper in &scrapers {
            let (name, version) = (scraper.name().to_owned(), scraper.version().to_owned());
            match self
                .plugins
                .scrape(&name, code.as_str(), Some(&hit.page_url))
                .await
            {
                Ok(metadata) => {
                    lookups.push(Lookup {
                        plugin: name.clone(),
                        version: version.clone(),
                        outcome: "hit",
                        detail: None,
                    });
                    answers.push((name, version, metadata));
                }
                Err(error) => lookups.push(miss_or_error(name, version, &error)),
            }
        }
        let found: Vec<Found<'_>> = answers
            .iter()
            .map(|(plugin, version, metadata)| Found {
                plugin,
                version,
                metadata,
            })
            .collect();
        let merged = merge(&found, (source, source_version, hit));
        let existed = self.store.get_resource(code.as_str()).await?.is_some();
        let cover = self.fetch_cover(code, &merged.covers).await;
        let write = ResourceWrite {
            code: code.to_string(),
            title_source: merged.title.clone(),
            title_original: merged.original_title.clone(),
            source_plugin: Some(source.to_owned()),
            source_version: Some(source_version.to_owned()),
            page_url: Some(hit.page_url.clone()),
            stream_url: Some(hit.playlist_url.clone()),
            stream_headers: hit.headers.iter().cloned().collect(),
            release_date: merged.release_date.clone(),
            duration_seconds: merged.duration_seconds.map(i64::from),
            studio: merged.studio.clone(),
            label: merged.label.clone(),
            series: merged.series.clone(),
            description: merged.description.clone(),
            field_sources: merged.provenance.clone(),
            people: merged
                .people
                .iter()
                .map(|(raw, page_url, avatar_url)| {
                    let split = split_name(raw);
                    PersonWrite {
                        alias: split.alias_text(),
                        name: split.name,
                        page_url: page_url.clone(),
                        avatar_url: avatar_url.clone(),
                    }
                })
                .collect(),
            tags: merged.tags.clone(),
        };
        if let Err(error) = self.store.upsert_resource(&write).await {
            if !existed && cover.is_ok() {
                // Nothing half-written: a new resource's cover goes with its failed row.
                let owned = code.clone();
                let _ = self
                    .media
                    .blocking(move |media| media.delete_all(&owned))
                    .await;
            }
            return Err(error.into());
        }
        if let Ok((url, file)) = &cover {
            self.store.set_cover(code.as_str(), file, url).await?;
        }
        let scraper_names: Vec<String> = scrapers.iter().map(|s| s.name().to_owned()).collect();
        let avatars_fetched = self.fetch_avatars(code, &scraper_names).await;
        let resource = self
            .store
            .get_resource(code.as_str())
            .await?
            .ok_or_else(|| LibraryError::NotInLibrary(code.to_string()))?;
        self.events.publish(event(ResourceEvent {
            code: code.to_string(),
            source: source.to_owned(),
        }));
        Ok(Report {
            resource,
            lookups,
            cover_error: cover.as_ref().err().cloned(),
            cover_url: cover.ok().map(|(url, _)| url),
            avatars_fetched,
        })
    }
}

/// `plugin: what it said` for each lookup, for messages.
fn tried(lookups: &[Lookup]) -> String {
    if lookups.is_empty() {
        return "no enabled source".to_owned();
    }
    lookups
        .iter()
        .map(|l| format!("{}: {}", l.plugin, l.detail.as_deref().unwrap_or(l.outcome)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn miss_or_error(plugin: String, version: String, error: &CallError) -> Lookup {
    let outcome = match error {
        CallError::Plugin(PluginError::NotFound(_)) => "miss",
        _ => "error",
    };
    Lookup {
        plugin,
        version,
        outcome,
        detail: Some(error.to_string()),
    }
}
