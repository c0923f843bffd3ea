//! Schedules across three hosts: a job that fires every second, on three `kura serve`
//! processes sharing one PostgreSQL and one Redis, fires each tick exactly once (one
//! host claims it; every host's clients see the one `schedule_fired`).

use std::collections::BTreeMap;

use serde_json::json;

use super::{connect, next, redis_url, unique_prefix};
use crate::support::{ChildServer, TestConfig};

/// Ticks watched; the last two are left out of the count, since a duplicate of them
/// could still be on its way when watching stops.
const TICKS: usize = 8;

#[tokio::test]
async fn every_tick_fires_once_across_three_hosts() {
    let (Some(admin), Some(redis)) = (
        test_database::admin_url("the several-host schedule test"),
        redis_url(),
    ) else {
        return;
    };
    let database = test_database::ScratchDatabase::create(&admin).await;
    let config = TestConfig::bare().merge(json!({
        "database": { "url": database.url() },
        "redis": { "url": redis, "key_prefix": unique_prefix() },
        "schedules": {
            "catch_up": false,
            "jobs": { "every_second": { "cron": "* * * * * *", "task": "check_videos", "data": {} } },
        },
    }));
    let mut hosts = Vec::new();
    for _ in 0..3 {
        hosts.push(ChildServer::start(&config, &[]).await);
    }
    let mut ws = connect(&hosts[2].base).await;
    next(&mut ws).await.expect("hello");
    let mut fired: BTreeMap<String, usize> = BTreeMap::new();
    while fired.len() < TICKS {
        let event = next(&mut ws).await.expect("the socket stays open");
        if event["type"] == "schedule_fired" && event["data"]["schedule"] == "every_second" {
            let tick = event["data"]["tick"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            *fired.entry(tick).or_default() += 1;
        }
    }
    let counted: Vec<(&String, &usize)> = fired.iter().take(TICKS - 2).collect();
    assert!(
        counted.iter().all(|(_, times)| **times == 1),
        "a tick fired more than once: {fired:?}"
    );
    eprintln!("{} ticks on three hosts, each fired once", counted.len());
    drop(hosts);
    database.drop_database().await;
}
