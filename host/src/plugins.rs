//! The plugin runtime and registry: WebAssembly components that know the sites.
//!
//! Files come from the plugins directory (watched), uploads and the CLI. Each is
//! compiled once (cached on disk), checked against its kind's WIT world and the import
//! policy, smoke-tested, then swapped in atomically. Calls run in fresh, capped stores.
//! Nothing generated from WIT leaves this module.

mod bindings;
mod builtin;
mod call;
mod compat;
mod compile;
mod dispatch;
mod engine;
mod error;
mod golden;
mod inspect;
mod loaded;
mod manifest;
mod output;
mod policy;
mod probes;
mod registry;
mod runtime;
mod slot;
mod state;
mod task_imports;
mod task_link;
mod types;
mod view;
mod watcher;
mod wit_version;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

pub(crate) use error::{CallError, LoadError, RegistryError};
pub use golden::cases as golden_cases;
pub(crate) use inspect::inspect;
pub(crate) use loaded::LoadedPlugin;
pub(crate) use manifest::MANIFEST_SECTION;
pub use manifest::append_custom_section;
pub(crate) use manifest::{Manifest, valid_plugin_name};
pub(crate) use probes::pack as pack_probes;
pub use registry::Origin;
pub(crate) use registry::{InstallOutcome, PluginPeers, Registry};
pub(crate) use runtime::{LiveVerdict, PluginRuntime};
pub use types::{Metadata, Person, StreamHit};
pub(crate) use types::{PluginError, PluginKind, SearchHit};
pub(crate) use view::{FileFailure, PluginView};
pub(crate) use wit_version::{
    CURRENT as WIT_CURRENT, implemented as wit_versions_implemented, wit_compatible,
};

use crate::config::Config;
use crate::events::EventBus;
use crate::fetch::FetchClient;
use call::{Answer, Request};
pub(crate) use call::{PlaylistInput, PlaylistKind};
pub(crate) use task_link::{LibraryItem, LibraryQuery, TaskLink};

/// The plugin side of the server: the registry plus typed calls by plugin name.
#[derive(Clone)]
pub struct PluginHost {
    registry: Arc<Registry>,
}

impl PluginHost {
    /// Builds the runtime and loads every file in the plugins directory.
    pub async fn start(
        config: &Config,
        fetch: FetchClient,
        events: EventBus,
    ) -> Result<Self, LoadError> {
        std::fs::create_dir_all(&config.plugins.dir)
            .map_err(|error| LoadError::Io(format!("{}: {error}", config.plugins.dir.display())))?;
        let runtime = Arc::new(PluginRuntime::new(config, fetch)?);
        let builtins = config.plugins.builtins;
        let registry = Arc::new(Registry::new(runtime, events, builtins));
        registry.sync_dir().await;
        Ok(Self { registry })
    }

