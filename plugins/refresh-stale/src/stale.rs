//! Which resources are stale: the payload's options and the rule, as pure functions.

use kura_plugin_sdk::task::Item;
use serde::Serialize;
use serde_json::Value;

const DAY_MS: i64 = 86_400_000;

/// The task's options, from its payload (checked by the host against the schema).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    /// Resources last written before this instant are stale.
    pub(crate) cutoff_ms: i64,
    pub(crate) source: Option<String>,
    pub(crate) limit: u64,
}

/// What the task did.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Report {
    pub(crate) checked: u64,
    pub(crate) queued: u64,
    /// Refreshes the queue refused, with why.
    pub(crate) refused: Vec<String>,
    pub(crate) cancelled: bool,
}

impl Options {
    /// The options of `payload`, at `now_ms`.
    pub(crate) fn from_payload(payload: &Value, now_ms: i64) -> Self {
        let days = payload["older_than_days"].as_i64().unwrap_or(7).max(0);
        Self {
            cutoff_ms: now_ms.saturating_sub(days.saturating_mul(DAY_MS)),
            source: payload["source"].as_str().map(str::to_owned),
            limit: payload["limit"].as_u64().unwrap_or(1000),
        }
    }

    /// The codes of the stale items of one page, within the limit; counts what it read.
    pub(crate) fn stale_codes(&self, items: &[Item], report: &mut Report) -> Vec<String> {
        let room = self.limit.saturating_sub(report.queued) as usize;
        report.checked += items.len() as u64;
        items
            .iter()
            .filter(|item| item.updated_at_ms < self.cutoff_ms)
            .map(|item| item.code.clone())
            .take(room)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(code: &str, updated_at_ms: i64) -> Item {
        Item {
            code: code.to_owned(),
            title: None,
            source: None,
            downloaded: false,
            updated_at_ms,
        }
    }

    #[test]
    fn older_than_the_cutoff_is_stale_within_the_limit() {
        let now = 100 * DAY_MS;
        let options =
            Options::from_payload(&serde_json::json!({"older_than_days": 7, "limit": 1}), now);
        assert_eq!(options.cutoff_ms, 93 * DAY_MS);
        let items = [
            item("A-1", 90 * DAY_MS),
            item("B-2", 99 * DAY_MS),
            item("C-3", 1),
        ];
        let mut report = Report::default();
        assert_eq!(options.stale_codes(&items, &mut report), ["A-1"]);
        assert_eq!(report.checked, 3);
        let defaults = Options::from_payload(&serde_json::json!({}), now);
        assert_eq!(
            (defaults.cutoff_ms, defaults.limit, defaults.source),
            (93 * DAY_MS, 1000, None)
        );
    }
}
