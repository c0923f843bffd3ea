//! Tasks: every unit of background work is a row in the database's queue, run by the
//! workers of its lane. `download` runs one task at a time across the deployment;
//! `general` runs a few. Tasks survive restarts, never run twice at once for the same
//! (kind, key), report progress, and end completed, failed or cancelled.
//!
//! [`TaskQueue`] is what the API and the scheduler call; `worker.rs` claims and runs;
//! `kind.rs` defines a kind; `kinds.rs` holds the library's kinds.

mod download_filters;
mod download_kind;
mod kind;
mod kinds;
mod maintenance_kinds;
mod plugin_kinds;
mod translate_kind;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub(crate) use download_kind::Download;
pub(crate) use kind::{GENERAL_LANE, Registry};
#[cfg(test)]
pub(crate) use kind::{TaskContext, TaskFailure, TaskKind};
pub(crate) use kinds::{
    AvatarsPayload, BatchPayload, MockDownloadPayload, RefreshPayload, library_kinds,
};
pub(crate) use maintenance_kinds::maintenance_kinds;
pub(crate) use plugin_kinds::PluginTasks;
pub(crate) use translate_kind::{Translate, TranslationTasks};

use crate::config::TasksConfig;
use crate::events::{Event, EventBus, QueueStatusEvent, TaskEvent};
use crate::store::{
    Enqueued, NewTask, Page, Priority, Store, StoreError, TaskQuery, TaskRow, TaskStatus,
};

/// How many pending tasks the queue status lists.
const STATUS_PENDING_LIMIT: u32 = 200;

/// A queue operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("unknown task type `{0}` (known: {1})")]
    UnknownKind(String, String),
    #[error("task type `{0}` is not enabled on this server")]
    KindDisabled(String),
    #[error("invalid data for {kind}: {message}")]
    BadPayload { kind: String, message: String },
    #[error("no task {0}")]
    NotFound(i64),
    #[error("task {0} is still active; cancel it first")]
    Active(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of a submit: the task, and whether it was already queued.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub task: TaskRow,
    /// True when a pending-or-running task with the same kind and key was returned.
    pub(crate) deduplicated: bool,
}

/// Running and pending tasks (N-D8).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct QueueStatus {
    pub(crate) running: Vec<TaskRow>,
    /// In the order they will run, per lane.
    pub(crate) pending: Vec<TaskRow>,
    /// Tasks by status.
    #[schema(value_type = std::collections::BTreeMap<String, u64>)]
    pub(crate) counts: HashMap<&'static str, u64>,
}

/// The queue: cheap to clone.
#[derive(Clone)]
pub struct TaskQueue {
    inner: Arc<Inner>,
}

/// A handle that does not keep the queue alive: for kinds that queue follow-up tasks
/// (the queue owns the kinds, so a strong handle would be a cycle).
#[derive(Clone)]
pub(crate) struct WeakTaskQueue {
    inner: Weak<Inner>,
}

impl WeakTaskQueue {
    /// The queue, while it exists.
    pub(crate) fn upgrade(&self) -> Option<TaskQueue> {
        self.inner.upgrade().map(|inner| TaskQueue { inner })
    }
}

struct Inner {
    store: Store,
    events: EventBus,
    registry: Registry,
    config: TasksConfig,
    /// This process's name in leases; stable across restarts of the same data directory.
    holder: String,
    /// Woken when a task is queued, so idle workers claim it at once.
    wake: Notify,
    /// Attempts running in this process, by task id.
    running: Mutex<HashMap<i64, Running>>,
    /// The kinds task plugins add, looked up after the built-in ones.
    plugin_tasks: std::sync::OnceLock<PluginTasks>,
    /// The other hosts of the deployment, when there are any (Redis).
    peers: std::sync::OnceLock<Arc<dyn Peers>>,
}

/// The other hosts sharing this queue's database, told what they would otherwise only
/// find at their next poll or heartbeat. A hint: a host that misses it still finds out.
pub(crate) trait Peers: Send + Sync {
    /// A task was queued.
    fn queued(&self);
    /// Task `id` is to be cancelled; it runs on another host.
    fn cancel(&self, id: i64);
}

struct Running {
    cancel: CancellationToken,
    progress: Arc<kind::ProgressSink>,
}

