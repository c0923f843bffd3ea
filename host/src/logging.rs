//! Log setup: a filter in `RUST_LOG` syntax (flag over environment over config, for
//! every command) for the terminal (stderr; `--silent` keeps only warnings there), and
//! for `kura serve` two files rotated daily and kept `log.keep_days` days (N-M2):
//! `kura.log` with everything the filter lets through, and `access.log` with one line
//! per HTTP request.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

use crate::config::LogFiles;

/// The target of access-log lines.
pub(crate) const ACCESS_TARGET: &str = "kura::access";

/// The environment variable read when neither `--log` nor `KURA_LOG` is set.
pub(crate) const RUST_LOG: &str = "RUST_LOG";

/// The filter a command logs with, the first one given: `flag` (`--log`, or `KURA_LOG`,
/// which the command line reads when the flag is absent), then `rust_log` (`RUST_LOG`),
/// then `config` (`log.filter`), then the command's `default`.
pub(crate) fn choose_filter(
    flag: Option<&str>,
    rust_log: Option<&str>,
    config: Option<&str>,
    default: &str,
) -> String {
    [flag, rust_log, config]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|filter| !filter.is_empty())
        .unwrap_or(default)
        .to_owned()
}

/// Keeps the file writers flushing; drop it last (at exit).
#[must_use = "log files stop being written when the guard is dropped"]
pub(crate) struct LogGuard {
    _guards: Vec<WorkerGuard>,
}

/// Installs the global subscriber for a command: the terminal only. A second call is
/// ignored.
pub(crate) fn init(filter: &str, silent: bool) {
    let _ = tracing_subscriber::registry()
        .with(terminal_layer(filter, silent))
        .try_init();
}

/// Installs the global subscriber for the server: the terminal, and the log files when
/// configured. A directory that cannot be written is reported on the terminal and the
/// server goes on without files.
pub(crate) fn init_server(filter: &str, silent: bool, files: Option<&LogFiles>) -> LogGuard {
    let mut guards = Vec::new();
    let (main, access) = match files.map(open_files) {
        Some(Ok((main, access))) => (Some(main), access),
        Some(Err(error)) => {
            eprintln!("warning: log files disabled: {error}");
            (None, None)
        }
        None => (None, None),
    };
    let main_layer = main.map(|appender| {
        let (writer, guard) = tracing_appender::non_blocking(appender);
        guards.push(guard);
        fmt::layer()
            .with_ansi(false)
            .with_writer(writer)
            .with_filter(env_filter(filter))
    });
    let access_layer = access.map(|appender| {
        let (writer, guard) = tracing_appender::non_blocking(appender);
        guards.push(guard);
        fmt::layer()
            .with_ansi(false)
            .with_target(false)
            .with_level(false)
            .with_writer(writer)
            .with_filter(Targets::new().with_target(ACCESS_TARGET, tracing::Level::INFO))
    });
    let _ = tracing_subscriber::registry()
        .with(terminal_layer(filter, silent))
        .with(main_layer)
        .with(access_layer)
        .try_init();
    LogGuard { _guards: guards }
}

type Appender = tracing_appender::rolling::RollingFileAppender;

fn open_files(files: &LogFiles) -> Result<(Appender, Option<Appender>), String> {
    std::fs::create_dir_all(&files.dir)
        .map_err(|error| format!("cannot create {}: {error}", files.dir.display()))?;
    let appender = |prefix: &str| {
        Builder::new()
            .rotation(Rotation::DAILY)
            .filename_prefix(prefix)
            .filename_suffix("log")
            .max_log_files(files.keep_days)
            .build(&files.dir)
            .map_err(|error| {
                format!(
                    "cannot open {prefix} log in {}: {error}",
                    files.dir.display()
                )
            })
    };
    let main = appender("kura")?;
    let access = files.access_log.then(|| appender("access")).transpose()?;
    Ok((main, access))
}

/// stderr: stdout belongs to what a command prints (reports, JSON), so a warning never
/// ends up inside it. Access lines stay in their own file.
fn terminal_layer<S>(filter: &str, silent: bool) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let filter = if silent {
        env_filter("warn")
    } else {
        env_filter(filter)
    };
    fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_filter(filter)
}

/// The filter, without the access lines; one that does not parse (a bad `RUST_LOG`,
/// which no config check saw) is reported and replaced by `info`.
fn env_filter(text: &str) -> EnvFilter {
    let filter = EnvFilter::try_new(text).unwrap_or_else(|error| {
        eprintln!("warning: log filter {text:?} ignored: {error}");
        EnvFilter::new("info")
    });
    match format!("{ACCESS_TARGET}=off").parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}

#[cfg(test)]
mod tests {
    use super::choose_filter;

    fn check(
        flag: Option<&str>,
        rust_log: Option<&str>,
        config: Option<&str>,
        default: &str,
        expected: &str,
    ) {
        assert_eq!(
            choose_filter(flag, rust_log, config, default),
            expected,
            "flag {flag:?}, RUST_LOG {rust_log:?}, config {config:?}"
        );
    }

    #[test]
    fn the_flag_wins_over_the_environment_which_wins_over_the_config() {
        check(Some("debug"), Some("trace"), Some("error"), "warn", "debug");
        check(None, Some("trace"), Some("error"), "warn", "trace");
        check(None, None, Some("error"), "warn", "error");
        check(None, None, None, "warn", "warn");
        check(
            Some(""),
            Some(" "),
            Some("kura=debug"),
            "warn",
            "kura=debug",
        );
    }
}
