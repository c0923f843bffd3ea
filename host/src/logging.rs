//! Log setup: a filter in `RUST_LOG` syntax (flag over environment over config), and
//! `--silent`, which keeps only warnings and errors on the terminal.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call is ignored.
pub fn init(filter: &str, silent: bool) {
    let filter = if silent {
        "warn".to_owned()
    } else {
        std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_owned())
    };
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // stderr: stdout belongs to what a command prints (reports, JSON), so a warning
    // never ends up inside it.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(true)
        .try_init();
}
