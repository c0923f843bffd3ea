//! Images a resource brings: its cover (scraper covers first, then the source's; a 403
//! is retried once before the next candidate, N-B4) and its people's avatars (N-B3).
//! Images are fetched under the naming plugin's egress policy and decoded off the async
//! threads.

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{Library, LibraryError, MAX_AVATARS_PER_ADD};
use crate::code::Code;
use crate::fetch::{FetchError, FetchRequest};
use crate::media::SavedImage;
use crate::plugins::PluginKind;

/// What an avatar backfill did.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct AvatarReport {
    /// People without an avatar that were looked at.
    pub(crate) people: usize,
    pub(crate) fetched: usize,
    /// No scraper knows an avatar for them.
    pub(crate) none: usize,
    /// (name, reason) of the failures.
    pub(crate) failed: Vec<(String, String)>,
}

impl Library {
    /// Fetches avatars for up to `limit` people who have none (N-B3), asking the enabled
    /// scrapers by weight; stops between people when `cancel` fires.
    pub(crate) async fn backfill_avatars(
        &self,
        limit: u32,
        cancel: &CancellationToken,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<AvatarReport, LibraryError> {
        let people = self.store.people_without_avatar(limit).await?;
        let scrapers: Vec<String> = self
            .plugins
            .registry()
            .enabled_by_weight(PluginKind::Scraper)
            .iter()
            .map(|scraper| scraper.name().to_owned())
            .collect();
        let mut report = AvatarReport {
            people: people.len(),
            ..AvatarReport::default()
        };
        for (done, person) in people.iter().enumerate() {
            if cancel.is_cancelled() {
                break;
            }
            match self
                .fetch_avatar(
                    person.id,
                    &person.name,
                    person.avatar_url.as_deref(),
                    &scrapers,
                )
                .await
            {
                Ok(true) => report.fetched += 1,
                Ok(false) => report.none += 1,
                Err(reason) => report.failed.push((person.name.clone(), reason)),
            }
            progress(done + 1, people.len());
        }
        Ok(report)
    }

    /// Tries each candidate in order; a 403 is retried once, then the next candidate is
    /// tried (N-B4). Returns (url, stored file).
    pub(super) async fn fetch_cover(
        &self,
        code: &Code,
        candidates: &[(String, String)],
    ) -> Result<(String, String), String> {
        let mut reasons = Vec::new();
        for (plugin, url) in candidates {
            match self.download_image(plugin, url).await {
                Ok(bytes) => match self
                    .save_image(ImageTarget::Cover(code.clone()), bytes)
                    .await
                {
                    Ok(info) => return Ok((url.clone(), info.file)),
                    Err(error) => reasons.push(format!("{url}: {error}")),
                },
                Err(reason) => reasons.push(format!("{url}: {reason}")),
            }
        }
        if reasons.is_empty() {
            Err("no plugin named a cover".to_owned())
        } else {
            tracing::warn!(code = %code, reasons = ?reasons, "no cover stored");
            Err(reasons.join("; "))
        }
    }

    /// Decodes and stores an image off the async threads (decoding is CPU work).
    async fn save_image(&self, target: ImageTarget, bytes: Vec<u8>) -> Result<SavedImage, String> {
        self.media
            .blocking(move |media| match target {
                ImageTarget::Cover(code) => media.save_cover(&code, &bytes),
                ImageTarget::Avatar(id) => media.save_avatar(id, &bytes),
            })
            .await
            .map_err(|error| error.to_string())
    }

    async fn download_image(&self, plugin: &str, url: &str) -> Result<Vec<u8>, String> {
        for attempt in 0..2 {
            let response = self
                .plugins
                .fetch_as(plugin, FetchRequest::get(url))
                .await
                .map_err(|error: FetchError| error.to_string())?;
            match response.status {
                200..=299 => return Ok(response.body.to_vec()),
                403 if attempt == 0 => {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await
                }
                status => return Err(format!("HTTP {status}")),
            }
        }
        Err("HTTP 403".to_owned())
    }

    /// Fetches avatars for the resource's people who have none (N-B3); failures are logged.
    pub(super) async fn fetch_avatars(&self, code: &Code, scrapers: &[String]) -> usize {
        let Ok(Some(detail)) = self.store.get_resource(code.as_str()).await else {
            return 0;
        };
        let mut fetched = 0;
        for person in detail
            .people
            .iter()
            .filter(|p| p.avatar_file.is_none())
            .take(MAX_AVATARS_PER_ADD)
        {
            match self
                .fetch_avatar(
                    person.id,
                    &person.name,
                    person.avatar_url.as_deref(),
                    scrapers,
                )
                .await
            {
                Ok(true) => fetched += 1,
                Ok(false) => {}
                Err(reason) => tracing::info!(person = %person.name, %reason, "no avatar"),
            }
        }
        fetched
    }

    /// Fetches one person's avatar (N-B3): the URL a scraper already gave, else each
    /// scraper by weight is asked; the image is fetched under that scraper's egress
    /// policy. Ok(false) when no scraper knows one.
    pub(crate) async fn fetch_avatar(
        &self,
        person_id: i64,
        name: &str,
        known_url: Option<&str>,
        scrapers: &[String],
    ) -> Result<bool, String> {
        if scrapers.is_empty() {
            return Err("no scraper enabled".to_owned());
        }
        let mut reasons = Vec::new();
        for scraper in scrapers {
            let url = match known_url {
                Some(url) => url.to_owned(),
                None => match self.plugins.avatar(scraper, name).await {
                    Ok(Some(url)) => url,
                    Ok(None) => continue,
                    Err(error) => {
                        reasons.push(format!("{scraper}: {error}"));
                        continue;
                    }
                },
            };
            let bytes = match self.download_image(scraper, &url).await {
                Ok(bytes) => bytes,
                Err(reason) => {
                    reasons.push(format!("{scraper}: {url}: {reason}"));
                    continue;
                }
            };
            let info = self
                .save_image(ImageTarget::Avatar(person_id), bytes)
                .await?;
            self.store
                .set_person_avatar(person_id, Some(&info.file))
                .await
                .map_err(|e| e.to_string())?;
            return Ok(true);
        }
        if reasons.is_empty() {
            Ok(false)
        } else {
            Err(reasons.join("; "))
        }
    }
}

/// Where a downloaded image goes.
enum ImageTarget {
    Cover(Code),
    Avatar(i64),
}
