//! The config file as written by the operator: every key, its default and its documentation.
//!
//! `RawConfig` mirrors `config/template-config.yaml` one to one. Unknown keys are errors
//! (`deny_unknown_fields`), so a typo never silently falls back to a default.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The whole config file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawConfig {
    /// Where the HTTP API listens.
    pub(crate) server: RawServer,
    /// Directory for the database, plugins, compiled-plugin cache, media and logs.
    pub(crate) data_dir: PathBuf,
    /// Log output.
    pub(crate) log: RawLog,
    /// The database.
    pub(crate) database: RawDatabase,
    /// The library: what the API shows.
    pub(crate) library: RawLibrary,
    /// The task queue: lanes, leases, retries.
    pub(crate) tasks: super::RawTasks,
    /// Backups, their sync target, reports and consistency checks.
    pub(crate) maintenance: super::RawMaintenance,
    /// Cron schedules, each queueing a task.
    pub(crate) schedules: super::RawSchedules,
    /// The plugin runtime.
    pub(crate) plugins: RawPlugins,
    /// The signed plugin indexes followed (see `kura index`).
    pub(crate) plugin_index: super::RawPluginIndex,
    /// The outbound HTTP client shared by plugins and downloads.
    pub(crate) fetch: RawFetch,
    /// The HLS download engine.
    pub(crate) download: RawDownload,
    /// Title translation through an LLM server.
    pub(crate) translator: super::RawTranslator,
    /// The global outbound proxy.
    pub(crate) proxy: RawProxy,
    /// Redis, shared by the hosts of one deployment.
    pub(crate) redis: super::RawRedis,
    /// Prometheus metrics at `GET /metrics`.
    pub(crate) metrics: RawMetrics,
    /// Per-source settings, by plugin name.
    pub(crate) sources: BTreeMap<String, RawPluginEntry>,
    /// Per-scraper settings, by plugin name.
    pub(crate) scrapers: BTreeMap<String, RawPluginEntry>,
    /// Per-cleaner settings, by plugin name.
    pub(crate) cleaners: BTreeMap<String, RawPluginEntry>,
    /// Per-playlist-filter settings, by plugin name.
    pub(crate) playlist_filters: BTreeMap<String, RawPluginEntry>,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            server: RawServer::default(),
            data_dir: PathBuf::from("data"),
            log: RawLog::default(),
            database: RawDatabase::default(),
            library: RawLibrary::default(),
            tasks: super::RawTasks::default(),
            maintenance: super::RawMaintenance::default(),
            schedules: super::RawSchedules::default(),
            plugins: RawPlugins::default(),
            plugin_index: super::RawPluginIndex::default(),
            fetch: RawFetch::default(),
            download: RawDownload::default(),
            translator: super::RawTranslator::default(),
            proxy: RawProxy::default(),
            redis: super::RawRedis::default(),
            metrics: RawMetrics::default(),
            sources: BTreeMap::new(),
            scrapers: BTreeMap::new(),
            cleaners: BTreeMap::new(),
            playlist_filters: BTreeMap::new(),
        }
    }
}

