//! The command line: `kura serve` and the operator and plugin-author commands.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Overrides};
use crate::events::EventBus;
use crate::fetch::FetchClient;
use crate::plugins::{PluginHost, PluginKind};

mod adopt;
mod database;
mod download;
#[cfg(test)]
mod help_tests;
mod import;
mod index_client;
mod library;
mod maintenance;
mod publish;
mod tasks;
mod translate;

/// Kura, a self-hosted media library server with WebAssembly site plugins.
#[derive(Debug, Parser)]
#[command(name = "kura", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Config file (default: config/config.yaml when present, else built-in defaults).
    #[arg(long, global = true, env = "KURA_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Data directory (database, plugins, cache, media, logs).
    #[arg(long, global = true, env = "KURA_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Log filter in RUST_LOG syntax, e.g. `info,kura::plugins=debug`.
    #[arg(long, global = true, env = "KURA_LOG")]
    pub(crate) log: Option<String>,
    /// Only warnings and errors on the terminal.
    #[arg(long, global = true)]
    pub(crate) silent: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the server: API, plugins, watcher.
    Serve {
        /// Address to bind: an IP address or a host name (`localhost`); default 127.0.0.1.
        #[arg(long, env = "KURA_HOST", value_parser = crate::types::parse_bind_host)]
        host: Option<IpAddr>,
        /// Port to bind (default 8380; 0 picks one).
        #[arg(long, env = "KURA_PORT")]
        port: Option<u16>,
    },
    /// Inspect, list and call plugins; sign them as their author.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Publish a plugin index: keys, releases, yanks, signing, key rotation.
    #[command(subcommand)]
    Index(publish::IndexCommand),
    /// Rewrite stored codes that predate normalisation to their canonical form, with
    /// their files. Without --execute, only reports.
    FixCodes {
        /// Only count and list what would change (the default).
        #[arg(long, conflicts_with = "execute")]
        stats: bool,
        /// Carry out the renames.
        #[arg(long)]
        execute: bool,
    },
    /// Generate missing or stale cover thumbnails; --force regenerates all.
    Thumbnails {
        #[arg(long)]
        force: bool,
    },
    /// Fill the library with COUNT synthetic resources (SEED-000001 on, or from --from),
    /// for benchmarks; written in batches of 10,000, each one transaction.
    Seed {
        #[arg(long, default_value_t = 1000)]
        count: u64,
        /// The number of the first resource (SEED-<FROM>): adds to a seeded library.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        from: u64,
        /// Batches written at once on PostgreSQL, each by a database process of its own
        /// (SQLite writes one at a time), 1 to 8. Default: one fewer than this machine's
        /// cores, at least one, so a server on the same machine keeps a core for its
        /// requests.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=crate::store::MOST_LANES as u64))]
        jobs: Option<u64>,
    },
    /// Download an HLS stream (master or media playlist URL) to a file with the native
    /// engine, as the server does; resumes from FILE.parts/ when run again.
    Download(download::DownloadArgs),
    /// Translate titles through the active translator profile, in this process,
    /// also while a server runs on the same data directory. Without --execute or
    /// --force, only counts.
    Translate(translate::TranslateArgs),
    /// Bring in what the system Kura replaces kept (its code-list backup).
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Check a configuration file and print the configuration it gives.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Read and change the task queue in the database directly (also while no server
    /// runs): list, show, cancel, retry.
    #[command(subcommand)]
    Tasks(tasks::TasksCommand),
    /// Backups, their sync, consistency checks and database upgrades.
    #[command(flatten)]
    Maintenance(maintenance::MaintenanceCommand),
}

