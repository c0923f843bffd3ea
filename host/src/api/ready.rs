//! `GET /readyz`: whether this host can serve now: the database answers and holds the
//! schema this build expects, the plugins directory was loaded, Redis answers when one
//! is configured. 503 with the failing checks otherwise. `/healthz` stays a liveness
//! check that asks nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;

/// The longest one check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /readyz`'s answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Readiness {
    /// Every check passed.
    ready: bool,
    /// Each check by name (`database`, `plugins`, `redis` when configured).
    checks: BTreeMap<&'static str, Check>,
}

/// One check's outcome.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Check {
    ok: bool,
    /// What was found: a count, or why it failed.
    detail: String,
}

/// `GET /readyz`.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "Not ready: the failing checks say why", body = Readiness),
))]
pub(crate) async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let mut checks = BTreeMap::new();
    checks.insert("database", database(&state).await);
    // The server answers only once its plugins directory was loaded, so this check
    // holds whenever it can be asked; it reports what was loaded and what was refused.
    let (loaded, rejected) = state.plugins.registry().views();
    checks.insert(
        "plugins",
        Check {
            ok: true,
            detail: format!("{} loaded, {} files rejected", loaded.len(), rejected.len()),
        },
    );
    if let Some(cluster) = &state.cluster {
        checks.insert(
            "redis",
            match cluster.check() {
                Ok(()) => Check {
                    ok: true,
                    detail: "events fan out to every host".to_owned(),
                },
                Err(reason) => Check {
                    ok: false,
                    detail: format!("events reach this host's clients only: {reason}"),
                },
            },
        );
    }
    let ready = checks.values().all(|check| check.ok);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(Readiness { ready, checks }))
}

/// The database answers, with every migration of this build applied and none unknown.
async fn database(state: &AppState) -> Check {
    let store = state.library.store();
    let status = tokio::time::timeout(CHECK_TIMEOUT, store.schema_status(store.migrator())).await;
    match status {
        Err(_) => Check {
            ok: false,
            detail: format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
        },
        Ok(Err(error)) => {
            // The error may name the server and the user: the log has it, not the
            // answer, which needs no token.
            tracing::debug!(%error, "readiness: the database does not answer");
            Check {
                ok: false,
                detail: "the database does not answer".to_owned(),
            }
        }
        Ok(Ok(status)) if status.is_current() => Check {
            ok: true,
            detail: format!("schema version {}", status.version()),
        },
        Ok(Ok(status)) => Check {
            ok: false,
            detail: format!(
                "schema version {}, this build expects {} (pending {:?}, unknown {:?})",
                status.version(),
                status.known,
                status.pending,
                status.unknown
            ),
        },
    }
}
