//! The running server: plugins, the plugin-directory watcher and the HTTP API, started
//! together and stopped together through one cancellation token and task tracker.

mod cluster_link;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{self, AppState};
use crate::config::Config;
use crate::events::EventBus;
use crate::fetch::FetchClient;
use crate::library::Library;
use crate::media::MediaStore;
use crate::plugins::PluginHost;
use crate::store::Store;
use crate::tasks::TaskQueue;

/// How long shutdown waits for background loops.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(15);

/// A started server.
pub struct Server {
    addr: SocketAddr,
    plugins: PluginHost,
    library: Library,
    tasks: TaskQueue,
    events: EventBus,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl Server {
    /// Loads plugins, binds the listener and spawns every long-lived loop.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
        let started = Instant::now();
        let events = EventBus::default();
        let fetch = FetchClient::new(&config.fetch).context("cannot build the HTTP client")?;
        let media = MediaStore::new(config.media_dir()).with_context(|| {
            format!(
                "cannot open the media directory {}",
                config.media_dir().display()
            )
        })?;
        let store = open_store(&config, &media).await.with_context(|| {
            format!(
                "cannot open the database {}",
                crate::store::redact(&config.database_url)
            )
        })?;
        let plugins = PluginHost::start(&config, fetch.clone(), events.clone())
            .await
            .context("cannot start the plugin runtime")?;
        let library = Library::new(store, plugins.clone(), media, events.clone());
        library
            .restore_cookies()
            .await
            .context("cannot load the stored source cookies")?;
        let holder = crate::tasks::host_id(&config.data_dir).context("cannot read the host id")?;
        let holder_name = holder.clone();
        let mut kinds = crate::tasks::Registry::default();
        crate::tasks::library_kinds(&mut kinds, &library, config.tasks.mock_downloads);
        kinds.register(crate::tasks::Download {
            library: library.clone(),
            fetch: fetch.clone(),
            settings: config.download.clone(),
            work_root: config.download_work_dir(),
        });
        let translator =
            crate::translate::from_config(&config, library.store().clone(), plugins.clone())
                .context("cannot set up the translator")?;
        let translating = translator.is_some();
        kinds.register(crate::tasks::Translate { translator });
        let maintenance = crate::maintenance::Maintenance::new(
            library.store().clone(),
            library.media().clone(),
            &config,
        );
        crate::tasks::maintenance_kinds(&mut kinds, &maintenance, &library);
        let tasks = TaskQueue::new(
            library.store().clone(),
            events.clone(),
            kinds,
            config.tasks.clone(),
            holder,
        );
        tasks.set_plugin_tasks(crate::tasks::PluginTasks::new(
            plugins.clone(),
            library.clone(),
        ));
        if translating {
            // Adding a resource queues its translation; a refresh with `retranslate` a
            // forced one (N-C1, N-C6).
            library.set_translation_requests(std::sync::Arc::new(
                crate::tasks::TranslationTasks::new(tasks.downgrade()),
            ));
        }
        let shutdown = CancellationToken::new();
        // A schedule whose task or data its kind refuses would only fail at every tick.
        for job in config.schedules.jobs.iter().filter(|job| job.enabled) {
            tasks
                .check(&job.task, job.data.clone())
                .with_context(|| format!("schedules.jobs.{}", job.name))?;
        }
        let tracker = TaskTracker::new();
        let metrics = if config.metrics_enabled {
            Some(
                crate::telemetry::install()
                    .map_err(|error| anyhow::anyhow!("cannot record metrics: {error}"))?,
            )
        } else {
            None
        };
        let cluster = match &config.redis {
            Some(redis) => {
                let cluster = crate::cluster::Cluster::start(
                    redis,
                    &holder_name,
                    &events,
                    &tracker,
                    shutdown.child_token(),
                )?;
                let peers =
                    std::sync::Arc::new(cluster_link::ClusterPeers(cluster.signals().clone()));
                tasks.set_peers(peers.clone());
                plugins.registry().set_peers(peers.clone());
                library.set_cookie_peers(peers);
                tracker.spawn(cluster_link::follow_signals(
                    cluster.signals().clone(),
                    cluster_link::Followers {
                        tasks: tasks.clone(),
                        plugins: plugins.clone(),
                        library: library.clone(),
                    },
                    shutdown.child_token(),
                ));
                Some(cluster)
            }
            None => None,
        };
        tasks.start_workers(&tracker, shutdown.child_token()).await;
        let scheduler = crate::schedule::Scheduler::new(
            library.store().clone(),
            tasks.clone(),
            events.clone(),
            config.schedules.clone(),
        );
        tracker.spawn(scheduler.clone().run(shutdown.child_token()));
        tracker.spawn({
            let store = library.store().clone();
            let cancel = shutdown.child_token();
            async move { store.follow_library_writes(cancel).await }
        });
        tracker.spawn({
            let store = library.store().clone();
            let cancel = shutdown.child_token();
            async move { store.keep_statistics(cancel).await }
        });
        if config.plugins.watch {
            let watcher = plugins
                .watcher(shutdown.child_token())
                .context("cannot watch the plugins directory")?;
            tracker.spawn(watcher);
        }
        let indexes = crate::plugin_index::PluginIndexes::new(
            &config,
            fetch.clone(),
            plugins.registry().clone(),
            events.clone(),
            &tracker,
            &shutdown,
        )
        .context("cannot read the plugin index state")?;
        indexes.spawn(&tracker);
        let listener = tokio::net::TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let addr = listener.local_addr()?;
        if !addr.ip().is_loopback() {
            tracing::warn!(%addr, "listening on a non-loopback address: anyone who can reach it can manage plugins");
        }
        let state = AppState::from(api::Shared {
            plugins: plugins.clone(),
            indexes,
            library: library.clone(),
            tasks: tasks.clone(),
            scheduler,
            events: events.clone(),
            started,
            display_title: config.library.display_title,
            file_path_prefix: config.library.file_path_prefix.clone(),
            file_path_prefix_replaces_root: config.library.file_path_prefix_replaces_root,
            reports_dir: crate::maintenance::reports_dir(&config.data_dir),
            shutdown: shutdown.child_token(),
            connections: tracker.clone(),
            max_wait: api::wait_limit(config.server.request_timeout),
            list_cache: api::list_cache(config.library.list_cache_bytes),
            guard: api::Guard::new(&config.server, &config.data_dir)
                .context("cannot set up the API token")?,
            ui: api::UiFiles::new(config.server.web_dir.as_deref()),
            config_shown: config.shown.clone(),
            cluster: cluster.as_ref().map(|cluster| cluster.health().clone()),
            metrics,
        });
        let router = api::router(state, &config.server);
        tracker.spawn(api::serve(
            listener,
            router,
            config.server.clone(),
            shutdown.child_token(),
        ));
        let (loaded, failed) = plugins.registry().views();
        tracing::info!(
            %addr, plugins = loaded.len(), rejected_files = failed.len(),
            startup_ms = started.elapsed().as_millis() as u64, "kura is serving"
        );
        Ok(Self {
            addr,
            plugins,
            library,
            tasks,
            events,
            shutdown,
            tracker,
        })
    }

