//! `kura tasks list | show ID | cancel ID | retry ID`: the task queue read and changed in
//! the database directly, for when the server is down (or another host runs it). A
//! server on the same database sees the changes: a cancelled running task stops at its
//! next heartbeat, a retried one is claimed at the next poll.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::config::Config;
use crate::store::{Enqueued, NewTask, Store, TaskQuery, TaskRow, TaskStatus};

/// `kura tasks` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TasksCommand {
    /// Tasks, newest first: id, status, kind, code, attempts, when, error.
    List {
        /// Only tasks with this status (pending, running, completed, failed, cancelled).
        #[arg(long)]
        status: Option<TaskStatus>,
        /// Only tasks of this kind (`download`, `add_resource`...).
        #[arg(long)]
        kind: Option<String>,
        /// At most this many (1 to 1000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// One task in full, as JSON (payload, progress, result, error).
    Show { id: i64 },
    /// Cancels a pending task at once; a running one stops at its next heartbeat.
    Cancel { id: i64 },
    /// Queues a failed or cancelled task again: a new task of the same kind, priority
    /// and data (or the one already queued for the same thing).
    Retry { id: i64 },
}

/// Runs one `kura tasks` command.
pub(super) async fn run(config: &Config, command: TasksCommand) -> anyhow::Result<ExitCode> {
    let store = super::database::open_existing(config, true).await?;
    let result = run_on(&store, command).await;
    store.close().await;
    result
}

async fn run_on(store: &Store, command: TasksCommand) -> anyhow::Result<ExitCode> {
    match command {
        TasksCommand::List {
            status,
            kind,
            limit,
        } => {
            anyhow::ensure!((1..=1000).contains(&limit), "--limit is 1 to 1000");
            let page = store
                .list_tasks(&TaskQuery {
                    status,
                    kind,
                    lane: None,
                    page: 1,
                    page_size: limit,
                })
                .await?;
            println!(
                "{:>7}  {:<9}  {:<18}  {:<12}  {:>8}  {:<20}  error",
                "id", "status", "kind", "code", "attempts", "updated (UTC)"
            );
            for task in &page.items {
                println!("{}", line(task));
            }
            println!("{} of {} task(s)", page.items.len(), page.total);
            Ok(ExitCode::SUCCESS)
        }
        TasksCommand::Show { id } => {
            let task = found(store, id).await?;
            println!("{}", serde_json::to_string_pretty(&task)?);
            Ok(ExitCode::SUCCESS)
        }
        TasksCommand::Cancel { id } => {
            let before = found(store, id).await?;
            anyhow::ensure!(
                !before.status.is_finished(),
                "task {id} is already {}",
                before.status
            );
            let task = store
                .cancel_task(id)
                .await?
                .with_context(|| format!("task {id} is gone"))?;
            if task.status == TaskStatus::Running {
                println!(
                    "task {id} ({}) is running: cancellation requested; it stops at its next heartbeat",
                    task.kind
                );
            } else {
                println!("task {id} ({}) is {}", task.kind, task.status);
            }
            Ok(ExitCode::SUCCESS)
        }
        TasksCommand::Retry { id } => {
            let task = found(store, id).await?;
            anyhow::ensure!(
                matches!(task.status, TaskStatus::Failed | TaskStatus::Cancelled),
                "task {id} is {}: only a failed or cancelled task is retried",
                task.status
            );
            let again = NewTask {
                kind: task.kind.clone(),
                lane: task.lane.clone(),
                priority: task.priority,
                dedup_key: task.dedup_key.clone(),
                payload: task.payload.to_string(),
                max_attempts: task.max_attempts,
                run_after: crate::store::now_ms(),
            };
            match store.enqueue(&again).await? {
                Enqueued::Created(new) => {
                    println!("task {id} queued again as task {} ({})", new.id, new.kind)
                }
                Enqueued::Existing(existing) => println!(
                    "task {} ({}) is already {} for the same thing",
                    existing.id, existing.kind, existing.status
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn found(store: &Store, id: i64) -> anyhow::Result<TaskRow> {
    store
        .get_task(id)
        .await?
        .with_context(|| format!("no task {id}"))
}

/// One row of `kura tasks list`.
fn line(task: &TaskRow) -> String {
    let when = chrono::DateTime::from_timestamp_millis(task.updated_at)
        .map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default();
    let error: String = task
        .error
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(60)
        .collect();
    format!(
        "{:>7}  {:<9}  {:<18}  {:<12}  {:>8}  {:<20}  {error}",
        task.id,
        task.status.to_string(),
        task.kind,
        task.subject_code().unwrap_or_default(),
        format!("{}/{}", task.attempts, task.max_attempts),
        when,
    )
}