/// `server:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawServer {
    /// Address to bind. Loopback by default; anything else requires an API token.
    pub(crate) host: IpAddr,
    /// TCP port; 0 picks a free one.
    pub(crate) port: u16,
    /// Largest accepted plugin upload (`POST /api/plugins`), in bytes.
    pub(crate) max_body_bytes: u64,
    /// Largest accepted body of every other route (JSON), in bytes.
    pub(crate) max_json_body_bytes: u64,
    /// Most request-body bytes held at once across all requests but plugin uploads; a
    /// request whose body does not fit waits (within the request timeout). At least
    /// `max_json_body_bytes`.
    pub(crate) max_body_memory_bytes: u64,
    /// Most plugin-upload bytes held at once, a budget of their own so large uploads
    /// never hold up small requests. At least `max_body_bytes`.
    pub(crate) max_upload_memory_bytes: u64,
    /// Time allowed to read a request's headers, in milliseconds; a connection's first
    /// request must arrive within it too (HTTP/1 and HTTP/2).
    pub(crate) header_read_timeout_ms: u64,
    /// A connection with no request in progress is closed after this long, in
    /// milliseconds.
    pub(crate) idle_timeout_ms: u64,
    /// Most connections open at once. At the cap a new connection replaces the one idle
    /// the longest (none idle: the new one is closed). Keep it below the process's file
    /// descriptor limit.
    pub(crate) max_connections: u32,
    /// Time allowed for a whole non-streaming request, in milliseconds.
    pub(crate) request_timeout_ms: u64,
    /// Require `Authorization: Bearer <token>` on every route but `/healthz`.
    /// Unset: required exactly when `host` is not a loopback address.
    pub(crate) require_token: Option<bool>,
    /// Mark the web UI's session cookie `Secure` (sent over HTTPS only): for a server
    /// behind a TLS-terminating reverse proxy.
    pub(crate) secure_cookie: bool,
    /// Host names (besides localhost, 127.0.0.1 and `[::1]`) the server answers to;
    /// other `Host` headers are refused (DNS-rebinding guard).
    pub(crate) allowed_hosts: Vec<String>,
    /// Origins allowed to call the API from a browser (CORS); empty means CORS off.
    pub(crate) cors_origins: Vec<String>,
    /// A folder served at `/` (its `index.html`) and `/ui/*` before the web UI embedded
    /// in the binary (for editing the UI without a rebuild); relative paths are under
    /// `data_dir`. Unset: the embedded UI alone.
    pub(crate) web_dir: Option<PathBuf>,
}

impl Default for RawServer {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8380,
            max_body_bytes: 32 * 1024 * 1024,
            max_json_body_bytes: 1024 * 1024,
            max_body_memory_bytes: 64 * 1024 * 1024,
            max_upload_memory_bytes: 64 * 1024 * 1024,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            max_connections: 256,
            request_timeout_ms: 30_000,
            require_token: None,
            secure_cookie: false,
            allowed_hosts: Vec::new(),
            cors_origins: Vec::new(),
            web_dir: None,
        }
    }
}

/// `log:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawLog {
    /// Filter in `RUST_LOG` syntax, e.g. `info,kura::plugins=debug`, for every command.
    /// Unset: `info` for `kura serve`, `warn` for the other commands. `--log` and the
    /// environment (`KURA_LOG`, then `RUST_LOG`) win over it.
    pub(crate) filter: Option<String>,
    /// Where `kura serve` writes `kura.log` and `access.log`, rotated daily; relative
    /// paths are under `data_dir`. Null: no log files, the terminal only.
    pub(crate) dir: Option<PathBuf>,
    /// Days of rotated files kept per log.
    pub(crate) keep_days: u32,
    /// One line per HTTP request in `access.log`.
    pub(crate) access_log: bool,
}

impl Default for RawLog {
    fn default() -> Self {
        Self {
            filter: None,
            dir: Some(PathBuf::from("logs")),
            keep_days: 30,
            access_log: true,
        }
    }
}

/// `database:`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawDatabase {
    /// `sqlite://path` or `postgres://user@host/db`; unset: `sqlite://<data_dir>/kura.db`.
    pub(crate) url: Option<String>,
}

