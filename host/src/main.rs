//! The `kura` binary: parse the command line and run it.

use std::process::ExitCode;

use clap::Parser;

/// A faster allocator than glibc's for a server whose requests allocate and free on many threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    kura::cli::run(kura::cli::Cli::parse()).await
}
