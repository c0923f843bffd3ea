//! Configuration: load the YAML file (or the embedded defaults), validate it into typed
//! settings, and apply command-line overrides.
//!
//! `raw` is the file format; [`Config`] is what the rest of the server reads.

mod cluster;
mod effective;
mod maintenance;
mod nassav;
mod plugin_index;
mod private_host;
pub(crate) mod raw;
mod schedules;
mod tasks;
mod translator;

pub(crate) use nassav::import_nassav;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::types::{AudioRule, HostPattern, SubtitleRule, VariantRule};
pub(crate) use cluster::RawRedis;
pub(crate) use cluster::RedisConfig;
pub(crate) use maintenance::{MaintenanceConfig, RawMaintenance};
pub(crate) use plugin_index::{IndexSourceConfig, PluginIndexConfig, RawPluginIndex};
pub(crate) use private_host::PrivateHost;
use raw::{RawConfig, RawPluginEntry};
#[cfg(test)]
pub(crate) use schedules::RawJob;
pub(crate) use schedules::{JobConfig, RawSchedules, SchedulesConfig, Zone};
pub(crate) use tasks::{RawTasks, TasksConfig};
pub(crate) use translator::{
    ApiKey, RawTranslator, TranslatorApi, TranslatorConfig, TranslatorProfile,
};
#[cfg(test)]
pub(crate) use translator::{DEFAULT_PROMPT, RawTranslatorProfile};

/// Where the server looks for its config when no `--config` is given.
pub(crate) const DEFAULT_CONFIG_PATH: &str = "config/config.yaml";

/// A config problem, naming the file and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config key `{key}`: {message}")]
    Invalid { key: String, message: String },
}

type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) server: ServerConfig,
    pub(crate) data_dir: PathBuf,
    /// `log.filter` (or the `--log` override); None: the command's default.
    pub(crate) log_filter: Option<String>,
    /// Log files of `kura serve` (N-M2); None: terminal only.
    pub(crate) log_files: Option<LogFiles>,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    pub(crate) library: LibraryConfig,
    pub(crate) tasks: TasksConfig,
    /// Backups, their sync target, reports, consistency checks.
    pub(crate) maintenance: MaintenanceConfig,
    pub(crate) schedules: SchedulesConfig,
    pub(crate) plugins: PluginsConfig,
    /// The signed plugin indexes followed.
    pub(crate) plugin_index: PluginIndexConfig,
    pub fetch: FetchConfig,
    pub(crate) download: DownloadConfig,
    /// Title translation: the LLM profiles (N-C2).
    pub(crate) translator: TranslatorConfig,
    /// The Redis the deployment's hosts share; None: one host.
    pub(crate) redis: Option<RedisConfig>,
    /// `GET /metrics` and the series it shows (`metrics.enabled`).
    pub(crate) metrics_enabled: bool,
    /// Per-plugin settings by name, from `sources:`, `scrapers:`, `cleaners:` and
    /// `playlist_filters:`.
    pub(crate) plugin_entries: BTreeMap<String, PluginEntry>,
    /// Every key as the server runs with it, secrets hidden (`GET /api/config`).
    pub(crate) shown: serde_json::Value,
}

/// `server:` validated.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    pub(crate) listen: SocketAddr,
    /// Plugin uploads.
    pub(crate) max_body_bytes: usize,
    /// Every other route's body.
    pub(crate) max_json_body_bytes: usize,
    /// Request-body bytes held at once, all requests together.
    pub(crate) max_body_memory_bytes: usize,
    /// Plugin-upload bytes held at once.
    pub(crate) max_upload_memory_bytes: usize,
    /// Also the deadline of a connection's first request.
    pub(crate) header_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) request_timeout: Duration,
    pub(crate) require_token: bool,
    /// The session cookie carries `Secure`.
    pub(crate) secure_cookie: bool,
    /// Lower-case host names accepted in `Host` (loopback names always are).
    pub(crate) allowed_hosts: Vec<String>,
    /// Exact origins (`scheme://host[:port]`) allowed by CORS.
    pub(crate) cors_origins: Vec<String>,
    /// Served read-only at `/ui/*` when set.
    pub(crate) web_dir: Option<PathBuf>,
}

/// Which title the API shows (N-C7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DisplayTitle {
    Translated,
    Source,
    Original,
}

