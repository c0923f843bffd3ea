//! The library's task kinds: add a resource, refresh one, a batch, person avatars, and
//! the debug-only mock download (N-D7). Each has a payload type (codes normalised as they
//! are read, so the dedup key is the canonical code) and maps library errors to retry or
//! not.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::kind::{DOWNLOAD_LANE, Registry, TaskContext, TaskFailure, TaskKind, parse_payload};
use crate::code::{Code, normalize};
use crate::error_code::ErrorCode;
use crate::library::{AvatarReport, Library, LibraryError, RefreshOptions, Report};

/// Most items one batch task takes.
pub(super) const MAX_BATCH_ITEMS: usize = 500;

/// The library's kinds, registered together.
pub(crate) fn library_kinds(registry: &mut Registry, library: &Library, mock_downloads: bool) {
    registry.register(AddResource(library.clone()));
    registry.register(RefreshResource(library.clone()));
    registry.register(Batch(library.clone()));
    registry.register(PersonAvatars(library.clone()));
    registry.register(MockDownload {
        enabled: mock_downloads,
    });
}

/// Not-found (every source said so) and bad input are final; a source that errored,
/// storage and media trouble are retried. The failure carries the error code a direct
/// call would give.
fn failure(error: LibraryError) -> TaskFailure {
    let message = error.to_string();
    match error {
        // Every lookup is kept as the task's result, so a client can show which source
        // missed and why; a source that errored (a dead site) may know the code once it
        // is back, so that one is retried.
        LibraryError::NotFound { lookups, .. } => TaskFailure::WithDetails {
            code: ErrorCode::CodeNotFound,
            message,
            retry: lookups.iter().any(|lookup| lookup.outcome == "error"),
            details: serde_json::json!({ "lookups": lookups }),
        },
        LibraryError::NotInLibrary(_) => TaskFailure::Fatal {
            code: ErrorCode::ResourceNotFound,
            message,
        },
        LibraryError::Store(_) | LibraryError::Media(_) => TaskFailure::retry(message),
    }
}

/// The payload of the kinds that take one code.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodePayload {
    /// The catalog code, in any form `code::normalize` takes (`abc_123`, full width).
    #[schema(value_type = String, example = "DEMO-001")]
    pub(crate) code: Code,
}

/// `add_resource {code}` (N-H7).
struct AddResource(Library);

impl TaskKind for AddResource {
    type Payload = CodePayload;
    type Output = Report;

    fn name(&self) -> &'static str {
        "add_resource"
    }

    fn dedup_key(&self, payload: &CodePayload) -> Option<String> {
        Some(payload.code.as_str().to_owned())
    }

    fn run(
        &self,
        payload: CodePayload,
        _context: TaskContext,
    ) -> BoxFuture<'static, Result<Report, TaskFailure>> {
        let library = self.0.clone();
        Box::pin(async move { library.add(&payload.code).await.map_err(failure) })
    }
}

/// `refresh_resource {code, refresh_m3u8?, refresh_metadata?, retranslate?, reclean?}`
/// (N-H8).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshPayload {
    #[schema(value_type = String, example = "DEMO-001")]
    pub(crate) code: Code,
    /// Resolve the stream URL again through the sources (default true).
    #[serde(default = "yes")]
    pub(crate) refresh_m3u8: bool,
    /// Scrape the metadata again (default true).
    #[serde(default = "yes")]
    pub(crate) refresh_metadata: bool,
    /// Translate the title again, asking the LLM afresh (default false).
    #[serde(default)]
    pub(crate) retranslate: bool,
    /// Clean the cached LLM answer of the title again, after a cleaner update; the LLM
    /// is asked only when no answer is cached (default false).
    #[serde(default)]
    pub(crate) reclean: bool,
}

fn yes() -> bool {
    true
}

impl RefreshPayload {
    fn options(&self) -> RefreshOptions {
        RefreshOptions {
            refresh_m3u8: self.refresh_m3u8,
            refresh_metadata: self.refresh_metadata,
            retranslate: self.retranslate,
            reclean: self.reclean,
        }
    }
}

struct RefreshResource(Library);

impl TaskKind for RefreshResource {
    type Payload = RefreshPayload;
    type Output = Report;