    /// The address the API listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The plugin host (for in-process callers and tests).
    pub fn plugins(&self) -> &PluginHost {
        &self.plugins
    }

    /// The library (for in-process callers and tests).
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The task queue (for in-process callers and tests).
    pub fn tasks(&self) -> &TaskQueue {
        &self.tasks
    }

    /// The event bus.
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// Stops every loop and waits for them, up to a deadline.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.tracker.close();
        if tokio::time::timeout(SHUTDOWN_TIMEOUT, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("background tasks did not stop within {SHUTDOWN_TIMEOUT:?}");
        }
        self.library.store().close().await;
    }
}

/// Opens the database. A new one gets its schema at once; one that holds data and has
/// migrations pending goes through the guarded upgrade (T-A3: backup, migrate, validate,
/// put the backup back on failure), and the server does not start unless it succeeded.
/// A schema newer than this binary knows is refused.
async fn open_store(config: &Config, media: &MediaStore) -> anyhow::Result<Store> {
    use crate::maintenance::{Maintenance, UpgradeOutcome};
    let store = Store::open_without_migrating(&config.database_url).await?;
    let status = store.schema_status(store.migrator()).await?;
    if status.applied.is_empty() || status.pending.is_empty() {
        // A new database, or one up to date: `migrate` creates the schema, or checks
        // it and refuses one newer than this binary.
        store.migrate(store.migrator()).await?;
        return Ok(store);
    }
    tracing::info!(pending = ?status.pending, "database schema upgrade: backing up first");
    let report = Maintenance::new(store.clone(), media.clone(), config)
        .upgrade_database(store.migrator())
        .await?;
    match report.outcome {
        UpgradeOutcome::Upgraded | UpgradeOutcome::UpToDate => {
            tracing::info!(from = report.from_version, to = report.to_version, backup = ?report.backup, "database schema upgraded");
            Ok(store)
        }
        outcome => anyhow::bail!(
            "the database upgrade ended {outcome:?}; nothing was started (report {}; backup {:?})",
            report.report,
            report.backup
        ),
    }
}

/// Runs the server until `signal` completes, then shuts down cleanly.
pub(crate) async fn run(config: Config, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
    let server = Server::start(config).await?;
    signal.await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}