/// `library:` validated.
#[derive(Debug, Clone)]
pub(crate) struct LibraryConfig {
    /// `library.media_dir` under the data directory, or the data directory itself.
    pub(crate) media_dir: PathBuf,
    pub(crate) display_title: DisplayTitle,
    pub(crate) file_path_prefix: String,
    /// The prefix replaces the media directory rather than going before the path.
    pub(crate) file_path_prefix_replaces_root: bool,
    /// Bytes of list answers cached between library writes; 0: no cache.
    pub(crate) list_cache_bytes: u64,
}

/// `plugins:` validated, with paths resolved against the data directory.
#[derive(Debug, Clone)]
pub(crate) struct PluginsConfig {
    pub(crate) dir: PathBuf,
    pub(crate) cache_dir: PathBuf,
    pub(crate) watch: bool,
    pub(crate) watch_debounce: Duration,
    pub(crate) memory_bytes: usize,
    pub(crate) call_timeout: Duration,
    pub(crate) cleaner_timeout: Duration,
    pub(crate) task_timeout: Duration,
    pub(crate) max_concurrent_calls: u32,
    pub(crate) max_log_bytes_per_call: usize,
    pub(crate) keep_versions: usize,
    pub(crate) builtins: bool,
}

/// `fetch:` and `proxy:` validated.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub(crate) user_agent: String,
    pub(crate) accept_language: String,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) max_redirects: u32,
    pub(crate) max_requests_per_call: u32,
    pub(crate) allow_private_hosts: Vec<PrivateHost>,
    pub(crate) resolve: BTreeMap<String, IpAddr>,
    pub(crate) proxy: Option<url::Url>,
}

/// Where log files go and how long they are kept.
#[derive(Debug, Clone)]
pub(crate) struct LogFiles {
    pub(crate) dir: PathBuf,
    pub(crate) keep_days: usize,
    pub(crate) access_log: bool,
}

/// `download:` validated.
#[derive(Debug, Clone)]
pub(crate) struct DownloadConfig {
    pub(crate) concurrency: usize,
    pub(crate) request_ahead: usize,
    pub(crate) retries: u32,
    pub(crate) retry_delay: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) variant: VariantRule,
    pub(crate) audio: AudioRule,
    pub(crate) subtitles: SubtitleRule,
    pub(crate) remux: bool,
}

/// One plugin's operator settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct PluginEntry {
    pub(crate) enabled: Option<bool>,
    pub(crate) weight: Option<i32>,
    pub(crate) domain: Option<url::Url>,
    pub(crate) approved_hosts: Option<Vec<HostPattern>>,
    pub(crate) settings: BTreeMap<String, String>,
}

/// Command-line and environment overrides, applied after the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub host: Option<IpAddr>,
    pub port: Option<u16>,
    pub data_dir: Option<PathBuf>,
    pub log_filter: Option<String>,
}

impl Config {
    /// The media root: `resource/cover`, `resource/video` and `resource/avatar` live
    /// under it (N-I1).
    pub fn media_dir(&self) -> PathBuf {
        self.library.media_dir.clone()
    }

    /// Where unfinished downloads keep their parts and journal: under the media
    /// directory, so another host of the deployment resumes a download a dead host left.
    pub(crate) fn download_work_dir(&self) -> PathBuf {
        self.media_dir().join("work").join("download")
    }

    /// Loads `path`, or `config/config.yaml` when it exists, or the embedded defaults.
    pub(crate) fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Self> {
        let raw = match path {
            Some(path) => Self::read_raw(path)?,
            None if Path::new(DEFAULT_CONFIG_PATH).is_file() => {
                Self::read_raw(Path::new(DEFAULT_CONFIG_PATH))?
            }
            None => RawConfig::default(),
        };
        Self::from_raw(raw, overrides)
    }

    /// Parses YAML text; `origin` names the source in errors.
    pub fn parse(text: &str, origin: &Path, overrides: &Overrides) -> Result<Self> {
        Self::from_raw(parse_raw(text, origin)?, overrides)
    }

    /// The embedded defaults with `overrides` applied.
    pub fn defaults(overrides: &Overrides) -> Result<Self> {
        Self::from_raw(RawConfig::default(), overrides)
    }

