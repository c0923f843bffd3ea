//! Routing a request to a component's export: one pre-instantiated world per kind and WIT
//! version, and the call that turns the guest's answer into domain types.

use wasmtime::Store;
use wasmtime::component::Component;

use super::bindings::{v0_1, v0_2};
use super::call::{Answer, PlaylistKind, Request};
use super::engine::Linkers;
use super::error::LoadError;
use super::state::PluginState;
use super::types::{PluginError, PluginKind};
use super::wit_version::{V0_1, V0_2, WitVersion};

/// The pre-instantiated component, by kind and by the WIT version it was built for.
pub(crate) enum KindPre {
    SourceV0_1(v0_1::source::SourcePluginPre<PluginState>),
    SourceV0_2(v0_2::source::SourcePluginPre<PluginState>),
    ScraperV0_1(v0_1::scraper::ScraperPluginPre<PluginState>),
    ScraperV0_2(v0_2::scraper::ScraperPluginPre<PluginState>),
    CleanerV0_1(v0_1::cleaner::CleanerPluginPre<PluginState>),
    CleanerV0_2(v0_2::cleaner::CleanerPluginPre<PluginState>),
    PlaylistFilter(v0_2::playlist_filter::PlaylistFilterPluginPre<PluginState>),
    Task(v0_2::task::TaskPluginPre<PluginState>),
}

impl KindPre {
    /// Links the component against the world of `kind` at WIT `version`.
    pub(crate) fn new(
        linkers: &Linkers,
        component: &Component,
        kind: PluginKind,
        version: WitVersion,
    ) -> Result<Self, LoadError> {
        let link = |error: wasmtime::Error| LoadError::Link(format!("{error:#}"));
        let network = || linkers.network.instantiate_pre(component).map_err(link);
        let pure = || linkers.pure.instantiate_pre(component).map_err(link);
        let task = || linkers.task.instantiate_pre(component).map_err(link);
        Ok(match (kind, version) {
            (PluginKind::Source, V0_1) => {
                Self::SourceV0_1(v0_1::source::SourcePluginPre::new(network()?).map_err(link)?)
            }
            (PluginKind::Source, V0_2) => {
                Self::SourceV0_2(v0_2::source::SourcePluginPre::new(network()?).map_err(link)?)
            }
            (PluginKind::Scraper, V0_1) => {
                Self::ScraperV0_1(v0_1::scraper::ScraperPluginPre::new(network()?).map_err(link)?)
            }
            (PluginKind::Scraper, V0_2) => {
                Self::ScraperV0_2(v0_2::scraper::ScraperPluginPre::new(network()?).map_err(link)?)
            }
            (PluginKind::Cleaner, V0_1) => {
                Self::CleanerV0_1(v0_1::cleaner::CleanerPluginPre::new(pure()?).map_err(link)?)
            }
            (PluginKind::Cleaner, V0_2) => {
                Self::CleanerV0_2(v0_2::cleaner::CleanerPluginPre::new(pure()?).map_err(link)?)
            }
            (PluginKind::PlaylistFilter, V0_2) => Self::PlaylistFilter(
                v0_2::playlist_filter::PlaylistFilterPluginPre::new(pure()?).map_err(link)?,
            ),
            (PluginKind::Task, V0_2) => {
                Self::Task(v0_2::task::TaskPluginPre::new(task()?).map_err(link)?)
            }
            (kind, version) => {
                return Err(LoadError::Link(format!(
                    "no {kind} world in WIT kura:plugin@{version}"
                )));
            }
        })
    }
}

/// A source call; the same code for every WIT version (the generated names differ).
macro_rules! source_call {
    ($pre:expr, $store:expr, $request:expr, $wrong:expr) => {{
        let guest = $pre.instantiate_async(&mut *$store).await?;
        let api = guest.kura_plugin_source();
        match $request {
            None => Ok(None),
            Some(Request::Resolve(code)) => api
                .call_resolve(&mut *$store, code)
                .await?
                .map(|hit| Some(Answer::Hit(hit.into())))
                .map_err(PluginError::from),
            Some(Request::Search(query)) => api
                .call_search(&mut *$store, query)
                .await?
                .map(|hits| Some(Answer::Hits(hits.into_iter().map(Into::into).collect())))
                .map_err(PluginError::from),
            Some(_) => return Err($wrong()),
        }
    }};
}