/// `kura config` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate FILE (default: --config, else config/config.yaml, else the embedded
    /// defaults) and print the effective configuration: every key with its default,
    /// overrides applied, secrets hidden. Exits 1 naming the first bad key.
    Check {
        /// The configuration file.
        file: Option<std::path::PathBuf>,
    },
    /// Print the Kura configuration equivalent to the replaced system's config.yaml
    /// (proxy, file path prefix, backup path, display title, translator profiles,
    /// sources and scrapers), with a comment on every key it could not map.
    ImportNassav {
        /// That system's config.yaml.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PluginCommand {
    /// List the plugins in the plugins directory, and the files that fail to load.
    List,
    /// Show a plugin file's manifest, hash, imports and exports, and any problem.
    Inspect {
        /// A `.wasm` component.
        file: PathBuf,
    },
    /// Call a loaded plugin: a source resolves INPUT as a code (or searches it with
    /// --search), a scraper scrapes it (or finds an avatar with --avatar), a cleaner
    /// cleans it.
    Call {
        name: String,
        input: String,
        #[arg(long)]
        search: bool,
        #[arg(long)]
        avatar: bool,
        /// For scrapers: the page a source found.
        #[arg(long)]
        page_url: Option<String>,
    },
    #[command(flatten)]
    Author(publish::AuthorCommand),
    #[command(flatten)]
    Index(index_client::IndexClientCommand),
}

