//! The live canary before an index update goes live: the new version and the running
//! one answer the new version's live probes against the real site; the update is
//! refused only when the new version does worse. A site that fails both is no verdict.

use std::sync::Arc;

use super::error::IndexError;
use crate::plugins::{LiveVerdict, LoadedPlugin, PluginRuntime};

/// Checks `new` against `current` on the real site.
pub(crate) async fn live_canary(
    runtime: &PluginRuntime,
    new: &Arc<LoadedPlugin>,
    current: Option<Arc<LoadedPlugin>>,
) -> Result<(), IndexError> {
    let Ok(Some(probes)) = new.probes() else {
        return Ok(());
    };
    if probes.probes.iter().all(|probe| probe.live.is_none()) {
        return Ok(());
    }
    let new_outcomes = runtime.live_probes_of(new, &probes).await;
    let current_outcomes = match &current {
        Some(current) => Some(runtime.live_probes_of(current, &probes).await),
        None => None,
    };
    let label = |plugin: &LoadedPlugin| format!("{} {}", plugin.name(), plugin.version());
    for (i, outcome) in new_outcomes.iter().enumerate() {
        let current_passed = current_outcomes
            .as_ref()
            .and_then(|outcomes| outcomes.get(i))
            .map(|o| o.verdict == LiveVerdict::Passed);
        let running = current
            .as_deref()
            .map_or_else(|| "no running version".to_owned(), label);
        match (&outcome.verdict, current_passed) {
            (LiveVerdict::Passed, _) => {}
            // Both fail: the new version cannot be worse; the site is degraded.
            (_, Some(false)) => tracing::warn!(
                plugin = new.name(), probe = %outcome.probe,
                "live probe fails on the new and the running version: the site looks degraded"
            ),
            (LiveVerdict::PluginFailed(reason), _) => {
                return Err(IndexError::Canary(format!(
                    "{}: live probe `{}` failed (the plugin's fault) where {running} passed: {reason}",
                    label(new),
                    outcome.probe
                )));
            }
            (LiveVerdict::SiteFailed(reason), _) => {
                return Err(IndexError::Inconclusive(format!(
                    "{}: live probe `{}` got no usable answer from the site ({reason}) where {running} passed; tried again at the next poll",
                    label(new),
                    outcome.probe
                )));
            }
        }
    }
    Ok(())
}