    fn read_raw(path: &Path) -> Result<RawConfig> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        parse_raw(&text, path)
    }

    fn from_raw(mut raw: RawConfig, overrides: &Overrides) -> Result<Self> {
        if let Some(host) = overrides.host {
            raw.server.host = host;
        }
        if let Some(port) = overrides.port {
            raw.server.port = port;
        }
        if let Some(dir) = &overrides.data_dir {
            raw.data_dir = dir.clone();
        }
        if let Some(filter) = &overrides.log_filter {
            raw.log.filter = Some(filter.clone());
        }
        validate(raw)
    }
}

fn parse_raw(text: &str, origin: &Path) -> Result<RawConfig> {
    if text.trim().is_empty() {
        return Ok(RawConfig::default());
    }
    serde_saphyr::from_str(text).map_err(|error| ConfigError::Parse {
        path: origin.to_owned(),
        message: error.to_string(),
    })
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

fn positive(key: &str, value: u64) -> Result<u64> {
    if value == 0 {
        return Err(invalid(key, "must be greater than 0"));
    }
    Ok(value)
}

/// A positive byte count that fits in memory.
fn byte_size(key: &str, value: u64) -> Result<usize> {
    usize::try_from(positive(key, value)?).map_err(|_| invalid(key, "too large"))
}

fn validate(raw: RawConfig) -> Result<Config> {
    let data_dir = raw.data_dir.clone();
    if data_dir.as_os_str().is_empty() {
        return Err(invalid("data_dir", "must not be empty"));
    }
    let under_data = |path: &Path| {
        if path.is_absolute() {
            path.to_owned()
        } else {
            data_dir.join(path)
        }
    };
    let server = ServerConfig {
        listen: SocketAddr::new(raw.server.host, raw.server.port),
        max_body_bytes: byte_size("server.max_body_bytes", raw.server.max_body_bytes)?,
        max_json_body_bytes: byte_size(
            "server.max_json_body_bytes",
            raw.server.max_json_body_bytes,
        )?,
        max_body_memory_bytes: byte_size(
            "server.max_body_memory_bytes",
            raw.server.max_body_memory_bytes,
        )?,
        max_upload_memory_bytes: byte_size(
            "server.max_upload_memory_bytes",
            raw.server.max_upload_memory_bytes,
        )?,
        header_read_timeout: Duration::from_millis(positive(
            "server.header_read_timeout_ms",
            raw.server.header_read_timeout_ms,
        )?),
        idle_timeout: Duration::from_millis(positive(
            "server.idle_timeout_ms",
            raw.server.idle_timeout_ms,
        )?),
        max_connections: positive(
            "server.max_connections",
            u64::from(raw.server.max_connections),
        )? as usize,
        request_timeout: Duration::from_millis(positive(
            "server.request_timeout_ms",
            raw.server.request_timeout_ms,
        )?),
        require_token: raw
            .server
            .require_token
            .unwrap_or(!raw.server.host.is_loopback()),
        secure_cookie: raw.server.secure_cookie,
        allowed_hosts: raw
            .server
            .allowed_hosts
            .iter()
            .map(|host| host.trim().to_ascii_lowercase())
            .collect(),
        cors_origins: validate_origins(&raw.server.cors_origins)?,
        web_dir: raw.server.web_dir.as_deref().map(under_data),
    };
    if server
        .allowed_hosts
        .iter()
        .any(|h| h.is_empty() || h.contains(['/', ' ', '@']))
    {
        return Err(invalid(
            "server.allowed_hosts",
            "entries are bare host names",
        ));
    }
    // The folder is served without a token: it must not hold the data directory (the
    // database, the token's hash, the session key).
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    if let Some(web) = &server.web_dir
        && absolute(&data_dir).starts_with(absolute(web))
    {
        return Err(invalid(
            "server.web_dir",
            "must not be the data directory or a folder that holds it",
        ));
    }
    if server.max_body_memory_bytes < server.max_json_body_bytes {
        return Err(invalid(
            "server.max_body_memory_bytes",
            "must be at least max_json_body_bytes",
        ));
    }
    if server.max_upload_memory_bytes < server.max_body_bytes {
        return Err(invalid(
            "server.max_upload_memory_bytes",
            "must be at least max_body_bytes",
        ));
    }
    if let Some(filter) = &raw.log.filter {
        tracing_subscriber::EnvFilter::try_new(filter)
            .map_err(|error| invalid("log.filter", error.to_string()))?;
    }
    let p = &raw.plugins;
    if !(1..=4096).contains(&p.memory_mb) {
        return Err(invalid("plugins.memory_mb", "must be between 1 and 4096"));
    }
    if !(1..=1024).contains(&p.max_concurrent_calls) {
        return Err(invalid(
            "plugins.max_concurrent_calls",
            "must be between 1 and 1024",
        ));
    }
    if p.keep_versions < 2 {
        return Err(invalid(
            "plugins.keep_versions",
            "must be at least 2 (the running version and one to roll back to)",
        ));
    }
    let plugins = PluginsConfig {
        dir: under_data(&p.dir),
        cache_dir: under_data(&p.cache_dir),
        watch: p.watch,
        watch_debounce: Duration::from_millis(p.watch_debounce_ms),
        memory_bytes: (p.memory_mb as usize) << 20,
        call_timeout: Duration::from_millis(positive(
            "plugins.call_timeout_ms",
            p.call_timeout_ms,
        )?),
        cleaner_timeout: Duration::from_millis(positive(
            "plugins.cleaner_timeout_ms",
            p.cleaner_timeout_ms,
        )?),
        task_timeout: Duration::from_millis(positive(
            "plugins.task_timeout_ms",
            p.task_timeout_ms,
        )?),
        max_concurrent_calls: p.max_concurrent_calls,
        max_log_bytes_per_call: p.max_log_bytes_per_call as usize,
        keep_versions: p.keep_versions as usize,
        builtins: p.builtins,
    };
    let fetch = validate_fetch(&raw)?;
    let download = validate_download(&raw.download)?;
    let mut plugin_entries = BTreeMap::new();
    for (section, entries) in [
        ("sources", &raw.sources),
        ("scrapers", &raw.scrapers),
        ("cleaners", &raw.cleaners),
        ("playlist_filters", &raw.playlist_filters),
    ] {
        for (name, entry) in entries {
            let key = format!("{section}.{name}");
            let entry = validate_entry(&key, entry)?;
            if plugin_entries.insert(name.clone(), entry).is_some() {
                return Err(invalid(key, "the same plugin is configured twice"));
            }
        }
    }
    let database_url = match &raw.database.url {
        Some(url)
            if url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://") =>
        {
            url.clone()
        }
        Some(_) => {
            return Err(invalid(
                "database.url",
                "must start with sqlite: or postgres://",
            ));
        }
        None => format!("sqlite://{}", data_dir.join("kura.db").display()),
    };
    let display_title = match raw.library.display_title.as_str() {
        "translated" => DisplayTitle::Translated,
        "source" => DisplayTitle::Source,
        "original" => DisplayTitle::Original,
        _ => {
            return Err(invalid(
                "library.display_title",
                "must be translated, source or original",
            ));
        }
    };
    let maintenance_config = maintenance::validate_maintenance(&raw.maintenance, &data_dir)?;
    let media_dir = raw
        .library
        .media_dir
        .as_deref()
        .map_or_else(|| data_dir.clone(), under_data);
    let log_files = match &raw.log.dir {
        Some(dir) => {
            if !(1..=3650).contains(&raw.log.keep_days) {
                return Err(invalid("log.keep_days", "must be between 1 and 3650"));
            }
            Some(LogFiles {
                dir: under_data(dir),
                keep_days: raw.log.keep_days as usize,
                access_log: raw.log.access_log,
            })
        }
        None => None,
    };
    Ok(Config {
        server,
        data_dir,
        log_files,
        log_filter: raw.log.filter.clone(),
        database_url,
        library: LibraryConfig {
            media_dir,
            display_title,
            file_path_prefix: raw.library.file_path_prefix.clone(),
            file_path_prefix_replaces_root: raw.library.file_path_prefix_replaces_root,
            list_cache_bytes: raw.library.list_cache_mib.saturating_mul(1024 * 1024),
        },
        tasks: tasks::validate_tasks(&raw.tasks)?,
        plugin_index: plugin_index::validate_plugin_index(&raw.plugin_index)?,
        maintenance: maintenance_config,
        schedules: schedules::validate_schedules(&raw.schedules)?,
        plugins,
        fetch,
        download,
        translator: translator::validate_translator(&raw.translator)?,
        redis: cluster::validate_redis(&raw.redis)?,
        metrics_enabled: raw.metrics.enabled,
        plugin_entries,
        shown: effective::shown(&raw),
    })
}

fn validate_download(raw: &raw::RawDownload) -> Result<DownloadConfig> {
    if !(1..=64).contains(&raw.concurrency) {
        return Err(invalid("download.concurrency", "must be between 1 and 64"));
    }
    if raw.request_ahead > 64 {
        return Err(invalid("download.request_ahead", "must be at most 64"));
    }
    if raw.retries > 100 {
        return Err(invalid("download.retries", "must be at most 100"));
    }
    Ok(DownloadConfig {
        concurrency: raw.concurrency as usize,
        request_ahead: raw.request_ahead as usize,
        retries: raw.retries,
        retry_delay: Duration::from_millis(raw.retry_delay_ms),
        idle_timeout: Duration::from_millis(positive(
            "download.idle_timeout_ms",
            raw.idle_timeout_ms,
        )?),
        variant: raw
            .variant
            .parse()
            .map_err(|message: String| invalid("download.variant", message))?,
        audio: raw
            .audio
            .parse()
            .map_err(|message: String| invalid("download.audio", message))?,
        subtitles: raw
            .subtitles
            .parse()
            .map_err(|message: String| invalid("download.subtitles", message))?,
        remux: raw.remux,
    })
}

fn validate_fetch(raw: &RawConfig) -> Result<FetchConfig> {
    let f = &raw.fetch;
    if f.user_agent.trim().is_empty() {
        return Err(invalid("fetch.user_agent", "must not be empty"));
    }
    if f.max_redirects > 20 {
        return Err(invalid("fetch.max_redirects", "must be at most 20"));
    }
    let allow_private_hosts = f
        .allow_private_hosts
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            PrivateHost::parse(entry)
                .map_err(|message| invalid(format!("fetch.allow_private_hosts[{index}]"), message))
        })
        .collect::<Result<Vec<_>>>()?;
    let proxy = match (&raw.proxy.enabled, &raw.proxy.url) {
        (false, _) => None,
        (true, None) => return Err(invalid("proxy.url", "required when proxy.enabled is true")),
        (true, Some(text)) => {
            let url =
                url::Url::parse(text).map_err(|error| invalid("proxy.url", error.to_string()))?;
            if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
                return Err(invalid("proxy.url", "scheme must be http, https or socks5"));
            }
            Some(url)
        }
    };
    Ok(FetchConfig {
        user_agent: f.user_agent.clone(),
        accept_language: f.accept_language.clone(),
        timeout: Duration::from_millis(positive("fetch.timeout_ms", f.timeout_ms)?),
        connect_timeout: Duration::from_millis(positive(
            "fetch.connect_timeout_ms",
            f.connect_timeout_ms,
        )?),
        max_response_bytes: positive("fetch.max_response_bytes", f.max_response_bytes)?,
        max_redirects: f.max_redirects,
        max_requests_per_call: positive(
            "fetch.max_requests_per_call",
            f.max_requests_per_call.into(),
        )? as u32,
        allow_private_hosts,
        resolve: f
            .resolve
            .iter()
            .map(|(host, ip)| (host.to_ascii_lowercase(), *ip))
            .collect(),
        proxy,
    })
}