    fn name(&self) -> &'static str {
        "refresh_resource"
    }

    fn dedup_key(&self, payload: &RefreshPayload) -> Option<String> {
        Some(payload.code.as_str().to_owned())
    }

    fn run(
        &self,
        payload: RefreshPayload,
        _context: TaskContext,
    ) -> BoxFuture<'static, Result<Report, TaskFailure>> {
        let library = self.0.clone();
        Box::pin(async move {
            library
                .refresh(&payload.code, payload.options())
                .await
                .map_err(failure)
        })
    }
}

/// `batch {items: [{action: add|refresh|delete, code, switches...}]}` (N-H10).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchPayload {
    /// From 1 to 500 items. Each is read as a [`BatchItem`] when the batch runs, so a
    /// malformed one fails alone and the others still run.
    #[schema(value_type = Vec<BatchItem>)]
    pub(crate) items: Vec<serde_json::Value>,
}

/// One item of a batch. Its code and action are checked when the batch runs, so a bad
/// one fails alone and the others still run.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchItem {
    /// `add`, `refresh` or `delete`.
    pub(crate) action: String,
    /// The code as the client sent it (echoed in the item's result).
    pub(crate) code: String,
    /// A refresh's switches, as in `refresh_resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_m3u8: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_metadata: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retranslate: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reclean: Option<bool>,
}

/// What a batch did: one outcome per item, in order.
#[derive(Debug, Clone, Serialize)]
pub(super) struct BatchOutcome {
    pub(crate) results: Vec<BatchItemOutcome>,
    pub(crate) failed: usize,
}

/// One item's outcome.
#[derive(Debug, Clone, Serialize)]
pub(super) struct BatchItemOutcome {
    /// The code as sent.
    pub(crate) input: serde_json::Value,
    /// The action as sent.
    pub(crate) action: serde_json::Value,
    pub(crate) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

/// Every item runs; the result lists each item's outcome.
struct Batch(Library);

impl TaskKind for Batch {
    type Payload = BatchPayload;
    type Output = BatchOutcome;

    fn name(&self) -> &'static str {
        "batch"
    }

    fn max_attempts(&self) -> Option<u32> {
        Some(1)
    }

    fn check(&self, payload: &BatchPayload) -> Result<(), String> {
        if payload.items.is_empty() || payload.items.len() > MAX_BATCH_ITEMS {
            return Err(format!("`items`: between 1 and {MAX_BATCH_ITEMS} items"));
        }
        // Only the shape is checked here; each item's fields are read when it runs.
        if let Some(index) = payload.items.iter().position(|item| !item.is_object()) {
            return Err(format!("`items[{index}]` is not an object"));
        }
        Ok(())
    }

    fn dedup_key(&self, _payload: &BatchPayload) -> Option<String> {
        None
    }

    fn run(
        &self,
        payload: BatchPayload,
        context: TaskContext,
    ) -> BoxFuture<'static, Result<BatchOutcome, TaskFailure>> {
        let library = self.0.clone();
        Box::pin(async move {
            let total = payload.items.len();
            let mut results = Vec::with_capacity(total);
            for (done, item) in payload.items.into_iter().enumerate() {
                context.check_cancelled()?;
                let error = match parse_payload::<BatchItem>(item.clone()) {
                    Ok(parsed) => batch_item(&library, &parsed).await.err(),
                    Err(message) => Some(format!("item {done}: {message}")),
                };
                let field = |key: &str| item.get(key).cloned().unwrap_or_default();
                results.push(BatchItemOutcome {
                    input: field("code"),
                    action: field("action"),
                    ok: error.is_none(),
                    error,
                });
                context.progress(json!({ "done": done + 1, "total": total }));
            }
            let failed = results.iter().filter(|r| !r.ok).count();
            Ok(BatchOutcome { results, failed })
        })
    }
}

async fn batch_item(library: &Library, item: &BatchItem) -> Result<(), String> {
    let code = normalize(&item.code).map_err(|error| error.to_string())?;
    match item.action.as_str() {
        "add" => library.add(&code).await.map(drop),
        "refresh" => {
            let defaults = RefreshOptions::default();
            let options = RefreshOptions {
                refresh_m3u8: item.refresh_m3u8.unwrap_or(defaults.refresh_m3u8),
                refresh_metadata: item.refresh_metadata.unwrap_or(defaults.refresh_metadata),
                retranslate: item.retranslate.unwrap_or(defaults.retranslate),
                reclean: item.reclean.unwrap_or(defaults.reclean),
            };
            library.refresh(&code, options).await.map(drop)
        }
        "delete" => library.delete(&code).await,
        other => {
            return Err(format!("unknown action {other:?} (add, refresh or delete)"));
        }
    }
    .map_err(|error| error.to_string())
}

