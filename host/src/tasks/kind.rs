//! What a task kind is: its lane, attempts, how it checks a payload and names its dedup
//! key, and how it runs. Kinds are registered in one place ([`Registry`]) so new ones
//! (translation, backups, checks, task plugins later) slot in without touching the queue.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::error_code::ErrorCode;
use crate::events::{Event, EventBus, ProgressEvent};
use crate::store::{Lease, Store, TaskRow};

/// The lane that runs one task at a time across the whole deployment (N-D2).
pub(crate) const DOWNLOAD_LANE: &str = "download";
/// The lane for everything else, a few at once.
pub(crate) const GENERAL_LANE: &str = "general";

/// How often progress reaches the event bus, and the database.
const EVENT_INTERVAL: Duration = Duration::from_millis(250);
const STORE_INTERVAL: Duration = Duration::from_millis(1000);

/// A payload checked by its kind, as the queue stores it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prepared {
    /// The payload as it will be stored (codes normalised, defaults filled in).
    pub(crate) payload: Value,
    /// At most one pending-or-running task per (kind, key).
    pub(crate) dedup_key: Option<String>,
}

/// Why an attempt did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TaskFailure {
    /// Worth another attempt (a dead site, a timeout).
    #[error("{message}")]
    Retry { code: ErrorCode, message: String },
    /// Another attempt would fail the same way (no source knows the code).
    #[error("{message}")]
    Fatal { code: ErrorCode, message: String },
    /// Like `Fatal` or `Retry` (by `retry`), with what the attempt found kept as the
    /// task's result for clients to show (the lookups of a code no source knows).
    #[error("{message}")]
    WithDetails {
        code: ErrorCode,
        message: String,
        retry: bool,
        details: serde_json::Value,
    },
    /// The task's cancellation token fired.
    #[error("cancelled")]
    Cancelled,
}

impl TaskFailure {
    /// A failure worth another attempt, with the generic `task_failed` code.
    pub(crate) fn retry(message: impl Into<String>) -> Self {
        Self::Retry {
            code: ErrorCode::TaskFailed,
            message: message.into(),
        }
    }

    /// A failure another attempt would repeat, with the generic `task_failed` code.
    pub(crate) fn fatal(message: impl Into<String>) -> Self {
        Self::Fatal {
            code: ErrorCode::TaskFailed,
            message: message.into(),
        }
    }
}

/// A kind of task, with its payload and result types.
///
/// The payload is deserialized once at submit (unknown fields refused; an error names
/// the field), checked, stored as JSON, and handed to [`TaskKind::run`] as the type.
pub(crate) trait TaskKind: Send + Sync + 'static {
    /// What a client sends as `data`; serde defaults fill what it leaves out.
    type Payload: Serialize + DeserializeOwned + utoipa::ToSchema + Send + 'static;
    /// What a completed task reports as its `result`.
    type Output: Serialize + Send + 'static;
    /// The name clients use (`type` in the API).
    fn name(&self) -> &'static str;
    /// [`DOWNLOAD_LANE`] or [`GENERAL_LANE`].
    fn lane(&self) -> &'static str {
        GENERAL_LANE
    }
    /// Attempts before the task ends failed; None: the configured default.
    fn max_attempts(&self) -> Option<u32> {
        None
    }
    /// Whether clients may submit it (a debug-only kind says no unless enabled).
    fn enabled(&self) -> bool {
        true
    }
    /// What serde cannot check (ranges, list lengths): a clear message for a bad one.
    fn check(&self, _payload: &Self::Payload) -> Result<(), String> {
        Ok(())
    }
    /// At most one pending-or-running task per (kind, key); None: no dedup.
    fn dedup_key(&self, payload: &Self::Payload) -> Option<String>;
    /// Runs one attempt.
    fn run(
        &self,
        payload: Self::Payload,
        context: TaskContext,
    ) -> BoxFuture<'static, Result<Self::Output, TaskFailure>>;
}

/// A kind as the registry holds it: payloads and results as JSON at the edges, the
/// kind's own types inside.
pub(crate) trait AnyKind: Send + Sync {
    fn name(&self) -> &'static str;
    fn lane(&self) -> &'static str;
    fn max_attempts(&self) -> Option<u32>;
    fn enabled(&self) -> bool;
    /// Deserializes and checks a client's payload.
    fn prepare(&self, payload: Value) -> Result<Prepared, String>;
    /// Runs one attempt on the stored payload.
    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>>;
    /// The payload's JSON schema (name, schema), for the OpenAPI document.
    fn payload_schema(
        &self,
    ) -> (
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    );
}

/// Reads `value` as `T`; an error names the field (`items[2].code: ...`). No data at
/// all reads as `{}`, so a payload whose fields all have defaults may be left out.
pub(crate) fn parse_payload<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    let value = match value {
        Value::Null => Value::Object(serde_json::Map::new()),
        value => value,
    };
    serde_path_to_error::deserialize(value).map_err(|error| crate::util::field_error(&error))
}

