//! Task kinds added by task plugins: each enabled task plugin's manifest names a kind and
//! its payload's JSON schema; the queue looks them up by name beside the built-in kinds,
//! checks payloads against the schema at submit, and runs an attempt as one call of the
//! plugin, whose imports reach this task's progress and cancellation, the queue and the
//! library through [`QueueLink`].

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::kind::{AnyKind, GENERAL_LANE, Prepared, TaskContext, TaskFailure};
use super::{Priority, WeakTaskQueue};
use crate::error_code::ErrorCode;
use crate::library::Library;
use crate::plugins::{CallError, LibraryItem, LibraryQuery, PluginError, PluginHost, TaskLink};
use crate::store::{ResourceQuery, search_term_problem};

/// The kinds a task plugin may queue: library work. Maintenance (backups, checks that
/// delete files, database upgrades) stays the operator's, and a plugin never queues its
/// own kind (no self-perpetuating chains).
const SUBMITTABLE: &[&str] = &[
    "add_resource",
    "refresh_resource",
    "download",
    "translate",
    "person_avatars",
];

/// Most tasks one attempt may queue.
const MAX_SUBMITS_PER_ATTEMPT: u32 = 10_000;

/// Largest payload a plugin may queue a task with.
const MAX_SUBMIT_PAYLOAD_BYTES: usize = 64 * 1024;

/// The task kinds of the loaded task plugins.
#[derive(Clone)]
pub(crate) struct PluginTasks {
    plugins: PluginHost,
    library: Library,
}

impl PluginTasks {
    pub(crate) fn new(plugins: PluginHost, library: Library) -> Self {
        Self { plugins, library }
    }

    /// The names of the kinds enabled task plugins add.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.plugins
            .task_plugins()
            .iter()
            .filter_map(|plugin| Some(intern(&plugin.manifest.task.as_ref()?.name)))
            .collect()
    }

    /// The kind `name`, when an enabled task plugin adds it.
    pub(crate) fn kind(&self, name: &str, queue: WeakTaskQueue) -> Option<Arc<dyn AnyKind>> {
        let loaded = self.plugins.task_plugins().into_iter().find(|plugin| {
            plugin
                .manifest
                .task
                .as_ref()
                .is_some_and(|t| t.name == name)
        })?;
        let spec = loaded.manifest.task.as_ref()?;
        Some(Arc::new(PluginTask {
            name: intern(&spec.name),
            plugin: loaded.name().to_owned(),
            schema: spec.payload_schema.clone(),
            validator: loaded.task_schema.clone()?,
            plugins: self.plugins.clone(),
            library: self.library.clone(),
            queue,
        }))
    }
}

/// Kind names live as long as the process (the queue's kinds are `&'static str`); they are
/// interned once each, so the memory is bounded by the distinct names ever loaded.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// One plugin-added kind, as the queue uses it.
struct PluginTask {
    name: &'static str,
    plugin: String,
    /// The payload schema, for the API description.
    schema: Value,
    /// The same, compiled when the plugin version was loaded.
    validator: Arc<jsonschema::Validator>,
    plugins: PluginHost,
    library: Library,
    queue: WeakTaskQueue,
}

impl AnyKind for PluginTask {
    fn name(&self) -> &'static str {
        self.name
    }

    fn lane(&self) -> &'static str {
        GENERAL_LANE
    }

    fn max_attempts(&self) -> Option<u32> {
        None
    }

    fn enabled(&self) -> bool {
        true
    }

    fn prepare(&self, payload: Value) -> Result<Prepared, String> {
        let payload = match payload {
            Value::Null => Value::Object(serde_json::Map::new()),
            payload => payload,
        };
        if let Some(error) = self.validator.iter_errors(&payload).next() {
            let at = error.instance_path().to_string();
            return Err(if at.is_empty() {
                error.to_string()
            } else {
                format!("{at}: {error}")
            });
        }
        Ok(Prepared {
            payload,
            dedup_key: None,
        })
    }

    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let plugins = self.plugins.clone();
        let plugin = self.plugin.clone();
        let cancel = context.cancel.clone();
        let link: Arc<dyn TaskLink> = Arc::new(QueueLink {
            context: context.clone(),
            library: self.library.clone(),
            queue: self.queue.clone(),
            submitted: std::sync::atomic::AtomicU32::new(0),
        });
        Box::pin(async move {
            let payload = context.task.payload.to_string();
            let outcome = plugins
                .run_task(&plugin, &payload, Some(link), Some(cancel.clone()))
                .await;
            if cancel.is_cancelled() {
                return Err(TaskFailure::Cancelled);
            }
            match outcome {
                Ok(result) => Ok(serde_json::from_str(&result).unwrap_or(Value::String(result))),
                Err(error) => Err(failure(&plugin, error)),
            }
        })
    }

    fn payload_schema(
        &self,
    ) -> (
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    ) {
        let schema = serde_json::from_value(self.schema.clone()).unwrap_or_default();
        (
            format!("{} payload", self.name),
            utoipa::openapi::RefOr::T(schema),
        )
    }
}

