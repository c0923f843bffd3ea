//! The `kura` binary: parse the command line and run it.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    kura::cli::run(kura::cli::Cli::parse()).await
}
