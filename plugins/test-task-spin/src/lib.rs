//! Test task plugin `test_spin`: reports progress in rounds of busy work until the task is
//! cancelled (polling `task-context.cancelled`, unless `ignore_cancel`) or `rounds` have
//! passed, so a test can see progress arrive and a cancel stop the run, by the plugin's
//! own check or by the host dropping the call.

use kura_plugin_sdk::{Error, Task, task};
use serde_json::{Value, json};

/// The exported task.
struct Spin;

impl Task for Spin {
    fn run(payload: Value) -> Result<Value, Error> {
        let rounds = payload["rounds"].as_u64().unwrap_or(u64::MAX);
        // Deaf to cancellation: only the host dropping the call stops it.
        let deaf = payload["ignore_cancel"].as_bool().unwrap_or(false);
        let mut round = 0;
        while round < rounds {
            if !deaf && task::cancelled() {
                return Ok(json!({ "rounds": round, "cancelled": true }));
            }
            // About a millisecond of work between checks.
            let mut sum = 0u64;
            for i in 0..200_000u64 {
                sum = sum.wrapping_add(i * i);
            }
            round += 1;
            task::progress(round, None, &format!("round {round} ({sum})"));
        }
        Ok(json!({ "rounds": round, "cancelled": false }))
    }
}

kura_plugin_sdk::export_task!(Spin);
