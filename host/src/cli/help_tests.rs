//! The help of `kura` and of every subcommand speaks the operator's language: no
//! capability IDs (`N-D1`, `K-8`, `T-A3`).

use clap::CommandFactory;

use super::Cli;
use crate::tidy::capability_ids;

/// Every command's long help, the top level first, with its path.
fn every_help(command: &mut clap::Command, path: &str, out: &mut Vec<(String, String)>) {
    out.push((path.to_owned(), command.render_long_help().to_string()));
    for sub in command.get_subcommands_mut() {
        let path = format!("{path} {}", sub.get_name());
        every_help(sub, &path, out);
    }
}

#[test]
fn no_help_shows_a_capability_id() {
    let mut helps = Vec::new();
    every_help(&mut Cli::command(), "kura", &mut helps);
    assert!(
        helps.len() > 15,
        "every subcommand is walked: {}",
        helps.len()
    );
    for (path, help) in helps {
        let ids = capability_ids(&help);
        assert!(ids.is_empty(), "`{path} --help` shows {ids:?}:\n{help}");
    }
}