/// `person_avatars {limit?}` (N-B3): fetches avatars for people who have none.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AvatarsPayload {
    /// People looked at, from 1 to 100000 (default 1000).
    #[serde(default = "default_avatar_limit")]
    pub(crate) limit: u32,
}

fn default_avatar_limit() -> u32 {
    1000
}

struct PersonAvatars(Library);

impl TaskKind for PersonAvatars {
    type Payload = AvatarsPayload;
    type Output = AvatarReport;

    fn name(&self) -> &'static str {
        "person_avatars"
    }

    fn check(&self, payload: &AvatarsPayload) -> Result<(), String> {
        if !(1..=100_000).contains(&payload.limit) {
            return Err("`limit` must be a number from 1 to 100000".to_owned());
        }
        Ok(())
    }

    fn dedup_key(&self, _payload: &AvatarsPayload) -> Option<String> {
        Some("all".to_owned())
    }

    fn run(
        &self,
        payload: AvatarsPayload,
        context: TaskContext,
    ) -> BoxFuture<'static, Result<AvatarReport, TaskFailure>> {
        let library = self.0.clone();
        Box::pin(async move {
            let report = library
                .backfill_avatars(payload.limit, &context.cancel, |done, total| {
                    context.progress(json!({ "done": done, "total": total }));
                })
                .await
                .map_err(failure)?;
            context.check_cancelled()?;
            Ok(report)
        })
    }
}

/// `mock_download {code, duration_ms?}` (N-D7): occupies the download lane and reports
/// progress like a download, without the network. Debug only.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MockDownloadPayload {
    #[schema(value_type = String, example = "DEMO-001")]
    pub(crate) code: Code,
    /// How long the fake download takes, up to one hour (default 10000).
    #[serde(default = "default_mock_ms")]
    pub(crate) duration_ms: u64,
}

fn default_mock_ms() -> u64 {
    10_000
}

/// What a mock download reports.
#[derive(Debug, Clone, Serialize)]
pub(super) struct MockOutcome {
    pub(crate) code: Code,
    pub(crate) mock: bool,
    pub(crate) segments: u64,
}

struct MockDownload {
    enabled: bool,
}

const MOCK_SEGMENTS: u64 = 20;

impl TaskKind for MockDownload {
    type Payload = MockDownloadPayload;
    type Output = MockOutcome;

    fn name(&self) -> &'static str {
        "mock_download"
    }

    fn lane(&self) -> &'static str {
        DOWNLOAD_LANE
    }

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, payload: &MockDownloadPayload) -> Result<(), String> {
        if payload.duration_ms > 3_600_000 {
            return Err("`duration_ms` must be a number of milliseconds up to one hour".to_owned());
        }
        Ok(())
    }

    fn dedup_key(&self, payload: &MockDownloadPayload) -> Option<String> {
        Some(payload.code.as_str().to_owned())
    }

    fn run(
        &self,
        payload: MockDownloadPayload,
        context: TaskContext,
    ) -> BoxFuture<'static, Result<MockOutcome, TaskFailure>> {
        Box::pin(async move {
            let step = Duration::from_millis(payload.duration_ms / MOCK_SEGMENTS);
            let started = std::time::Instant::now();
            for segment in 1..=MOCK_SEGMENTS {
                tokio::select! {
                    () = tokio::time::sleep(step) => {}
                    () = context.cancel.cancelled() => return Err(TaskFailure::Cancelled),
                }
                let elapsed = started.elapsed().as_secs_f64().max(0.001);
                let bytes = segment * 1_048_576;
                let speed = bytes as f64 / elapsed;
                // The same report a real download sends (`percent`, `speed` included).
                let report = crate::download::Progress::new(
                    segment as usize,
                    MOCK_SEGMENTS as usize,
                    bytes,
                    speed,
                    Some((MOCK_SEGMENTS - segment) as f64 * step.as_secs_f64()),
                    Some((MOCK_SEGMENTS * 1_048_576) as f64),
                );
                context.progress(json!(report));
            }
            Ok(MockOutcome {
                code: payload.code,
                mock: true,
                segments: MOCK_SEGMENTS,
            })
        })
    }
}