/// `kura config check`: the verdict on the configuration, and what it gives.
fn check_config(
    file: Option<&std::path::Path>,
    loaded: Result<Config, crate::config::ConfigError>,
) -> anyhow::Result<ExitCode> {
    let origin = match file {
        Some(path) => path.display().to_string(),
        None if std::path::Path::new(crate::config::DEFAULT_CONFIG_PATH).is_file() => {
            crate::config::DEFAULT_CONFIG_PATH.to_owned()
        }
        None => "the embedded defaults".to_owned(),
    };
    match loaded {
        Ok(config) => {
            let text = serde_saphyr::to_string(&config.shown)
                .map_err(|error| anyhow::anyhow!("cannot print the configuration: {error}"))?;
            println!("# {origin}: valid. The configuration as kura runs it (secrets hidden):");
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("error: {origin}: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `kura config import-nassav FILE`: the equivalent configuration on stdout.
fn import_nassav_config(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", file.display()))?;
    let converted = crate::config::import_nassav(&text, &file.display().to_string())
        .map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
    print!("{converted}");
    Ok(ExitCode::SUCCESS)
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut overrides = Overrides {
        data_dir: cli.global.data_dir.clone(),
        log_filter: cli.global.log.clone(),
        ..Overrides::default()
    };
    if let Command::Serve { host, port } = &cli.command {
        overrides.host = *host;
        overrides.port = *port;
    }
    // Logging comes first, for every command: a config that fails to load still leaves
    // `--log` and the environment in force, and `plugin inspect` needs no config.
    let config = Config::load(cli.global.config.as_deref(), &overrides);
    let default_filter = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    let filter = crate::logging::choose_filter(
        cli.global.log.as_deref(),
        std::env::var(crate::logging::RUST_LOG).ok().as_deref(),
        config
            .as_ref()
            .ok()
            .and_then(|config| config.log_filter.as_deref()),
        default_filter,
    );
    if let Command::Plugin(PluginCommand::Inspect { file }) = &cli.command {
        crate::logging::init(&filter, cli.global.silent);
        return inspect(file);
    }
    if let Command::Plugin(PluginCommand::Author(command)) = cli.command {
        crate::logging::init(&filter, cli.global.silent);
        return publish::author(command, || config.map_err(anyhow::Error::from)).await;
    }
    if let Command::Index(command) = cli.command {
        crate::logging::init(&filter, cli.global.silent);
        return publish::index(command, || config.map_err(anyhow::Error::from)).await;
    }
    if let Command::Config(ConfigCommand::Check { file }) = &cli.command {
        crate::logging::init(&filter, cli.global.silent);
        let file = file.clone().or_else(|| cli.global.config.clone());
        let loaded = match &file {
            Some(path) => Config::load(Some(path), &overrides),
            None => config,
        };
        return check_config(file.as_deref(), loaded);
    }
    if let Command::Config(ConfigCommand::ImportNassav { file }) = &cli.command {
        crate::logging::init(&filter, cli.global.silent);
        return import_nassav_config(file);
    }
    let config = config?;
    if let Command::Serve { .. } = cli.command {
        let _log_files =
            crate::logging::init_server(&filter, cli.global.silent, config.log_files.as_ref());
        crate::server::run(config, shutdown_signal()).await?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::logging::init(&filter, cli.global.silent);
    match cli.command {
        Command::FixCodes { execute, .. } => library::fix_codes(&config, execute).await,
        Command::Thumbnails { force } => library::thumbnails(&config, force).await,
        Command::Seed { count, from, jobs } => library::seed(&config, from, count, jobs).await,
        Command::Download(args) => download::run(&config, args, cli.global.silent).await,
        Command::Translate(args) => translate::run(&config, args).await,
        Command::Tasks(command) => tasks::run(&config, command).await,
        Command::Import(command) => import::run(&config, command, cli.global.silent).await,
        Command::Maintenance(command) => {
            maintenance::run(&config, command, cli.global.silent).await
        }
        Command::Serve { .. } | Command::Index(_) | Command::Config(_) => Ok(ExitCode::SUCCESS),
        Command::Plugin(PluginCommand::Index(command)) => index_client::run(command, &config).await,
        Command::Plugin(command) => {
            let host = offline_host(&config).await?;
            match command {
                PluginCommand::List => list(&host),
                PluginCommand::Call {
                    name,
                    input,
                    search,
                    avatar,
                    page_url,
                } => call(&host, &name, &input, search, avatar, page_url.as_deref()).await,
                PluginCommand::Inspect { .. }
                | PluginCommand::Author(_)
                | PluginCommand::Index(_) => Ok(ExitCode::SUCCESS),
            }
        }
    }
}

/// Every plugin in the directory, loaded: a command waits for large ones compiling in
/// the background too (a server serves meanwhile; a command has nothing else to do).
async fn offline_host(config: &Config) -> anyhow::Result<PluginHost> {
    let fetch = FetchClient::new(&config.fetch)?;
    let host = PluginHost::start(config, fetch, EventBus::default()).await?;
    host.registry().compiled().await;
    Ok(host)
}

fn inspect(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let inspection = crate::plugins::inspect(&bytes);
    println!("{}", serde_json::to_string_pretty(&inspection)?);
    Ok(if inspection.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn list(host: &PluginHost) -> anyhow::Result<ExitCode> {
    let (plugins, failures) = host.registry().views();
    println!(
        "{:<24} {:<8} {:<10} {:<8} {:>6}  {:<12}",
        "NAME", "KIND", "VERSION", "ENABLED", "WEIGHT", "SHA256"
    );
    for p in &plugins {
        println!(
            "{:<24} {:<8} {:<10} {:<8} {:>6}  {:<12}",
            p.name,
            p.kind,
            p.version,
            p.enabled,
            p.weight,
            &p.sha256[..12]
        );
    }
    for f in &failures {
        let file = f
            .file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        println!("REJECTED {file}: {}", f.error);
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

async fn call(
    host: &PluginHost,
    name: &str,
    input: &str,
    search: bool,
    avatar: bool,
    page_url: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let plugin = host
        .registry()
        .current(name)
        .with_context(|| format!("plugin `{name}` is not loaded (see `kura plugin list`)"))?;
    let answer = match plugin.kind() {
        PluginKind::Source if search => host.search(name, input).await.map(serde_json::to_value),
        PluginKind::Source => host.resolve(name, input).await.map(serde_json::to_value),
        PluginKind::Scraper if avatar => host.avatar(name, input).await.map(serde_json::to_value),
        PluginKind::Scraper => host
            .scrape(name, input, page_url)
            .await
            .map(serde_json::to_value),
        PluginKind::Cleaner => host.clean(name, input).await.map(serde_json::to_value),
        PluginKind::Task => host.run_task(name, input, None, None).await.map(|result| {
            Ok(serde_json::from_str(&result).unwrap_or(serde_json::Value::String(result)))
        }),
        PluginKind::PlaylistFilter => {
            let playlist = crate::plugins::PlaylistInput::test_call(input, page_url, None, None);
            host.filter_playlist(name, playlist)
                .await
                .map(serde_json::to_value)
        }
    };
    match answer {
        Ok(value) => {
            println!("{}", serde_json::to_string_pretty(&value?)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("{name}: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