impl TaskQueue {
    pub(crate) fn new(
        store: Store,
        events: EventBus,
        registry: Registry,
        config: TasksConfig,
        holder: String,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                events,
                registry,
                config,
                holder,
                wake: Notify::new(),
                running: Mutex::new(HashMap::new()),
                plugin_tasks: std::sync::OnceLock::new(),
                peers: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Tells the other hosts of the deployment about submits and cancels (once, at
    /// start-up).
    pub(crate) fn set_peers(&self, peers: Arc<dyn Peers>) {
        let _ = self.inner.peers.set(peers);
    }

    /// Another host queued a task: idle workers here look at once.
    pub(crate) fn wake(&self) {
        self.inner.wake.notify_waiters();
    }

    /// Another host was asked to cancel task `id`: stops it if it runs here.
    pub(crate) fn cancel_here(&self, id: i64) {
        if let Some((cancel, _)) = self.running_entry(id) {
            cancel.cancel();
        }
    }

    /// Adds the kinds of task plugins (once, at start-up).
    pub(crate) fn set_plugin_tasks(&self, tasks: PluginTasks) {
        let _ = self.inner.plugin_tasks.set(tasks);
    }

    /// The kind named `name`: a built-in one, else one a task plugin adds.
    fn handler(&self, name: &str) -> Option<Arc<dyn kind::AnyKind>> {
        self.inner
            .registry
            .get(name)
            .or_else(|| self.inner.plugin_tasks.get()?.kind(name, self.downgrade()))
    }

    /// A handle that does not keep the queue alive.
    pub(crate) fn downgrade(&self) -> WeakTaskQueue {
        WeakTaskQueue {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// Each kind's name with its payload's schema name and JSON schema.
    pub(crate) fn payload_schemas(
        &self,
    ) -> Vec<(
        &'static str,
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    )> {
        self.inner
            .registry
            .all()
            .map(|kind| {
                let (name, schema) = kind.payload_schema();
                (kind.name(), name, schema)
            })
            .collect()
    }

    /// Checks `payload` as `kind` would at submit, without queueing anything (the
    /// server checks each schedule's data at start-up with it).
    pub(crate) fn check(&self, kind: &str, payload: Value) -> Result<(), TaskError> {
        self.prepare(kind, payload, false).map(drop)
    }

    /// The kind of `kind` and `payload` as it checked it; with `enabled_only`, a kind
    /// switched off is refused before its payload is read.
    fn prepare(
        &self,
        kind: &str,
        payload: Value,
        enabled_only: bool,
    ) -> Result<(Arc<dyn kind::AnyKind>, kind::Prepared), TaskError> {
        let handler = self
            .handler(kind)
            .ok_or_else(|| TaskError::UnknownKind(kind.to_owned(), self.kinds().join(", ")))?;
        if enabled_only && !handler.enabled() {
            return Err(TaskError::KindDisabled(kind.to_owned()));
        }
        let prepared = handler
            .prepare(payload)
            .map_err(|message| TaskError::BadPayload {
                kind: kind.to_owned(),
                message,
            })?;
        Ok((handler, prepared))
    }

    /// The kinds clients may submit.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut names = self.inner.registry.names();
        if let Some(plugin_tasks) = self.inner.plugin_tasks.get() {
            names.extend(
                plugin_tasks
                    .names()
                    .into_iter()
                    .filter(|name| self.inner.registry.get(name).is_none()),
            );
        }
        names
    }

    /// Queues a task of `kind` (T-C1), or returns the one already pending or running
    /// for the same thing (N-E1).
    pub async fn submit(
        &self,
        kind: &str,
        payload: Value,
        priority: Priority,
    ) -> Result<Submitted, TaskError> {
        let (handler, prepared) = self.prepare(kind, payload, true)?;
        let new = NewTask {
            kind: kind.to_owned(),
            lane: handler.lane().to_owned(),
            priority,
            dedup_key: prepared.dedup_key,
            payload: prepared.payload.to_string(),
            max_attempts: handler
                .max_attempts()
                .unwrap_or(self.inner.config.max_attempts),
            run_after: 0,
        };
        let submitted = match self.inner.store.enqueue(&new).await? {
            Enqueued::Created(task) => {
                self.inner
                    .events
                    .publish(Event::TaskQueued(task_event(&task)));
                self.inner.wake.notify_waiters();
                if let Some(peers) = self.inner.peers.get() {
                    peers.queued();
                }
                self.publish_status().await;
                Submitted {
                    task,
                    deduplicated: false,
                }
            }
            Enqueued::Existing(task) => Submitted {
                task,
                deduplicated: true,
            },
        };
        Ok(submitted)
    }

    /// One task, with its live progress when it runs here.
    pub async fn get(&self, id: i64) -> Result<TaskRow, TaskError> {
        let task = self
            .inner
            .store
            .get_task(id)
            .await?
            .ok_or(TaskError::NotFound(id))?;
        Ok(self.with_live_progress(task))
    }

    /// A page of tasks, newest first.
    pub async fn list(&self, query: &TaskQuery) -> Result<Page<TaskRow>, TaskError> {
        let mut page = self.inner.store.list_tasks(query).await?;
        page.items = page
            .items
            .into_iter()
            .map(|task| self.with_live_progress(task))
            .collect();
        Ok(page)
    }

    /// Cancels a task: a pending one leaves the queue at once; a running one stops
    /// promptly (a download between segments, keeping what it has).
    pub async fn cancel(&self, id: i64) -> Result<TaskRow, TaskError> {
        let task = self
            .inner
            .store
            .cancel_task(id)
            .await?
            .ok_or(TaskError::NotFound(id))?;
        if task.status == TaskStatus::Cancelled && task.started_at.is_none() {
            self.inner
                .events
                .publish(Event::TaskCancelled(task_event(&task)));
            self.publish_status().await;
        }
        if let Some((cancel, _)) = self.running_entry(id) {
            cancel.cancel();
        } else if task.status == TaskStatus::Running
            && let Some(peers) = self.inner.peers.get()
        {
            peers.cancel(id);
        }
        Ok(task)
    }

    /// Cancels the pending-or-running task of `kind` for `key` (a code), if any.
    pub(crate) async fn cancel_active(
        &self,
        kind: &str,
        key: &str,
    ) -> Result<Option<TaskRow>, TaskError> {
        match self.inner.store.active_task(kind, key).await? {
            Some(task) => Ok(Some(self.cancel(task.id).await?)),
            None => Ok(None),
        }
    }

    /// Removes a finished task from the list.
    pub(crate) async fn remove(&self, id: i64) -> Result<(), TaskError> {
        if self.inner.store.delete_task(id).await? {
            return Ok(());
        }
        match self.inner.store.get_task(id).await? {
            Some(_) => Err(TaskError::Active(id)),
            None => Err(TaskError::NotFound(id)),
        }
    }

    /// Running tasks with progress and pending ones in order (N-D8).
    pub(crate) async fn status(&self) -> Result<QueueStatus, TaskError> {
        let (running, pending) = self
            .inner
            .store
            .queue_snapshot(STATUS_PENDING_LIMIT)
            .await?;
        let counts = self
            .inner
            .store
            .task_counts()
            .await?
            .into_iter()
            .map(|(status, count)| (status.as_str(), count))
            .collect();
        Ok(QueueStatus {
            running: running
                .into_iter()
                .map(|task| self.with_live_progress(task))
                .collect(),
            pending,
            counts,
        })
    }

    /// Waits until the task is finished, up to `timeout`; returns it as it is then.
    pub async fn wait(&self, id: i64, timeout: Duration) -> Result<TaskRow, TaskError> {
        let mut events = self.inner.events.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let task = self.get(id).await?;
            if task.status.is_finished() {
                return Ok(task);
            }
            // An event about the task, or a periodic look (events can lag), or the end.
            let tick = tokio::time::sleep(Duration::from_millis(500));
            tokio::select! {
                _ = events.recv() => {}
                () = tick => {}
                () = tokio::time::sleep_until(deadline) => return self.get(id).await,
            }
        }
    }

    fn running_entry(&self, id: i64) -> Option<(CancellationToken, Arc<kind::ProgressSink>)> {
        let running = self.inner.running.lock().ok()?;
        running
            .get(&id)
            .map(|entry| (entry.cancel.clone(), entry.progress.clone()))
    }

    fn with_live_progress(&self, mut task: TaskRow) -> TaskRow {
        if task.status == TaskStatus::Running
            && let Some((_, progress)) = self.running_entry(task.id)
            && let Some(latest) = progress.latest()
        {
            task.progress = Some(latest);
        }
        task
    }

    async fn publish_status(&self) {
        match self.status().await {
            Ok(status) => {
                self.inner
                    .events
                    .publish(Event::QueueStatus(QueueStatusEvent {
                        running: status.running.iter().map(task_event).collect(),
                        pending: status.pending.len(),
                        counts: status
                            .counts
                            .iter()
                            .map(|(status, count)| ((*status).to_owned(), *count))
                            .collect(),
                    }));
            }
            Err(error) => tracing::warn!(%error, "queue status not published"),
        }
    }
}

/// This host's name in leases: `{hostname}-{random}`, made once and kept in
/// `<data_dir>/host-id`, so after a restart the host knows which tasks were its own.
pub(crate) fn host_id(data_dir: &std::path::Path) -> std::io::Result<String> {
    let path = data_dir.join("host-id");
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let hostname = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "kura".to_owned());
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(std::io::Error::other)?;
    let id = format!("{hostname}-{}", hex::encode(random));
    crate::fsio::write_atomic(&path, id.as_bytes(), crate::fsio::WriteOptions::new(0o644))?;
    Ok(id)
}

/// The payload of a task event: what a client shows in a queue.
fn task_event(task: &TaskRow) -> TaskEvent {
    TaskEvent {
        task_id: task.id,
        kind: task.kind.clone(),
        lane: task.lane.clone(),
        status: task.status,
        priority: task.priority,
        code: task.subject_code(),
        attempts: task.attempts,
        max_attempts: task.max_attempts,
        error: task.error.clone(),
        error_code: task.error_code,
        progress: task.progress.clone(),
        result: task.result.clone(),
    }
}
