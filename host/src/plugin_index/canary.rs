//! The live canary before an index update goes live: the new version and the running
//! one answer the new version's live probes against the real site; the update is
//! refused when the new version does worse through its own fault. A site that fails both,
//! or fails the new one where the running one passed, is no verdict: tried again later.

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
    // Every probe is looked at: a verdict against the new version wins over no verdict.
    let mut inconclusive = None;
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
            // Both fail: no verdict on the new version (the site may be down).
            (LiveVerdict::PluginFailed(reason) | LiveVerdict::SiteFailed(reason), Some(false)) => {
                inconclusive.get_or_insert_with(|| {
                    format!(
                        "{}: live probe `{}` fails on {running} too ({reason}): the site looks degraded; tried again at the next poll",
                        label(new),
                        outcome.probe
                    )
                });
            }
            (LiveVerdict::PluginFailed(reason), _) => {
                return Err(IndexError::Canary(format!(
                    "{}: live probe `{}` failed (the plugin's fault) where {running} passed: {reason}",
                    label(new),
                    outcome.probe
                )));
            }
            (LiveVerdict::SiteFailed(reason), _) => {
                inconclusive.get_or_insert_with(|| {
                    format!(
                        "{}: live probe `{}` got no usable answer from the site ({reason}) where {running} passed; tried again at the next poll",
                        label(new),
                        outcome.probe
                    )
                });
            }
        }
    }
    match inconclusive {
        Some(message) => Err(IndexError::Inconclusive(message)),
        None => Ok(()),
    }
}
