//! The library's task kinds: add a resource, refresh one, a batch, person avatars, and
//! the debug-only mock download (N-D7). Each checks its payload (codes normalised, so the
//! dedup key is the canonical code) and maps library errors to retry or not.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::kind::{DOWNLOAD_LANE, Prepared, Registry, TaskContext, TaskFailure, TaskKind};
use crate::code::{Code, normalize};
use crate::library::{Library, LibraryError, RefreshOptions};

/// Most items one batch task takes.
pub const MAX_BATCH_ITEMS: usize = 500;

/// The library's kinds, registered together.
pub fn library_kinds(registry: &mut Registry, library: &Library, mock_downloads: bool) {
    registry.register(AddResource(library.clone()));
    registry.register(RefreshResource(library.clone()));
    registry.register(Batch(library.clone()));
    registry.register(PersonAvatars(library.clone()));
    registry.register(MockDownload {
        enabled: mock_downloads,
    });
}

fn code_of(payload: &Value) -> Result<Code, String> {
    let text = payload["code"]
        .as_str()
        .ok_or("`code` (a string) is required")?;
    normalize(text).map_err(|error| error.to_string())
}

fn code_in(context: &TaskContext) -> Result<Code, TaskFailure> {
    code_of(&context.task.payload).map_err(TaskFailure::Fatal)
}

/// Not-found (every source said so) and bad input are final; a source that errored,
/// storage and media trouble are retried.
/// The stable error code leads the message (`code_not_found: ...`), so the API can map
/// a failed task to the same error a synchronous call would give.
fn failure(error: LibraryError) -> TaskFailure {
    match &error {
        // A source that errored (a dead site) may know the code once it is back.
        LibraryError::NotFound { lookups, .. }
            if lookups.iter().any(|lookup| lookup.outcome == "error") =>
        {
            TaskFailure::Retry(format!("code_not_found: {error}"))
        }
        LibraryError::NotFound { .. } => TaskFailure::Fatal(format!("code_not_found: {error}")),
        LibraryError::NotInLibrary(_) => TaskFailure::Fatal(format!("resource_not_found: {error}")),
        LibraryError::Store(_) | LibraryError::Media(_) => TaskFailure::Retry(error.to_string()),
    }
}

fn refresh_options(payload: &Value) -> Result<RefreshOptions, String> {
    let defaults = RefreshOptions::default();
    let switch = |key: &str, default: bool| match &payload[key] {
        Value::Null => Ok(default),
        Value::Bool(value) => Ok(*value),
        _ => Err(format!("`{key}` must be true or false")),
    };
    Ok(RefreshOptions {
        refresh_m3u8: switch("refresh_m3u8", defaults.refresh_m3u8)?,
        refresh_metadata: switch("refresh_metadata", defaults.refresh_metadata)?,
        retranslate: switch("retranslate", defaults.retranslate)?,
    })
}

/// `add_resource {code}` (N-H7).
struct AddResource(Library);

impl TaskKind for AddResource {
    fn name(&self) -> &'static str {
        "add_resource"
    }

    fn prepare(&self, payload: Value) -> Result<Prepared, String> {
        let code = code_of(&payload)?;
        Ok(Prepared {
            payload: json!({ "code": code.as_str() }),
            dedup_key: Some(code.as_str().to_owned()),
        })
    }

    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let library = self.0.clone();
        Box::pin(async move {
            let code = code_in(&context)?;
            let report = library.add(&code).await.map_err(failure)?;
            serde_json::to_value(report).map_err(|error| TaskFailure::Fatal(error.to_string()))
        })
    }
}

/// `refresh_resource {code, refresh_m3u8?, refresh_metadata?, retranslate?}` (N-H8).
struct RefreshResource(Library);

impl TaskKind for RefreshResource {
    fn name(&self) -> &'static str {
        "refresh_resource"
    }

    fn prepare(&self, payload: Value) -> Result<Prepared, String> {
        let code = code_of(&payload)?;
        let options = refresh_options(&payload)?;
        Ok(Prepared {
            payload: json!({
                "code": code.as_str(),
                "refresh_m3u8": options.refresh_m3u8,
                "refresh_metadata": options.refresh_metadata,
                "retranslate": options.retranslate,
            }),
            dedup_key: Some(code.as_str().to_owned()),
        })
    }

    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let library = self.0.clone();
        Box::pin(async move {
            let code = code_in(&context)?;
            let options = refresh_options(&context.task.payload).map_err(TaskFailure::Fatal)?;
            let report = library.refresh(&code, options).await.map_err(failure)?;
            serde_json::to_value(report).map_err(|error| TaskFailure::Fatal(error.to_string()))
        })
    }
}

/// `batch {items: [{action: add|refresh|delete, code, switches...}]}` (N-H10): every item
/// runs; the result lists each item's outcome. Items already done are not repeated when
/// the batch is retried after a crash (their outcomes are in the progress).
struct Batch(Library);

