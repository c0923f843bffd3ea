//! The queue's guarantees on both backends: priority then FIFO, dedup under concurrent
//! submits, the serial lane, fencing of stale attempts, retries and the reaper.

use super::*;

fn new_task(kind: &str, lane: &str, priority: Priority, key: Option<&str>) -> NewTask {
    NewTask {
        kind: kind.to_owned(),
        lane: lane.to_owned(),
        priority,
        dedup_key: key.map(str::to_owned),
        payload: "{}".to_owned(),
        max_attempts: 2,
        run_after: 0,
    }
}

fn lease(task: &TaskRow, holder: &str) -> Lease {
    Lease {
        task_id: task.id,
        attempt: task.attempts,
        holder: holder.to_owned(),
    }
}

#[tokio::test]
async fn claims_by_priority_then_age() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let mut ids = Vec::new();
        for priority in [
            Priority::Low,
            Priority::Normal,
            Priority::Urgent,
            Priority::Normal,
            Priority::High,
        ] {
            let task = store
                .enqueue(&new_task("k", "general", priority, None))
                .await
                .expect("enqueue");
            ids.push(task.into_task().id);
        }
        let mut order = Vec::new();
        while let Some(task) = store
            .claim("general", "h", 60_000, false)
            .await
            .expect("claim")
        {
            order.push(task.id);
        }
        assert_eq!(
            order,
            [ids[2], ids[4], ids[1], ids[3], ids[0]],
            "{:?}",
            store.backend()
        );
    }
    fixture.finish().await;
}

#[tokio::test]
async fn concurrent_submits_of_one_key_make_one_task() {
    let fixture = stores().await;
    for store in &fixture.stores {
        for round in 0..10 {
            let key = format!("CODE-{round:03}");
            let submits = (0..64).map(|_| {
                let store = store.clone();
                let task = new_task("download", "download", Priority::Normal, Some(&key));
                tokio::spawn(async move { store.enqueue(&task).await })
            });
            let mut created = 0;
            let mut ids = std::collections::BTreeSet::new();
            for joined in futures_util::future::join_all(submits).await {
                let enqueued = joined.expect("join").expect("enqueue");
                if matches!(enqueued, Enqueued::Created(_)) {
                    created += 1;
                }
                ids.insert(enqueued.task().id);
            }
            assert_eq!(
                (created, ids.len()),
                (1, 1),
                "{:?} round {round}",
                store.backend()
            );
        }
    }
    fixture.finish().await;
}

#[tokio::test]
async fn serial_lane_runs_one_and_dedup_frees_after_the_end() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let first = store
            .enqueue(&new_task(
                "download",
                "download",
                Priority::Normal,
                Some("A-001"),
            ))
            .await
            .expect("a");
        store
            .enqueue(&new_task(
                "download",
                "download",
                Priority::Urgent,
                Some("B-001"),
            ))
            .await
            .expect("b");
        let running = store
            .claim("download", "h1", 60_000, true)
            .await
            .expect("claim")
            .expect("one");
        assert_eq!(running.dedup_key.as_deref(), Some("B-001"), "urgent first");
        assert!(
            store
                .claim("download", "h2", 60_000, true)
                .await
                .expect("claim")
                .is_none(),
            "serial"
        );
        let again = store
            .enqueue(&new_task(
                "download",
                "download",
                Priority::Normal,
                Some("B-001"),
            ))
            .await
            .expect("dup");
        assert!(
            matches!(again, Enqueued::Existing(_)),
            "running task dedups"
        );
        let done = store
            .finish_attempt(
                &lease(&running, "h1"),
                &AttemptEnd::Completed {
                    result: "{}".into(),
                },
            )
            .await
            .expect("finish")
            .expect("held");
        assert_eq!(done.status, TaskStatus::Completed);
        let next = store
            .claim("download", "h2", 60_000, true)
            .await
            .expect("claim")
            .expect("next");
        assert_eq!(next.id, first.task().id);
        let fresh = store
            .enqueue(&new_task(
                "download",
                "download",
                Priority::Normal,
                Some("B-001"),
            ))
            .await
            .expect("new");
        assert!(
            matches!(fresh, Enqueued::Created(_)),
            "a finished task no longer dedups"
        );
    }
    fixture.finish().await;
}

#[tokio::test]
async fn stale_attempts_are_fenced_and_retries_end_failed() {
    let fixture = stores().await;
    for store in &fixture.stores {
        store
            .enqueue(&new_task("k", "general", Priority::Normal, Some("X")))
            .await
            .expect("enqueue");
        let first = store
            .claim("general", "h1", 60_000, false)
            .await
            .expect("claim")
            .expect("task");
        let retry = AttemptEnd::Failed {
            code: crate::error_code::ErrorCode::TaskFailed,
            error: "site down".into(),
            retry_at: Some(0),
            details: None,
        };
        let pending = store
            .finish_attempt(&lease(&first, "h1"), &retry)
            .await
            .expect("finish")
            .expect("held");
        assert_eq!((pending.status, pending.attempts), (TaskStatus::Pending, 1));
        let second = store
            .claim("general", "h2", 60_000, false)
            .await
            .expect("claim")
            .expect("again");
        assert_eq!(second.attempts, 2);
        // The first worker's late writes change nothing.
        assert!(
            !store
                .set_task_progress(&lease(&first, "h1"), "{\"x\":1}")
                .await
                .expect("progress")
        );
        assert_eq!(
            store
                .renew(&lease(&first, "h1"), 60_000)
                .await
                .expect("renew"),
            None
        );
        let late = AttemptEnd::Completed {
            result: "{}".into(),
        };
        assert!(
            store
                .finish_attempt(&lease(&first, "h1"), &late)
                .await
                .expect("late")
                .is_none()
        );
        let failed = store
            .finish_attempt(&lease(&second, "h2"), &retry)
            .await
            .expect("finish")
            .expect("held");
        assert_eq!(failed.status, TaskStatus::Failed, "max_attempts 2 reached");
        assert_eq!(failed.error.as_deref(), Some("site down"));
    }
    fixture.finish().await;
}

