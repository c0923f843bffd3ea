//! Plugin distribution: signed indexes a host follows (a root chain naming the keys, an
//! index document listing every release, an author signature on every release) and the
//! publisher's side that writes them. TUF's client rules on two minisign-signed
//! documents; what a host verified is persisted and never moves backwards.

mod canary;
mod document;
mod error;
mod follower;
mod http_files;
mod keys;
mod publish;
mod select;
mod signature;
mod state;
mod status;
mod trust;
mod watch;

pub(crate) use document::YankSeverity;
pub use error::{IndexError, KeyError, SignatureError};
pub(crate) use follower::{Approval, IndexFollower, InstallResult};
pub(crate) use keys::{PASSWORD_ENV, Protection, PublicKey, SecretKey, generate_files};
pub(crate) use publish::{Added, DirFiles, Publisher, sign_plugin, verify_plugin};
pub(crate) use signature::KeySet;
pub(crate) use state::HistoryLine;
pub(crate) use status::IndexStatus;
pub(crate) use trust::{Trusted, refresh, verify_release};

#[cfg(test)]
mod tests;

/// Every index this server follows.
#[derive(Clone, Default)]
pub(crate) struct PluginIndexes {
    followers: std::sync::Arc<Vec<std::sync::Arc<IndexFollower>>>,
}

impl PluginIndexes {
    /// A follower per configured index, with its persisted state.
    pub(crate) fn new(
        config: &crate::config::Config,
        fetch: crate::fetch::FetchClient,
        registry: std::sync::Arc<crate::plugins::Registry>,
        events: crate::events::EventBus,
        tracker: &tokio_util::task::TaskTracker,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<Self, IndexError> {
        let followers = config
            .plugin_index
            .sources
            .iter()
            .map(|source| {
                IndexFollower::new(
                    source.clone(),
                    &config.data_dir,
                    fetch.clone(),
                    registry.clone(),
                    events.clone(),
                    (tracker, cancel, config.plugin_index.watch_window),
                )
                .map(std::sync::Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            followers: std::sync::Arc::new(followers),
        })
    }

    /// Starts each index's poll loop.
    pub(crate) fn spawn(&self, tracker: &tokio_util::task::TaskTracker) {
        for follower in self.followers.iter() {
            tracker.spawn(follower.clone().run());
        }
    }

    /// The index of that name; without a name, the only one configured.
    pub(crate) fn get(
        &self,
        name: Option<&str>,
    ) -> Result<&std::sync::Arc<IndexFollower>, IndexError> {
        match name {
            Some(name) => self
                .followers
                .iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| IndexError::NoIndex(format!("no index `{name}` is configured"))),
            None => match self.followers.as_slice() {
                [only] => Ok(only),
                [] => Err(IndexError::NoIndex(
                    "no plugin index is configured (plugin_index.sources)".to_owned(),
                )),
                _ => Err(IndexError::NoIndex(
                    "several indexes are configured: name one".to_owned(),
                )),
            },
        }
    }

    /// The index a plugin was installed from, if any.
    pub(crate) fn following(&self, plugin: &str) -> Option<std::sync::Arc<IndexFollower>> {
        self.followers
            .iter()
            .find(|follower| follower.follows(plugin))
            .cloned()
    }

    /// Every index's status.
    pub(crate) fn statuses(&self) -> Vec<IndexStatus> {
        self.followers
            .iter()
            .map(|follower| follower.status())
            .collect()
    }

    /// Polls every index now.
    pub(crate) async fn poll_all(&self) {
        for follower in self.followers.iter() {
            follower.poll().await;
        }
    }
}
