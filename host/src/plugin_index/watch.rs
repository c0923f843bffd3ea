//! The watch after an index update: for a while, the new version's calls are compared
//! with what the previous version did; a new version clearly worse through its own fault
//! is rolled back and remembered as bad, so the next poll does not install it again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::state::{BadVersion, FollowerState, StateFile};
use crate::events::{Event, EventBus, PluginUpdateRolledBackEvent};
use crate::plugins::{LoadedPlugin, Registry};

/// Plugin-caused failures before a version can be judged worse.
const MIN_FAILURES: u64 = 5;
/// The share of its calls that must have failed through its own fault.
const MIN_SHARE: f64 = 0.25;
/// How many times the previous version's failure rate it must reach.
const FACTOR: f64 = 2.0;
/// How often the counters are looked at.
const TICK: Duration = Duration::from_millis(250);

/// Whether the new version's (calls, plugin-caused failures) are clearly worse than the
/// previous version's: at least 5 such failures, at least a quarter of its calls, and at
/// least twice the previous version's rate.
pub(crate) fn worse(new: (u64, u64), previous: (u64, u64)) -> bool {
    let rate = |(calls, failures): (u64, u64)| {
        if calls == 0 {
            0.0
        } else {
            failures as f64 / calls as f64
        }
    };
    new.1 >= MIN_FAILURES && rate(new) >= MIN_SHARE && rate(new) >= FACTOR * rate(previous)
}

/// What one watch needs.
pub(crate) struct Watch {
    pub(crate) index: String,
    pub(crate) registry: Arc<Registry>,
    pub(crate) events: EventBus,
    pub(crate) state: Arc<tokio::sync::Mutex<FollowerState>>,
    pub(crate) file: StateFile,
    pub(crate) new: Arc<LoadedPlugin>,
    pub(crate) previous: Arc<LoadedPlugin>,
    pub(crate) window: Duration,
}

impl Watch {
    /// Watches until the window ends, the version is replaced, or shutdown.
    pub(crate) async fn run(self, cancel: CancellationToken) {
        let until = Instant::now() + self.window;
        let name = self.new.name().to_owned();
        while Instant::now() < until {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(TICK) => {}
            }
            if self
                .registry
                .current(&name)
                .is_none_or(|current| current.sha256 != self.new.sha256)
            {
                return;
            }
            let (new, previous) = (self.new.outcomes.counts(), self.previous.outcomes.counts());
            if worse(new, previous) {
                self.roll_back(new, previous).await;
                return;
            }
        }
    }

    async fn roll_back(&self, new: (u64, u64), previous: (u64, u64)) {
        let name = self.new.name();
        let reason = format!(
            "{} of {} calls failed through the plugin's own fault; {} {} had {} of {}",
            new.1,
            new.0,
            name,
            self.previous.version(),
            previous.1,
            previous.0
        );
        let back = match self
            .registry
            .rollback_if_current(name, &self.new.sha256)
            .await
        {
            Ok(back) => back,
            Err(error) => {
                tracing::warn!(plugin = name, %error, "automatic rollback not done");
                return;
            }
        };
        tracing::warn!(plugin = name, version = self.new.version(), %reason, "update rolled back");
        let mut state = self.state.lock().await;
        let followed = state.plugins.entry(name.to_owned()).or_default();
        if !followed.is_bad(self.new.version()) {
            followed.bad_versions.push(BadVersion {
                version: self.new.version().to_owned(),
                reason: format!("rolled back: {reason}"),
            });
        }
        followed.installed = Some(back.version().to_owned());
        followed.sha256 = Some(back.sha256.clone());
        followed.record(
            "rolled_back",
            Some(self.new.version()),
            format!("to {}: {reason}", back.version()),
        );
        if let Err(error) = self.file.save(&state) {
            tracing::warn!(plugin = name, %error, "cannot save the plugin index state");
        }
        self.events
            .publish(Event::PluginUpdateRolledBack(PluginUpdateRolledBackEvent {
                name: name.to_owned(),
                index: self.index.clone(),
                version: self.new.version().to_owned(),
                to_version: back.version().to_owned(),
                reason,
            }));
    }
}

#[cfg(test)]
mod tests {
    use super::worse;

    #[test]
    fn a_version_is_worse_only_by_enough_of_its_own_failures() {
        assert!(worse((10, 5), (100, 0)));
        assert!(!worse((10, 4), (100, 0)), "fewer than 5 failures");
        assert!(!worse((100, 5), (100, 0)), "5% of its calls");
        assert!(!worse((10, 5), (100, 30)), "not twice the old rate");
        assert!(worse((10, 8), (100, 30)));
        assert!(worse((6, 6), (0, 0)), "the old version made no calls");
    }
}