/// `library:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawLibrary {
    /// Where covers, videos, avatars and unfinished downloads live (`resource/`,
    /// `work/`); relative paths are under data_dir. Unset: data_dir. Several hosts of one
    /// deployment point it at the same shared directory.
    pub(crate) media_dir: Option<PathBuf>,
    /// Which title lists and details show: `translated` (falling back to the source
    /// title), `source` or `original`.
    pub(crate) display_title: String,
    /// Prefix put before the absolute video paths `GET /api/downloads/abspath` returns,
    /// e.g. `\\wsl$\Debian` for a Windows player reading a WSL machine's files. Empty:
    /// the absolute path as it is.
    pub(crate) file_path_prefix: String,
    /// The prefix takes the media directory's place instead of going before the whole
    /// path (a share that mounts the media directory itself at `/mnt/media`).
    pub(crate) file_path_prefix_replaces_root: bool,
    /// Memory for list answers kept between library writes, in MiB (pages of
    /// `GET /api/resources` and their totals); 0 turns the cache off.
    pub(crate) list_cache_mib: u64,
}

impl Default for RawLibrary {
    fn default() -> Self {
        Self {
            media_dir: None,
            display_title: "translated".to_owned(),
            file_path_prefix: String::new(),
            file_path_prefix_replaces_root: false,
            list_cache_mib: 32,
        }
    }
}

/// `plugins:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawPlugins {
    /// Directory of `.wasm` plugin files; relative paths are under `data_dir`.
    pub(crate) dir: PathBuf,
    /// Directory of compiled plugins; relative paths are under `data_dir`.
    pub(crate) cache_dir: PathBuf,
    /// Watch `dir` and hot-swap changed files.
    pub(crate) watch: bool,
    /// Quiet period before a file still being written is loaded, in milliseconds; a file
    /// closed after writing, renamed into place or removed is picked up at once.
    pub(crate) watch_debounce_ms: u64,
    /// Linear-memory cap per plugin call, in MiB.
    pub(crate) memory_mb: u64,
    /// Deadline of a source or scraper call, in milliseconds.
    pub(crate) call_timeout_ms: u64,
    /// Deadline of a cleaner call, in milliseconds.
    pub(crate) cleaner_timeout_ms: u64,
    /// Deadline of a task plugin's run (one attempt of its task), in milliseconds.
    pub(crate) task_timeout_ms: u64,
    /// Plugin calls running at once across all plugins.
    pub(crate) max_concurrent_calls: u32,
    /// Log bytes a plugin may write per call (log import plus stdout/stderr).
    pub(crate) max_log_bytes_per_call: u64,
    /// Versions kept per plugin for rollback, the running one included.
    pub(crate) keep_versions: u32,
    /// Load the plugins built into `kura` (the default cleaner, the JSON-LD/OpenGraph
    /// scraper) when no file or index release of the same name is loaded.
    pub(crate) builtins: bool,
}

impl Default for RawPlugins {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("plugins"),
            cache_dir: PathBuf::from("cache/plugins"),
            watch: true,
            watch_debounce_ms: 150,
            memory_mb: 64,
            call_timeout_ms: 15_000,
            cleaner_timeout_ms: 2_000,
            task_timeout_ms: 600_000,
            max_concurrent_calls: 32,
            max_log_bytes_per_call: 64 * 1024,
            keep_versions: 2,
            builtins: true,
        }
    }
}

/// `fetch:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawFetch {
    /// The User-Agent sent with every request.
    pub(crate) user_agent: String,
    /// `Accept-Language` sent with every request.
    pub(crate) accept_language: String,
    /// Deadline of one request including its redirects, in milliseconds.
    pub(crate) timeout_ms: u64,
    /// Connect timeout, in milliseconds.
    pub(crate) connect_timeout_ms: u64,
    /// Largest response body a plugin may read, in bytes.
    pub(crate) max_response_bytes: u64,
    /// Redirect hops followed (each re-checked) before giving up.
    pub(crate) max_redirects: u32,
    /// Requests one plugin call may make.
    pub(crate) max_requests_per_call: u32,
    /// Hosts (name or IP, optionally `:port`; IPv6 in brackets) that may resolve to
    /// loopback, private or link-local addresses. An entry with a port allows that port
    /// only; one without allows every port of the host. Empty by default: such
    /// addresses are refused.
    pub(crate) allow_private_hosts: Vec<String>,
    /// Static name resolution, like curl's `--resolve`: host name to IP address.
    pub(crate) resolve: BTreeMap<String, IpAddr>,
}