/// Which plugin failures another attempt may fix: the network, a block, a limit hit,
/// a plugin swapped out for a moment.
fn failure(plugin: &str, error: CallError) -> TaskFailure {
    let code = ErrorCode::TaskFailed;
    let message = format!("{plugin}: {error}");
    match error {
        CallError::Plugin(PluginError::Network(_) | PluginError::Blocked(_))
        | CallError::Timeout(_)
        | CallError::NotLoaded(_)
        | CallError::ShuttingDown => TaskFailure::Retry { code, message },
        _ => TaskFailure::Fatal { code, message },
    }
}

/// What a running plugin task's imports reach: its own progress and cancellation, the
/// queue (to submit more tasks) and the library (read only).
struct QueueLink {
    context: TaskContext,
    library: Library,
    queue: WeakTaskQueue,
    /// Tasks this attempt has queued.
    submitted: std::sync::atomic::AtomicU32,
}

impl TaskLink for QueueLink {
    fn progress(&self, done: u64, total: Option<u64>, message: String) {
        let percent = total
            .filter(|total| *total > 0)
            .map(|total| (done as f64 * 1000.0 / total as f64).round() / 10.0);
        self.context.progress(serde_json::json!({
            "done": done,
            "total": total,
            "percent": percent,
            "message": message,
        }));
    }

    fn cancelled(&self) -> bool {
        self.context.cancel.is_cancelled()
    }

    fn submit(&self, kind: String, payload: String) -> BoxFuture<'_, Result<u64, String>> {
        Box::pin(async move {
            if !SUBMITTABLE.contains(&kind.as_str()) {
                return Err(format!(
                    "a task plugin may queue {} only, not `{kind}`",
                    SUBMITTABLE.join(", ")
                ));
            }
            if payload.len() > MAX_SUBMIT_PAYLOAD_BYTES {
                return Err(format!(
                    "the payload is over {MAX_SUBMIT_PAYLOAD_BYTES} bytes"
                ));
            }
            let count = self
                .submitted
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if count >= MAX_SUBMITS_PER_ATTEMPT {
                return Err(format!(
                    "an attempt may queue at most {MAX_SUBMITS_PER_ATTEMPT} tasks"
                ));
            }
            let queue = self
                .queue
                .upgrade()
                .ok_or_else(|| "the server is shutting down".to_owned())?;
            let payload: Value = serde_json::from_str(&payload)
                .map_err(|error| format!("the payload is not JSON: {error}"))?;
            let submitted = queue
                .submit(&kind, payload, Priority::Normal)
                .await
                .map_err(|error| error.to_string())?;
            u64::try_from(submitted.task.id).map_err(|error| error.to_string())
        })
    }

    fn find(
        &self,
        query: LibraryQuery,
        page: u32,
        page_size: u32,
    ) -> BoxFuture<'_, Result<Vec<LibraryItem>, String>> {
        Box::pin(async move {
            if let Some(problem) = query.search.as_deref().and_then(search_term_problem) {
                return Err(problem);
            }
            let query = ResourceQuery {
                search: query.search,
                downloaded: query.downloaded,
                source: query.source,
                page,
                page_size,
                ..ResourceQuery::default()
            };
            let found = self
                .library
                .store()
                .list_resources(&query)
                .await
                .map_err(|error| error.to_string())?;
            Ok(found
                .items
                .into_iter()
                .map(|row| LibraryItem {
                    code: row.code,
                    title: row.title_source,
                    source: row.source_plugin,
                    downloaded: row.has_video,
                    updated_at_ms: row.updated_at,
                })
                .collect())
        })
    }
}
