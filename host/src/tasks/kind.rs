//! What a task kind is: its lane, attempts, how it checks a payload and names its dedup
//! key, and how it runs. Kinds are registered in one place ([`Registry`]) so new ones
//! (translation, backups, checks, task plugins later) slot in without touching the queue.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::events::EventBus;
use crate::store::{Lease, Store, TaskRow};

/// The lane that runs one task at a time across the whole deployment (N-D2).
pub const DOWNLOAD_LANE: &str = "download";
/// The lane for everything else, a few at once.
pub const GENERAL_LANE: &str = "general";

/// How often progress reaches the event bus, and the database.
const EVENT_INTERVAL: Duration = Duration::from_millis(250);
const STORE_INTERVAL: Duration = Duration::from_millis(1000);

/// A payload checked by its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The payload as it will be stored (codes normalised, defaults filled in).
    pub payload: Value,
    /// At most one pending-or-running task per (kind, key).
    pub dedup_key: Option<String>,
}

/// Why an attempt did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskFailure {
    /// Worth another attempt (a dead site, a timeout).
    #[error("{0}")]
    Retry(String),
    /// Another attempt would fail the same way (no source knows the code).
    #[error("{0}")]
    Fatal(String),
    /// The task's cancellation token fired.
    #[error("cancelled")]
    Cancelled,
}

/// A kind of task.
pub trait TaskKind: Send + Sync + 'static {
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
    /// Checks a payload: a clear message for a bad one.
    fn prepare(&self, payload: Value) -> Result<Prepared, String>;
    /// Runs one attempt.
    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>>;
}

/// Every kind by name.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, Arc<dyn TaskKind>>,
}

impl Registry {
    /// Adds a kind; a second kind of the same name replaces the first.
    pub fn register(&mut self, kind: impl TaskKind) {
        self.kinds.insert(kind.name(), Arc::new(kind));
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn TaskKind>> {
        self.kinds.get(name).cloned()
    }

    /// Names of the kinds clients may submit.
    pub fn names(&self) -> Vec<&'static str> {
        self.kinds
            .values()
            .filter(|kind| kind.enabled())
            .map(|kind| kind.name())
            .collect()
    }
}

/// What a running attempt gets: its task, a cancellation token, and a progress sink.
#[derive(Clone)]
pub struct TaskContext {
    pub task: TaskRow,
    pub cancel: CancellationToken,
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

    /// The payload's string field `key`.
    pub fn text(&self, key: &str) -> Result<String, TaskFailure> {
        self.task.payload[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| TaskFailure::Fatal(format!("payload has no `{key}`")))
    }

    /// Reports progress (any JSON object). Throttled: a few events a second reach the
    /// clients and about one a second the database; call it as often as is convenient.
    pub fn progress(&self, progress: Value) {
        self.progress.report(progress, false);
    }

    /// Reports progress now, unthrottled (the last figure before the end).
    pub fn progress_now(&self, progress: Value) {
        self.progress.report(progress, true);
    }

    /// Fails with [`TaskFailure::Cancelled`] when the task was cancelled.
    pub fn check_cancelled(&self) -> Result<(), TaskFailure> {
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
            code: task.payload["code"].as_str().map(str::to_owned),
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
            self.events.publish(
                "progress_update",
                json!({
                    "task_id": self.lease.task_id,
                    "kind": self.kind,
                    "code": self.code,
                    "progress": progress,
                }),
            );
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
