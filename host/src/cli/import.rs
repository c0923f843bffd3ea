//! `kura import nassav --codes FILE | --resources DIR`: the replaced system's code-list
//! backup, and its media tree (`adopt.rs`). The code-list backup (its
//! `backup_avid_list` writes a JSON object with a timestamp, a count and the list)
//! becomes `add_resource` tasks in the database, one per code not in the library yet;
//! a server on the same database runs them. The backup's field names are not
//! documented, so the list is whatever single array of strings the object holds (or the
//! file is that array); anything else is refused with what was found.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::code::normalize;
use crate::config::Config;
use crate::store::Enqueued;

/// `kura import` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// From the system Kura replaces: queue an add for every code of its code-list
    /// backup (a JSON file) that is not in the library yet.
    Nassav {
        /// The code-list backup: a JSON object holding one array of codes, or the array.
        #[arg(long, required_unless_present = "resources")]
        codes: Option<PathBuf>,
        /// Its media directory: `resource/cover/{AVID}.jpg` and `resource/video/{AVID}.mp4`
        /// are brought into Kura's layout (copied; nothing in DIR changes).
        #[arg(long)]
        resources: Option<PathBuf>,
        /// With --resources: hard-link the files instead of copying them (one filesystem).
        #[arg(long, requires = "resources")]
        link: bool,
    },
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
struct Summary {
    queued: usize,
    /// Already in the library.
    present: usize,
    /// An add for the code was already queued or running.
    already_queued: usize,
    /// Listed twice (after normalisation).
    repeated: usize,
    /// Codes that are not codes, with the reason.
    invalid: Vec<(String, String)>,
}

/// Runs one `kura import` command.
pub(super) async fn run(
    config: &Config,
    command: ImportCommand,
    silent: bool,
) -> anyhow::Result<ExitCode> {
    let ImportCommand::Nassav {
        codes,
        resources,
        link,
    } = command;
    if let Some(dir) = resources {
        let store = super::database::open_current_or_new(config).await?;
        let adopted = super::adopt::adopt(config, &store, &dir, link).await;
        store.close().await;
        let adopted = adopted?;
        println!(
            "{}: {} cover(s) and {} video(s) brought in, {} file(s) Kura already had kept, {} resource(s) created ({} queued to fetch their metadata), {} thumbnail(s) made, {} invalid",
            dir.display(),
            adopted.covers,
            adopted.videos,
            adopted.kept,
            adopted.created,
            adopted.queued,
            adopted.thumbnails,
            adopted.invalid.len()
        );
        for (file, reason) in &adopted.invalid {
            println!("  invalid {file}: {reason}");
        }
    }
    let Some(codes) = codes else {
        return Ok(ExitCode::SUCCESS);
    };
    let list = read_code_list(&codes)?;
    let store = super::database::open_current_or_new(config).await?;
    let result = async {
        let present: BTreeSet<String> = store
            .all_codes()
            .await?
            .into_iter()
            .map(|(_, code)| code)
            .collect();
        let bar = if silent {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(list.len() as u64)
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} codes {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let mut summary = Summary::default();
        let mut seen = BTreeSet::new();
        for raw in &list {
            bar.inc(1);
            let code = match normalize(raw) {
                Ok(code) => code,
                Err(error) => {
                    summary.invalid.push((raw.clone(), error.to_string()));
                    continue;
                }
            };
            if !seen.insert(code.as_str().to_owned()) {
                summary.repeated += 1;
                continue;
            }
            if present.contains(code.as_str()) {
                summary.present += 1;
                continue;
            }
            match super::adopt::queue_add(config, &store, &code).await? {
                Enqueued::Created(_) => summary.queued += 1,
                Enqueued::Existing(_) => summary.already_queued += 1,
            }
        }
        bar.finish_and_clear();
        anyhow::Ok(summary)
    }
    .await;
    store.close().await;
    let summary = result?;
    println!(
        "{} code(s) in {}: {} queued to add, {} already in the library, {} already queued, {} listed twice, {} invalid",
        list.len(),
        codes.display(),
        summary.queued,
        summary.present,
        summary.already_queued,
        summary.repeated,
        summary.invalid.len()
    );
    for (raw, reason) in &summary.invalid {
        println!("  invalid {raw:?}: {reason}");
    }
    if summary.queued > 0 {
        println!(
            "a running `kura serve` on this database adds them (GET /api/tasks?kind=add_resource)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The codes of a code-list backup.
fn read_code_list(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    code_list(&value).map_err(|reason| anyhow::anyhow!("{}: {reason}", path.display()))
}

/// The one array of strings in `value` (an array, or an object holding exactly one).
fn code_list(value: &Value) -> Result<Vec<String>, String> {
    let strings = |items: &[Value]| -> Option<Vec<String>> {
        items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect()
    };
    match value {
        Value::Array(items) => {
            strings(items).ok_or_else(|| "an array, but not of strings (codes)".to_owned())
        }
        Value::Object(map) => {
            let lists: Vec<(&String, Vec<String>)> = map
                .iter()
                .filter_map(|(key, inner)| {
                    inner
                        .as_array()
                        .and_then(|items| strings(items))
                        .map(|list| (key, list))
                })
                .collect();
            match lists.as_slice() {
                [(_, list)] => Ok(list.clone()),
                [] => Err(format!(
                    "an object without an array of strings (fields: {})",
                    map.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
                several => Err(format!(
                    "an object with several arrays of strings ({}): which is the code list is unclear",
                    several
                        .iter()
                        .map(|(key, _)| key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        other => Err(format!(
            "expected an array of codes or an object holding one, found {}",
            match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                _ => "something else",
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_one_list_of_strings_is_the_code_list() {
        let backup = json!({ "timestamp": "2024-05-01T10:00:00", "count": 2, "avids": ["ABC-001", "abc002"] });
        assert_eq!(
            code_list(&backup),
            Ok(vec!["ABC-001".into(), "abc002".into()])
        );
        assert_eq!(code_list(&json!(["X-1"])), Ok(vec!["X-1".into()]));
        assert_eq!(code_list(&json!({ "list": [], "n": 0 })), Ok(vec![]));
        for (bad, says) in [
            (json!({ "a": ["X-1"], "b": ["Y-2"] }), "several arrays"),
            (json!({ "count": 2 }), "without an array"),
            (json!([1, 2]), "not of strings"),
            (json!("ABC-001"), "found a string"),
        ] {
            let error = code_list(&bad).expect_err("refused");
            assert!(error.contains(says), "{bad}: {error}");
        }
    }
}