/// CORS origins must be exact `scheme://host[:port]`; `*` and `null` are refused.
fn validate_origins(origins: &[String]) -> Result<Vec<String>> {
    origins
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let key = format!("server.cors_origins[{index}]");
            let url = url::Url::parse(text).map_err(|error| invalid(&key, error.to_string()))?;
            let origin = url.origin();
            if !origin.is_tuple() || url.path() != "/" || text.ends_with('/') {
                return Err(invalid(
                    key,
                    "must be an exact origin like https://app.example:8443",
                ));
            }
            Ok(origin.ascii_serialization())
        })
        .collect()
}

fn validate_entry(key: &str, raw: &RawPluginEntry) -> Result<PluginEntry> {
    let domain = match &raw.domain {
        None => None,
        Some(text) => {
            let url = url::Url::parse(text)
                .map_err(|error| invalid(format!("{key}.domain"), error.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(invalid(
                    format!("{key}.domain"),
                    "must be an absolute http or https URL",
                ));
            }
            Some(url)
        }
    };
    let approved_hosts = match &raw.allowed_hosts {
        None => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(index, text)| {
                    HostPattern::parse(text).map_err(|error| {
                        invalid(format!("{key}.allowed_hosts[{index}]"), error.to_string())
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        ),
    };
    if raw.settings.contains_key("domain") {
        return Err(invalid(
            format!("{key}.settings.domain"),
            "set the domain with the `domain` key, not under settings",
        ));
    }
    Ok(PluginEntry {
        enabled: raw.enabled,
        weight: raw.weight,
        domain,
        approved_hosts,
        settings: raw.settings.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("test.yaml"), &Overrides::default())
    }

    #[test]
    fn empty_file_gives_defaults() {
        let config = parse("").expect("empty config is valid");
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8380");
        assert_eq!(config.plugins.dir, Path::new("data/plugins"));
    }

    #[test]
    fn unknown_keys_name_the_key() {
        for (text, needle) in [
            ("servr: {}\n", "servr"),
            ("server:\n  prot: 1\n", "prot"),
            ("sources:\n  a:\n    wieght: 3\n", "wieght"),
        ] {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.contains(needle), "{text:?} gave {error}");
        }
    }

    #[test]
    fn bad_values_name_the_key() {
        for (text, key) in [
            ("plugins:\n  memory_mb: 0\n", "plugins.memory_mb"),
            ("fetch:\n  max_redirects: 99\n", "fetch.max_redirects"),
            ("proxy:\n  enabled: true\n", "proxy.url"),
            ("sources:\n  a:\n    domain: ftp://x\n", "sources.a.domain"),
            (
                "sources:\n  a:\n    allowed_hosts: [\"http://a/b\"]\n",
                "sources.a.allowed_hosts[0]",
            ),
            (
                "fetch:\n  allow_private_hosts: [\"a/b\"]\n",
                "fetch.allow_private_hosts[0]",
            ),
            ("log:\n  filter: \"=[\"\n", "log.filter"),
            ("database:\n  url: mysql://x\n", "database.url"),
            ("download:\n  concurrency: 0\n", "download.concurrency"),
            ("download:\n  variant: fast\n", "download.variant"),
            (
                "library:\n  display_title: fancy\n",
                "library.display_title",
            ),
        ] {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.contains(key), "{text:?} gave {error}");
        }
        let error = parse("server:\n  port: 99999\n")
            .expect_err("port")
            .to_string();
        assert!(error.contains("port"), "{error}");
    }

    #[test]
    fn overrides_win_over_the_file() {
        let overrides = Overrides {
            port: Some(9000),
            data_dir: Some(PathBuf::from("/tmp/kura")),
            ..Overrides::default()
        };
        let config =
            Config::parse("server:\n  port: 1\n", Path::new("t"), &overrides).expect("valid");
        assert_eq!(config.server.listen.port(), 9000);
        assert_eq!(config.plugins.dir, Path::new("/tmp/kura/plugins"));
    }

    #[test]
    fn web_dir_is_unset_by_default_and_resolves_under_the_data_dir() {
        assert_eq!(parse("").expect("valid").server.web_dir, None);
        let config = parse("server:\n  web_dir: web\n").expect("valid");
        assert_eq!(
            config.server.web_dir.as_deref(),
            Some(Path::new("data/web"))
        );
        let config = parse("server:\n  web_dir: /srv/ui\n").expect("valid");
        assert_eq!(config.server.web_dir.as_deref(), Some(Path::new("/srv/ui")));
        for holds_the_data in ["server:\n  web_dir: .\n", "server:\n  web_dir: /\n"] {
            assert!(
                matches!(parse(holds_the_data), Err(ConfigError::Invalid { ref key, .. }) if key == "server.web_dir"),
                "{holds_the_data}"
            );
        }
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;

    /// The documented templates must always load.
    #[test]
    fn shipped_config_files_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
        for name in ["template-config.yaml", "config.yaml"] {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).expect("config file readable");
            Config::parse(&text, &path, &Overrides::default())
                .unwrap_or_else(|error| panic!("{name}: {error}"));
        }
    }
}
