//! The help of `kura` and of every subcommand speaks the operator's language: no
//! capability IDs (`N-D1`, `K-8`, `T-A3`).

use clap::CommandFactory;

use super::Cli;

/// The capability IDs in `text`: `N-` or `T-` with a capital letter and digits, or `K-`
/// with digits, standing alone (not inside a longer word or code).
fn capability_ids(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for start in 0..bytes.len() {
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'-') {
            continue;
        }
        let rest = &bytes[start..];
        let digits_from = match rest {
            [b'N' | b'T', b'-', letter, ..] if letter.is_ascii_uppercase() => 3,
            [b'K', b'-', ..] => 2,
            _ => continue,
        };
        let digits = rest[digits_from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = digits_from + digits;
        let boundary = rest
            .get(end)
            .is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'-');
        if digits > 0 && boundary {
            found.push(text[start..start + end].to_owned());
        }
    }
    found
}

/// Every command's long help, the top level first, with its path.
fn every_help(command: &mut clap::Command, path: &str, out: &mut Vec<(String, String)>) {
    out.push((path.to_owned(), command.render_long_help().to_string()));
    for sub in command.get_subcommands_mut() {
        let path = format!("{path} {}", sub.get_name());
        every_help(sub, &path, out);
    }
}

#[test]
fn capability_ids_are_recognised() {
    for (text, expected) in [
        (
            "downloads (N-D1, K-8) and upgrades (T-A3)",
            &["N-D1", "K-8", "T-A3"][..],
        ),
        ("N-L1..N-L7", &["N-L1", "N-L7"]),
        ("DEMO-001 ABC-123 SEED-000001 T-28123 UTF-8 MPEG-2", &[]),
        ("XN-D1 N-D1x N-d1 K-", &[]),
    ] {
        assert_eq!(capability_ids(text), expected, "{text}");
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