impl Default for RawFetch {
    fn default() -> Self {
        Self {
            user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
                .to_owned(),
            accept_language: "en-US,en;q=0.8,ja;q=0.6".to_owned(),
            timeout_ms: 20_000,
            connect_timeout_ms: 5_000,
            max_response_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            max_requests_per_call: 20,
            allow_private_hosts: Vec::new(),
            resolve: BTreeMap::new(),
        }
    }
}

/// `download:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawDownload {
    /// Segments of one download whose bodies are read at once.
    pub(crate) concurrency: u32,
    /// Segment requests sent ahead of their turn, on top of `concurrency`, so the site's
    /// latency passes while other bodies arrive; more (up to 24 requests in all) when the
    /// latency is long next to a segment's transfer time, and from the start when the
    /// media playlist took 5 ms or more to arrive (0: none, ever).
    pub(crate) request_ahead: u32,
    /// Retries of one segment (or playlist, or key) after its first try.
    pub(crate) retries: u32,
    /// First wait between tries, in milliseconds; doubled each try (half of it random),
    /// at most 30 s. A `Retry-After` from the server wins.
    pub(crate) retry_delay_ms: u64,
    /// A segment request that gets no answer, or whose body sends nothing, for this
    /// long is dropped and tried again, in milliseconds.
    pub(crate) idle_timeout_ms: u64,
    /// Which variant of a master playlist: `best`, `worst`, or a bandwidth cap in bits
    /// per second (the best variant not above it).
    pub(crate) variant: String,
    /// Which audio renditions (`#EXT-X-MEDIA:TYPE=AUDIO`) of the variant's group come
    /// with the video: `default` (the one the playlist marks), `all`, or a language
    /// preference list (`ja,en`: the first the stream has, else the default).
    pub(crate) audio: String,
    /// Which subtitle renditions are saved beside the video as `.vtt` files: `all`,
    /// `none`, or a language list (`zh,en`).
    pub(crate) subtitles: String,
    /// Remux to MP4 with `ffmpeg -c copy` when ffmpeg is installed; otherwise (or when
    /// off) the file keeps the stream's MPEG-TS or fMP4 container.
    pub(crate) remux: bool,
}

impl Default for RawDownload {
    fn default() -> Self {
        Self {
            concurrency: 8,
            request_ahead: 8,
            retries: 5,
            retry_delay_ms: 500,
            idle_timeout_ms: 30_000,
            variant: "best".to_owned(),
            audio: "default".to_owned(),
            subtitles: "all".to_owned(),
            remux: true,
        }
    }
}

/// `proxy:`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawProxy {
    /// Send all outbound traffic through `url`.
    pub(crate) enabled: bool,
    /// `http://`, `https://` or `socks5://` proxy URL.
    pub(crate) url: Option<String>,
}

/// `metrics:`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawMetrics {
    /// Serve `GET /metrics` in the Prometheus text format (behind the token when one is
    /// required) and record the series it shows.
    pub(crate) enabled: bool,
}

/// One entry under `sources:`, `scrapers:`, `cleaners:` or `playlist_filters:`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawPluginEntry {
    /// Off by config; the manifest's default is on.
    pub(crate) enabled: Option<bool>,
    /// Order of lookup, highest first; the manifest's default weight when unset.
    pub(crate) weight: Option<i32>,
    /// The site's base URL, when it moved; passed to the plugin as setting `domain`
    /// and approved for its fetches.
    pub(crate) domain: Option<String>,
    /// The hosts the operator approves; fetches must match the manifest AND this list.
    /// Unset means the manifest's list is approved as is.
    pub(crate) allowed_hosts: Option<Vec<String>>,
    /// Values for the plugin's declared settings.
    pub(crate) settings: BTreeMap<String, String>,
}