#[tokio::test]
async fn expired_leases_and_restarted_hosts_give_tasks_back() {
    let fixture = stores().await;
    for store in &fixture.stores {
        store
            .enqueue(&new_task("k", "general", Priority::Normal, Some("A")))
            .await
            .expect("a");
        store
            .enqueue(&new_task("k", "general", Priority::Normal, Some("B")))
            .await
            .expect("b");
        let dead = store
            .claim("general", "dead-host", -1, false)
            .await
            .expect("claim")
            .expect("a");
        let mine = store
            .claim("general", "me", 60_000, false)
            .await
            .expect("claim")
            .expect("b");
        let reaped = store.reap_expired().await.expect("reap");
        assert_eq!(reaped.iter().map(|t| t.id).collect::<Vec<_>>(), [dead.id]);
        assert_eq!(reaped[0].status, TaskStatus::Pending);
        let back = store.take_back_from("me").await.expect("take back");
        assert_eq!(back.iter().map(|t| t.id).collect::<Vec<_>>(), [mine.id]);
        // Both attempts counted; a third claim of either reaches max_attempts 2 and a
        // second loss fails it rather than looping forever.
        let again = store
            .claim("general", "h", -1, false)
            .await
            .expect("claim")
            .expect("task");
        let reaped = store.reap_expired().await.expect("reap");
        assert_eq!(reaped[0].id, again.id);
        assert_eq!(reaped[0].status, TaskStatus::Failed);
    }
    fixture.finish().await;
}

#[tokio::test]
async fn cancel_pending_at_once_and_running_by_request() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let a = store
            .enqueue(&new_task("k", "general", Priority::Normal, None))
            .await
            .expect("a")
            .into_task();
        let b = store
            .enqueue(&new_task("k", "general", Priority::Normal, None))
            .await
            .expect("b")
            .into_task();
        let cancelled = store
            .cancel_task(a.id)
            .await
            .expect("cancel")
            .expect("exists");
        assert_eq!(cancelled.status, TaskStatus::Cancelled);
        let running = store
            .claim("general", "h", 60_000, false)
            .await
            .expect("claim")
            .expect("b");
        assert_eq!(running.id, b.id);
        let requested = store
            .cancel_task(b.id)
            .await
            .expect("cancel")
            .expect("exists");
        assert_eq!(
            (requested.status, requested.cancel_requested),
            (TaskStatus::Running, true)
        );
        assert_eq!(
            store
                .renew(&lease(&running, "h"), 60_000)
                .await
                .expect("renew"),
            Some(true)
        );
        assert!(!store.delete_task(b.id).await.expect("delete running"));
        assert!(store.delete_task(a.id).await.expect("delete finished"));
        assert!(store.cancel_task(a.id).await.expect("gone").is_none());
    }
    fixture.finish().await;
}

#[tokio::test]
async fn finished_tasks_past_their_retention_are_purged_and_nothing_else() {
    let fixture = stores().await;
    for store in &fixture.stores {
        let mut ids = Vec::new();
        for n in 0..6 {
            let task = store
                .enqueue(&new_task(
                    &format!("k{n}"),
                    "general",
                    Priority::Normal,
                    None,
                ))
                .await
                .expect("enqueue");
            ids.push(task.into_task().id);
        }
        // Finished long ago: completed, failed, cancelled; finished now; pending; running.
        let now = crate::store::now_ms();
        let states = [
            ("completed", Some(1_000)),
            ("failed", Some(2_000)),
            ("cancelled", Some(3_000)),
            ("completed", Some(now)),
            ("pending", None),
            ("running", Some(1_000)),
        ];
        for (id, (status, finished)) in ids.iter().zip(states) {
            sqlx::query("UPDATE tasks SET status = $1, finished_at = $2 WHERE id = $3")
                .bind(status)
                .bind(finished)
                .bind(*id)
                .execute(store.pool())
                .await
                .expect("set state");
        }
        let before = now - 60_000;
        // In batches of two: two, then one, then none left.
        let mut rounds = Vec::new();
        loop {
            let deleted = store.purge_finished_tasks(before, 2).await.expect("purge");
            rounds.push(deleted);
            if deleted == 0 {
                break;
            }
        }
        assert_eq!(rounds, [2, 1, 0], "{:?}", store.backend());
        let mut left = Vec::new();
        for id in &ids {
            if store.get_task(*id).await.expect("get").is_some() {
                left.push(*id);
            }
        }
        assert_eq!(left, ids[3..], "{:?}", store.backend());
    }
    fixture.finish().await;
}