    /// The registry (list, install, rollback, enable).
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Watches the plugins directory until `shutdown`; returns the loop to spawn.
    pub fn watcher(
        &self,
        shutdown: CancellationToken,
    ) -> notify::Result<impl Future<Output = ()> + Send + 'static> {
        let debounce = self.registry.runtime().config().watch_debounce;
        watcher::watch(self.registry.clone(), debounce, shutdown)
    }

    /// Asks a source for a code's stream.
    pub async fn resolve(&self, source: &str, code: &str) -> Result<StreamHit, CallError> {
        match self
            .call(source, PluginKind::Source, Request::Resolve(code))
            .await?
        {
            Answer::Hit(hit) => Ok(hit),
            _ => Err(unexpected()),
        }
    }

    /// Searches a source.
    pub async fn search(&self, source: &str, query: &str) -> Result<Vec<SearchHit>, CallError> {
        match self
            .call(source, PluginKind::Source, Request::Search(query))
            .await?
        {
            Answer::Hits(hits) => Ok(hits),
            _ => Err(unexpected()),
        }
    }

    /// Asks a scraper for a code's metadata.
    pub async fn scrape(
        &self,
        scraper: &str,
        code: &str,
        page_url: Option<&str>,
    ) -> Result<Metadata, CallError> {
        match self
            .call(
                scraper,
                PluginKind::Scraper,
                Request::Scrape(code, page_url),
            )
            .await?
        {
            Answer::Metadata(metadata) => Ok(metadata),
            _ => Err(unexpected()),
        }
    }

    /// Asks a scraper for a person's avatar URL.
    pub(crate) async fn avatar(
        &self,
        scraper: &str,
        name: &str,
    ) -> Result<Option<String>, CallError> {
        match self
            .call(scraper, PluginKind::Scraper, Request::Avatar(name))
            .await?
        {
            Answer::Avatar(url) => Ok(url),
            _ => Err(unexpected()),
        }
    }

    /// Cleans an LLM answer with a cleaner.
    pub async fn clean(&self, cleaner: &str, raw: &str) -> Result<String, CallError> {
        match self
            .call(cleaner, PluginKind::Cleaner, Request::Clean(raw))
            .await?
        {
            Answer::Clean(text) => Ok(text),
            _ => Err(unexpected()),
        }
    }

    /// Rewrites a playlist with a playlist filter.
    pub(crate) async fn filter_playlist(
        &self,
        filter: &str,
        playlist: PlaylistInput<'_>,
    ) -> Result<String, CallError> {
        match self
            .call(
                filter,
                PluginKind::PlaylistFilter,
                Request::Filter(playlist),
            )
            .await?
        {
            Answer::Playlist(text) => Ok(text),
            _ => Err(unexpected()),
        }
    }

    /// Runs one attempt of a task with a task plugin: `link` is the queue and library its
    /// imports reach (none for a test call), `cancel` stops the call.
    pub(crate) async fn run_task(
        &self,
        plugin: &str,
        payload: &str,
        link: Option<Arc<dyn TaskLink>>,
        cancel: Option<CancellationToken>,
    ) -> Result<String, CallError> {
        let loaded = self.registry.callable(plugin, PluginKind::Task)?;
        let setup = runtime::Setup {
            task: link,
            cancel,
            ..runtime::Setup::default()
        };
        match self
            .registry
            .runtime()
            .invoke_with(&loaded, Some(Request::RunTask(payload)), true, setup)
            .await?
        {
            Some(Answer::TaskResult(result)) => Ok(result),
            _ => Err(unexpected()),
        }
    }

    /// The task kinds enabled task plugins add, by the version serving each: when two
    /// plugins add the same kind, the one of higher weight has it.
    pub(crate) fn task_plugins(&self) -> Vec<Arc<LoadedPlugin>> {
        let mut kinds: Vec<Arc<LoadedPlugin>> = Vec::new();
        for plugin in self.registry.enabled_by_weight(PluginKind::Task) {
            let name = |p: &LoadedPlugin| p.manifest.task.as_ref().map(|t| t.name.clone());
            if name(&plugin).is_some() && !kinds.iter().any(|k| name(k) == name(&plugin)) {
                kinds.push(plugin);
            }
        }
        kinds
    }

    /// The enabled playlist filters that apply to streams found by `source`, in the order
    /// they run (highest weight first).
    pub(crate) fn playlist_filters_for(&self, source: &str) -> Vec<String> {
        self.registry
            .enabled_by_weight(PluginKind::PlaylistFilter)
            .into_iter()
            .filter(|filter| {
                let sources = &filter.manifest.sources;
                sources.is_empty() || sources.iter().any(|name| name == source)
            })
            .map(|filter| filter.name().to_owned())
            .collect()
    }

    /// A plugin's cookie jar, for fetches made for it (its stream's segments).
    pub(crate) fn jar(&self, plugin: &str) -> crate::fetch::CookieJar {
        self.registry.runtime().jar(plugin)
    }

    /// Puts a cookie in a plugin's jar (it outlives versions, so a plugin loaded later
    /// finds it too).
    pub(crate) fn set_cookie(&self, plugin: &str, name: &str, value: &str, url: &url::Url) {
        self.registry.runtime().jar(plugin).set(name, value, url);
    }

    /// Fetches a URL a plugin named (a cover, an avatar) under that plugin's egress
    /// policy and cookie jar. The plugin must be loaded; it need not be enabled.
    pub(crate) async fn fetch_as(
        &self,
        plugin: &str,
        request: crate::fetch::FetchRequest,
    ) -> Result<crate::fetch::FetchResponse, crate::fetch::FetchError> {
        let Some(loaded) = self.registry.current(plugin) else {
            return Err(crate::fetch::FetchError::Denied(format!(
                "plugin `{plugin}` is not loaded"
            )));
        };
        self.registry.runtime().fetch_for(&loaded, request).await
    }

    async fn call(
        &self,
        name: &str,
        kind: PluginKind,
        request: Request<'_>,
    ) -> Result<Answer, CallError> {
        let plugin = self.registry.callable(name, kind)?;
        self.registry
            .runtime()
            .invoke(&plugin, Some(request), true)
            .await?
            .ok_or_else(unexpected)
    }
}

fn unexpected() -> CallError {
    CallError::Crashed("the plugin returned an answer of the wrong shape".to_owned())
}