impl<K: TaskKind> AnyKind for K {
    fn name(&self) -> &'static str {
        TaskKind::name(self)
    }

    fn lane(&self) -> &'static str {
        TaskKind::lane(self)
    }

    fn max_attempts(&self) -> Option<u32> {
        TaskKind::max_attempts(self)
    }

    fn enabled(&self) -> bool {
        TaskKind::enabled(self)
    }

    fn prepare(&self, payload: Value) -> Result<Prepared, String> {
        let payload: K::Payload = parse_payload(payload)?;
        self.check(&payload)?;
        Ok(Prepared {
            dedup_key: self.dedup_key(&payload),
            payload: serde_json::to_value(&payload).map_err(|error| error.to_string())?,
        })
    }

    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let payload = match parse_payload::<K::Payload>(context.task.payload.clone()) {
            Ok(payload) => payload,
            Err(message) => {
                // Stored by another version of the kind: another attempt reads it the same.
                let failure = TaskFailure::Fatal {
                    code: ErrorCode::BadTaskData,
                    message: format!("stored data no longer fits `{}`: {message}", self.name()),
                };
                return Box::pin(std::future::ready(Err(failure)));
            }
        };
        let attempt = TaskKind::run(self, payload, context);
        Box::pin(async move {
            let output = attempt.await?;
            serde_json::to_value(output).map_err(|error| TaskFailure::fatal(error.to_string()))
        })
    }

    fn payload_schema(
        &self,
    ) -> (
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    ) {
        (
            <K::Payload as utoipa::ToSchema>::name().into_owned(),
            <K::Payload as utoipa::PartialSchema>::schema(),
        )
    }
}

/// Every kind by name.
#[derive(Clone, Default)]
pub(crate) struct Registry {
    kinds: BTreeMap<&'static str, Arc<dyn AnyKind>>,
}

impl Registry {
    /// Adds a kind; a second kind of the same name replaces the first.
    pub(crate) fn register(&mut self, kind: impl TaskKind) {
        self.kinds.insert(TaskKind::name(&kind), Arc::new(kind));
    }

    pub(crate) fn get(&self, name: &str) -> Option<Arc<dyn AnyKind>> {
        self.kinds.get(name).cloned()
    }

    /// Every kind, by name.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<dyn AnyKind>> {
        self.kinds.values()
    }

    /// Names of the kinds clients may submit.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.kinds
            .values()
            .filter(|kind| kind.enabled())
            .map(|kind| kind.name())
            .collect()
    }
}

/// What a running attempt gets: its task, a cancellation token, and a progress sink.
#[derive(Clone)]
pub(crate) struct TaskContext {
    pub(crate) task: TaskRow,
    pub(crate) cancel: CancellationToken,
    progress: Arc<ProgressSink>,
}

impl TaskContext {
    pub(super) fn new(
        task: TaskRow,
        cancel: CancellationToken,
        progress: Arc<ProgressSink>,
    ) -> Self {
        Self {
            task,
            cancel,
            progress,
        }
    }

    /// Reports progress (any JSON object). Throttled: a few events a second reach the
    /// clients and about one a second the database; call it as often as is convenient.
    pub(crate) fn progress(&self, progress: Value) {
        self.progress.report(progress, false);
    }

    /// Reports progress now, unthrottled (the last figure before the end).
    pub(crate) fn progress_now(&self, progress: Value) {
        self.progress.report(progress, true);
    }

    /// Fails with [`TaskFailure::Cancelled`] when the task was cancelled.
    pub(crate) fn check_cancelled(&self) -> Result<(), TaskFailure> {
        if self.cancel.is_cancelled() {
            Err(TaskFailure::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Progress of one running attempt: events throttled, database writes throttled more and
/// fenced by the lease.
pub(super) struct ProgressSink {
    lease: Lease,
    kind: String,
    code: Option<String>,
    store: Store,
    events: EventBus,
    state: Mutex<SinkState>,
}

#[derive(Default)]
struct SinkState {
    last_event: Option<Instant>,
    last_store: Option<Instant>,
    latest: Option<Value>,
}

impl ProgressSink {
    pub(super) fn new(lease: Lease, task: &TaskRow, store: Store, events: EventBus) -> Self {
        Self {
            lease,
            kind: task.kind.clone(),
            code: task.subject_code(),
            store,
            events,
            state: Mutex::new(SinkState::default()),
        }
    }

    /// The last progress reported, for the queue status.
    pub(super) fn latest(&self) -> Option<Value> {
        self.state
            .lock()
            .ok()
            .and_then(|state| state.latest.clone())
    }

    fn report(&self, progress: Value, force: bool) {
        let now = Instant::now();
        let (publish, persist) = {
            let Ok(mut state) = self.state.lock() else {
                return;
            };
            state.latest = Some(progress.clone());
            let due = |last: Option<Instant>, every: Duration| {
                force || last.is_none_or(|last| now.duration_since(last) >= every)
            };
            let publish = due(state.last_event, EVENT_INTERVAL);
            let persist = due(state.last_store, STORE_INTERVAL);
            if publish {
                state.last_event = Some(now);
            }
            if persist {
                state.last_store = Some(now);
            }
            (publish, persist)
        };
        if publish {
            self.events.publish(Event::ProgressUpdate(ProgressEvent {
                task_id: self.lease.task_id,
                kind: self.kind.clone(),
                code: self.code.clone(),
                avid: self.code.clone(),
                percent: progress.get("percent").and_then(Value::as_f64),
                speed: progress
                    .get("speed")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                progress: progress.clone(),
            }));
        }
        if persist {
            let store = self.store.clone();
            let lease = self.lease.clone();
            let text = progress.to_string();
            tokio::spawn(async move {
                if let Err(error) = store.set_task_progress(&lease, &text).await {
                    tracing::debug!(task_id = lease.task_id, %error, "progress not stored");
                }
            });
        }
    }
}