/// A scraper call, for every WIT version.
macro_rules! scraper_call {
    ($pre:expr, $store:expr, $request:expr, $wrong:expr) => {{
        let guest = $pre.instantiate_async(&mut *$store).await?;
        let api = guest.kura_plugin_scraper();
        match $request {
            None => Ok(None),
            Some(Request::Scrape(code, page)) => api
                .call_scrape(&mut *$store, code, page)
                .await?
                .map(|metadata| Some(Answer::Metadata(metadata.into())))
                .map_err(PluginError::from),
            Some(Request::Avatar(name)) => api
                .call_avatar(&mut *$store, name)
                .await?
                .map(|avatar| Some(Answer::Avatar(avatar)))
                .map_err(PluginError::from),
            Some(_) => return Err($wrong()),
        }
    }};
}

/// A cleaner call, for every WIT version.
macro_rules! cleaner_call {
    ($pre:expr, $store:expr, $request:expr, $wrong:expr) => {{
        let guest = $pre.instantiate_async(&mut *$store).await?;
        match $request {
            None => Ok(None),
            Some(Request::Clean(raw)) => guest
                .kura_plugin_cleaner()
                .call_clean(&mut *$store, raw)
                .await?
                .map(|text| Some(Answer::Clean(text)))
                .map_err(PluginError::from),
            Some(_) => return Err($wrong()),
        }
    }};
}

/// Instantiates the component in `store` and runs `request` (`None` only instantiates).
/// The outer error is a trap; the inner one is the plugin's own answer.
pub(crate) async fn call_export(
    store: &mut Store<PluginState>,
    pre: &KindPre,
    request: Option<Request<'_>>,
) -> wasmtime::Result<Result<Option<Answer>, PluginError>> {
    let wrong = || wasmtime::Error::msg("request does not match the plugin kind");
    Ok(match pre {
        KindPre::SourceV0_1(pre) => source_call!(pre, store, request, wrong),
        KindPre::SourceV0_2(pre) => source_call!(pre, store, request, wrong),
        KindPre::ScraperV0_1(pre) => scraper_call!(pre, store, request, wrong),
        KindPre::ScraperV0_2(pre) => scraper_call!(pre, store, request, wrong),
        KindPre::CleanerV0_1(pre) => cleaner_call!(pre, store, request, wrong),
        KindPre::CleanerV0_2(pre) => cleaner_call!(pre, store, request, wrong),
        KindPre::PlaylistFilter(pre) => {
            let guest = pre.instantiate_async(&mut *store).await?;
            match request {
                None => Ok(None),
                Some(Request::Filter(playlist)) => {
                    use v0_2::playlist_filter::exports::kura::plugin::playlist_filter as wit;
                    let input = wit::Playlist {
                        kind: match playlist.kind {
                            PlaylistKind::Master => wit::PlaylistKind::Master,
                            PlaylistKind::Media => wit::PlaylistKind::Media,
                        },
                        url: playlist.url.to_owned(),
                        text: playlist.text.to_owned(),
                        code: playlist.code.to_owned(),
                        source: playlist.source.to_owned(),
                    };
                    guest
                        .kura_plugin_playlist_filter()
                        .call_filter(&mut *store, &input)
                        .await?
                        .map(|text| Some(Answer::Playlist(text)))
                        .map_err(PluginError::from)
                }
                Some(_) => return Err(wrong()),
            }
        }
        KindPre::Task(pre) => {
            let guest = pre.instantiate_async(&mut *store).await?;
            match request {
                None => Ok(None),
                Some(Request::RunTask(payload)) => guest
                    .kura_plugin_task()
                    .call_run(&mut *store, payload)
                    .await?
                    .map(|result| Some(Answer::TaskResult(result)))
                    .map_err(PluginError::from),
                Some(_) => return Err(wrong()),
            }
        }
    })
}
