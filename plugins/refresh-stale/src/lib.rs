//! Task plugin `refresh_stale`: walks the library page by page and queues a stream-only
//! `refresh_resource` for every resource last written more than `older_than_days` ago
//! (signed stream URLs expire; a fresh one makes the next download start at once).
//! Reports progress per page, stops when cancelled, and returns what it did.

mod stale;

use kura_plugin_sdk::task::{self, Query};
use kura_plugin_sdk::{Error, Task};
use serde_json::{Value, json};

/// Resources read per library query.
const PAGE_SIZE: u32 = 200;

/// The exported task.
struct RefreshStale;

impl Task for RefreshStale {
    fn run(payload: Value) -> Result<Value, Error> {
        let options = stale::Options::from_payload(&payload, task::now_ms());
        let query = Query {
            search: None,
            source: options.source.clone(),
            downloaded: None,
        };
        let mut report = stale::Report::default();
        let mut page = 1;
        loop {
            if task::cancelled() {
                report.cancelled = true;
                break;
            }
            let items = task::find(&query, page, PAGE_SIZE)
                .map_err(|error| Error::network(format!("the library: {error}")))?;
            if items.is_empty() {
                break;
            }
            for code in options.stale_codes(&items, &mut report) {
                let refresh =
                    json!({ "code": code, "refresh_m3u8": true, "refresh_metadata": false });
                match task::submit("refresh_resource", &refresh) {
                    Ok(_) => report.queued += 1,
                    Err(error) => report.refused.push(format!("{code}: {error}")),
                }
            }
            task::progress(
                report.checked,
                None,
                &format!("{} checked, {} queued", report.checked, report.queued),
            );
            if report.queued >= options.limit {
                break;
            }
            page += 1;
        }
        Ok(json!(report))
    }
}

kura_plugin_sdk::export_task!(RefreshStale);

#[cfg(test)]
mod tests {
    use kura_plugin_sdk::testing;

    #[test]
    fn manifest_is_valid() {
        testing::check_manifest();
    }
}
