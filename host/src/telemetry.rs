//! Prometheus metrics (`metrics.enabled`): the names of every series Kura records, in
//! one list so dashboards are written against it, the process-wide recorder, and the
//! text `GET /metrics` answers. Modules record through the `metrics` crate's macros with
//! these names; with metrics off no recorder is installed and the macros do nothing.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by method, route template (`/api/resource/{code}`) and status.
pub(crate) const HTTP_REQUESTS: &str = "kura_http_requests_total";
/// Time to the answer's head, by method and route template.
pub(crate) const HTTP_SECONDS: &str = "kura_http_request_duration_seconds";
/// Task attempts ended, by kind and outcome (`completed`, `failed`, `retrying`,
/// `cancelled`).
pub(crate) const TASK_ATTEMPTS: &str = "kura_task_attempts_total";
/// An attempt's run time, by kind.
pub(crate) const TASK_SECONDS: &str = "kura_task_duration_seconds";
/// Tasks waiting, by lane (read from the database at each scrape).
pub(crate) const QUEUE_PENDING: &str = "kura_queue_pending";
/// Age of the oldest waiting task, by lane (read at each scrape).
pub(crate) const QUEUE_OLDEST_SECONDS: &str = "kura_queue_oldest_pending_seconds";
/// Bytes of the videos downloads saved.
pub(crate) const DOWNLOAD_BYTES: &str = "kura_download_bytes_total";
/// Segments downloads fetched (not those a resumed download found in its journal).
pub(crate) const DOWNLOAD_SEGMENTS: &str = "kura_download_segments_total";
/// Plugin calls, by plugin, version and outcome (`succeeded`, `plugin_error`,
/// `timeout`, `memory_limit`, `crashed`).
pub(crate) const PLUGIN_CALLS: &str = "kura_plugin_calls_total";
/// A plugin call's time, by plugin and version.
pub(crate) const PLUGIN_SECONDS: &str = "kura_plugin_call_duration_seconds";
/// Outbound requests (plugins, downloads), by host and outcome (`2xx`..`5xx`, `denied`,
/// `timeout`, `network`, ...).
pub(crate) const FETCHES: &str = "kura_fetches_total";
/// Events published on this host, by type.
pub(crate) const EVENTS: &str = "kura_events_published_total";
/// WebSocket clients connected now.
pub(crate) const WEBSOCKET_CLIENTS: &str = "kura_websocket_clients";
/// Database connections open, by pool (`write`, `read`), at each scrape.
pub(crate) const DB_CONNECTIONS: &str = "kura_db_connections";
/// Database connections idle, by pool, at each scrape.
pub(crate) const DB_IDLE: &str = "kura_db_connections_idle";

/// Bucket bounds of every `_seconds` histogram: from a fast API answer to a long task.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    300.0, 1800.0,
];

/// The recorder, installed once per process (tests run several servers in one).
static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// The process's recorder, installed on first use.
pub(crate) fn install() -> Result<PrometheusHandle, String> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
                .map_err(|error| error.to_string())?
                .install_recorder()
                .map_err(|error| error.to_string())
        })
        .clone()
}

/// Whether a recorder is installed: hot paths (every fetch, every plugin call) skip
/// building their labels when no one records them.
pub(crate) fn enabled() -> bool {
    HANDLE.get().is_some_and(Result::is_ok)
}

/// The text of every series, after the recorder's upkeep (histograms drained).
pub(crate) fn render(handle: &PrometheusHandle) -> String {
    handle.run_upkeep();
    handle.render()
}