impl TaskKind for Batch {
    fn name(&self) -> &'static str {
        "batch"
    }

    fn max_attempts(&self) -> Option<u32> {
        Some(1)
    }

    fn prepare(&self, payload: Value) -> Result<Prepared, String> {
        let items = payload["items"]
            .as_array()
            .ok_or("`items` (a list) is required")?;
        if items.is_empty() || items.len() > MAX_BATCH_ITEMS {
            return Err(format!("between 1 and {MAX_BATCH_ITEMS} items"));
        }
        // Items are checked one by one when the batch runs: a bad item fails alone and
        // the others still run (N-H10). Only the shape is checked here.
        if let Some(index) = items.iter().position(|item| !item.is_object()) {
            return Err(format!("item {index} is not an object"));
        }
        Ok(Prepared {
            payload: json!({ "items": items }),
            dedup_key: None,
        })
    }

    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let library = self.0.clone();
        Box::pin(async move {
            let items = context.task.payload["items"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let total = items.len();
            let mut results = Vec::with_capacity(total);
            for (done, item) in items.iter().enumerate() {
                context.check_cancelled()?;
                let outcome = batch_item(&library, item).await;
                results.push(match outcome {
                    Ok(()) => json!({ "input": item["code"], "action": item["action"], "ok": true }),
                    Err(message) => json!({
                        "input": item["code"], "action": item["action"], "ok": false, "error": message,
                    }),
                });
                context.progress(json!({ "done": done + 1, "total": total }));
            }
            let failed = results.iter().filter(|r| r["ok"] == false).count();
            Ok(json!({ "results": results, "failed": failed }))
        })
    }
}

async fn batch_item(library: &Library, item: &Value) -> Result<(), String> {
    let code = code_of(item)?;
    if !matches!(item["action"].as_str(), Some("add" | "refresh" | "delete")) {
        return Err(format!(
            "unknown action {} (add, refresh or delete)",
            item["action"]
        ));
    }
    match item["action"].as_str() {
        Some("add") => library.add(&code).await.map(drop),
        Some("refresh") => {
            let options = refresh_options(item)?;
            library.refresh(&code, options).await.map(drop)
        }
        Some("delete") => library.delete(&code).await,
        _ => return Err("`action` must be add, refresh or delete".to_owned()),
    }
    .map_err(|error| error.to_string())
}

/// `person_avatars {limit?}` (N-B3): fetches avatars for people who have none.
struct PersonAvatars(Library);

impl TaskKind for PersonAvatars {
    fn name(&self) -> &'static str {
        "person_avatars"
    }

    fn prepare(&self, payload: Value) -> Result<Prepared, String> {
        let limit = match &payload["limit"] {
            Value::Null => 1000,
            value => value
                .as_u64()
                .filter(|limit| (1..=100_000).contains(limit))
                .ok_or("`limit` must be a number from 1 to 100000")?,
        };
        Ok(Prepared {
            payload: json!({ "limit": limit }),
            dedup_key: Some("all".to_owned()),
        })
    }

    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let library = self.0.clone();
        Box::pin(async move {
            let limit = context.task.payload["limit"].as_u64().unwrap_or(1000) as u32;
            let report = library
                .backfill_avatars(limit, &context.cancel, |done, total| {
                    context.progress(json!({ "done": done, "total": total }));
                })
                .await
                .map_err(failure)?;
            context.check_cancelled()?;
            serde_json::to_value(report).map_err(|error| TaskFailure::Fatal(error.to_string()))
        })
    }
}

/// `mock_download {code, duration_ms?}` (N-D7): occupies the download lane and reports
/// progress like a download, without the network. Debug only.
struct MockDownload {
    enabled: bool,
}

const MOCK_SEGMENTS: u64 = 20;

impl TaskKind for MockDownload {
    fn name(&self) -> &'static str {
        "mock_download"
    }

    fn lane(&self) -> &'static str {
        DOWNLOAD_LANE
    }

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn prepare(&self, payload: Value) -> Result<Prepared, String> {
        let code = code_of(&payload)?;
        let duration_ms = match &payload["duration_ms"] {
            Value::Null => 10_000,
            value => value
                .as_u64()
                .filter(|ms| *ms <= 3_600_000)
                .ok_or("`duration_ms` must be a number of milliseconds up to one hour")?,
        };
        Ok(Prepared {
            payload: json!({ "code": code.as_str(), "duration_ms": duration_ms }),
            dedup_key: Some(code.as_str().to_owned()),
        })
    }

    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        Box::pin(async move {
            let duration_ms = context.task.payload["duration_ms"]
                .as_u64()
                .unwrap_or(10_000);
            let step = Duration::from_millis(duration_ms / MOCK_SEGMENTS);
            let started = std::time::Instant::now();
            for segment in 1..=MOCK_SEGMENTS {
                tokio::select! {
                    () = tokio::time::sleep(step) => {}
                    () = context.cancel.cancelled() => return Err(TaskFailure::Cancelled),
                }
                let elapsed = started.elapsed().as_secs_f64().max(0.001);
                let bytes = segment * 1_048_576;
                let speed = bytes as f64 / elapsed;
                context.progress(json!({
                    "segments_done": segment,
                    "segments_total": MOCK_SEGMENTS,
                    "bytes": bytes,
                    "bytes_per_second": speed,
                    "eta_seconds": (MOCK_SEGMENTS - segment) as f64 * step.as_secs_f64(),
                }));
            }
            Ok(
                json!({ "code": context.task.payload["code"], "mock": true, "segments": MOCK_SEGMENTS }),
            )
        })
    }
}
