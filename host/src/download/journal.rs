//! The join journal: the parts already appended to `joined` (the stream being built in
//! the work directory), in assembly order with the end offset of each, and how far
//! `joined` is known to be on stable storage.
//!
//! Lines are appended with plain writes, never fsynced one by one: after the process
//! dies (kill -9, OOM) the kernel still holds every byte written, so on the same boot
//! every entry is trusted; after the machine restarted, only what a completed fsync
//! covered (`synced N`) is. The kernel's boot id tells the two apart; where there is
//! none (off Linux) a resume trusts only what was synced.
//!
//! ```text
//! boot 5f0c6b0e-...        the boot that wrote the entries below
//! part seg-0 2097152       seg-0 ends at this offset of `joined`
//! part seg-1 4194304
//! synced 4194304           fsync of `joined` completed up to here
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::DownloadError;
use super::error::io_error;
use crate::fsio::{self, DirSync, WriteOptions};

/// How the download writes its small files (`stream-id`, the rewritten journal): 0644,
/// and, as everywhere in the download, a failed directory sync is an error.
pub(crate) fn download_file_options() -> WriteOptions {
    WriteOptions::new(0o644).dir_sync(DirSync::Required)
}

/// The journal's file name in the work directory.
pub(crate) const JOURNAL: &str = "journal";
/// The stream being joined, in the work directory.
pub(crate) const JOINED: &str = "joined";

/// One appended part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    /// Where its bytes end in `joined`.
    pub(crate) end: u64,
}

/// The trusted state of an interrupted join.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// Entries for assembly positions `0..entries.len()`, in order.
    pub(crate) entries: Vec<Entry>,
    /// The journal was written during this boot: unsynced files in the work directory
    /// are intact. False after a restart of the machine, or with no journal.
    pub(crate) same_boot: bool,
    /// A journal was found at all.
    pub(crate) found: bool,
}

impl Recovered {
    /// Bytes of `joined` that are kept.
    pub(crate) fn end(&self) -> u64 {
        self.entries.last().map_or(0, |entry| entry.end)
    }
}

/// This boot of the machine, when the kernel tells it (Linux).
pub(crate) fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty() && !id.contains(char::is_whitespace))
}

/// What a journal's text says, before it is checked against `joined`.
#[derive(Debug, Default, PartialEq)]
struct Parsed {
    boot: Option<String>,
    entries: Vec<Entry>,
    synced: u64,
}

/// Reads lines up to the first that is torn or not understood: what follows it was
/// written later and is not trusted either.
fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    for line in text.split_inclusive('\n') {
        let Some(line) = line.strip_suffix('\n') else {
            break; // torn last line
        };
        let words: Vec<&str> = line.split(' ').collect();
        match words[..] {
            ["boot", id] if parsed.boot.is_none() && parsed.entries.is_empty() => {
                parsed.boot = Some(id.to_owned());
            }
            ["part", name, end] => match end.parse() {
                Ok(end) => parsed.entries.push(Entry {
                    name: name.to_owned(),
                    end,
                }),
                Err(_) => break,
            },
            ["synced", offset] => match offset.parse::<u64>() {
                Ok(offset) => parsed.synced = parsed.synced.max(offset),
                Err(_) => break,
            },
            _ => break,
        }
    }
    parsed
}

/// Reconciles the journal in `dir` with `joined` for a stream whose assembly order names
/// the parts `order`: keeps the longest trusted prefix of entries, truncates `joined`
/// to it, and rewrites the journal for this boot.
pub(crate) fn recover(dir: &Path, order: &[&str]) -> Result<Recovered, DownloadError> {
    let path = dir.join(JOURNAL);
    let text = match std::fs::read(&path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(io_error(&path, error)),
    };
    let found = text.is_some();
    let parsed = text.as_deref().map(parse).unwrap_or_default();
    let current = boot_id();
    let same_boot = current.is_some() && parsed.boot == current;
    let joined_path = dir.join(JOINED);
    let joined_len = match std::fs::metadata(&joined_path) {
        Ok(metadata) => metadata.len(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => 0,
        Err(error) => return Err(io_error(&joined_path, error)),
    };
    let limit = if same_boot {
        joined_len
    } else {
        parsed.synced.min(joined_len)
    };
    let mut entries = Vec::new();
    let mut previous = 0;
    for (entry, expected) in parsed.entries.into_iter().zip(order) {
        if entry.name != *expected || entry.end <= previous || entry.end > limit {
            break;
        }
        previous = entry.end;
        entries.push(entry);
    }
    let recovered = Recovered {
        entries,
        same_boot,
        found,
    };
    if joined_len != recovered.end() {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&joined_path)
            .map_err(|error| io_error(&joined_path, error))?;
        file.set_len(recovered.end())
            .map_err(|error| io_error(&joined_path, error))?;
    }
    rewrite(
        dir,
        current.as_deref(),
        &recovered.entries,
        parsed.synced.min(recovered.end()),
    )?;
    Ok(recovered)
}

/// Replaces the journal with `entries` under this boot's id (atomically: a new file
/// renamed over the old one).
fn rewrite(
    dir: &Path,
    boot: Option<&str>,
    entries: &[Entry],
    synced: u64,
) -> Result<(), DownloadError> {
    let mut text = format!("boot {}\n", boot.unwrap_or("unknown"));
    for entry in entries {
        text.push_str(&format!("part {} {}\n", entry.name, entry.end));
    }
    if synced > 0 {
        text.push_str(&format!("synced {synced}\n"));
    }
    let path = dir.join(JOURNAL);
    fsio::write_atomic(&path, text.as_bytes(), download_file_options())
        .map_err(|error| io_error(&path, error))
}

/// Appends to the journal as parts are joined.
pub(crate) struct JournalWriter {
    file: File,
    path: PathBuf,
}

impl JournalWriter {
    /// Opens the journal [`recover`] left in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Self, DownloadError> {
        let path = dir.join(JOURNAL);
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|error| io_error(&path, error))?;
        Ok(Self { file, path })
    }

    /// Records that `name` was appended and `joined` now ends at `end`.
    pub(crate) fn part(&mut self, name: &str, end: u64) -> Result<(), DownloadError> {
        self.line(&format!("part {name} {end}\n"))
    }

    /// Records that `joined` is on stable storage up to `offset`.
    pub(crate) fn synced(&mut self, offset: u64) -> Result<(), DownloadError> {
        self.line(&format!("synced {offset}\n"))
    }

    /// One write per line, so a line is torn only by a crash of the machine.
    fn line(&mut self, line: &str) -> Result<(), DownloadError> {
        self.file
            .write_all(line.as_bytes())
            .map_err(|error| io_error(&self.path, error))
    }
}

/// Names of the parts appended to `joined` in the work directory `dir`, as its journal
/// lists them (empty without one).
pub(crate) fn joined_parts(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(JOURNAL))
        .map(|text| {
            parse(&text)
                .entries
                .into_iter()
                .map(|entry| entry.name)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, u64)]) -> Vec<Entry> {
        pairs
            .iter()
            .map(|&(name, end)| Entry {
                name: name.to_owned(),
                end,
            })
            .collect()
    }

    #[test]
    fn parse_stops_at_a_torn_or_strange_line() {
        let parsed = parse("boot b1\npart seg-0 10\nsynced 10\npart seg-1 25\npart seg-2 3");
        assert_eq!(parsed.boot.as_deref(), Some("b1"));
        assert_eq!(parsed.entries, entries(&[("seg-0", 10), ("seg-1", 25)]));
        assert_eq!(parsed.synced, 10);
        let parsed = parse("boot b1\npart seg-0 10\n\0\0\0\npart seg-1 20\n");
        assert_eq!(parsed.entries, entries(&[("seg-0", 10)]));
        assert_eq!(parse("part seg-0 x\n").entries, []);
    }

    fn setup(journal: &str, joined: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(JOURNAL), journal).expect("journal");
        std::fs::write(dir.path().join(JOINED), vec![7u8; joined]).expect("joined");
        dir
    }

    const ORDER: [&str; 4] = ["init-0", "seg-0", "seg-1", "seg-2"];

    #[test]
    fn same_boot_trusts_every_entry_that_fits_the_file() {
        let Some(boot) = boot_id() else {
            eprintln!("skipped: no kernel boot id on this system");
            return;
        };
        // seg-1's bytes were only partly written when the process died.
        let dir = setup(
            &format!("boot {boot}\npart init-0 5\npart seg-0 15\npart seg-1 30\n"),
            22,
        );
        let recovered = recover(dir.path(), &ORDER).expect("recovered");
        assert!(recovered.same_boot && recovered.found);
        assert_eq!(recovered.entries, entries(&[("init-0", 5), ("seg-0", 15)]));
        let joined = std::fs::metadata(dir.path().join(JOINED)).expect("joined");
        assert_eq!(joined.len(), 15, "truncated to the last entry");
        let again = recover(dir.path(), &ORDER).expect("again");
        assert_eq!(again.entries, recovered.entries, "the rewrite keeps them");
    }

    #[test]
    fn another_boot_trusts_only_what_was_synced() {
        let dir = setup(
            "boot another-boot\npart init-0 5\npart seg-0 15\nsynced 15\npart seg-1 30\n",
            30,
        );
        let recovered = recover(dir.path(), &ORDER).expect("recovered");
        assert!(!recovered.same_boot);
        assert_eq!(recovered.end(), 15);
        assert_eq!(
            std::fs::metadata(dir.path().join(JOINED))
                .expect("joined")
                .len(),
            15
        );
        let text = std::fs::read_to_string(dir.path().join(JOURNAL)).expect("journal");
        assert!(text.ends_with("part seg-0 15\nsynced 15\n"), "{text}");
    }

    #[test]
    fn entries_of_another_order_are_dropped() {
        let dir = setup("boot x\npart seg-0 5\nsynced 5\n", 5);
        let recovered = recover(dir.path(), &ORDER).expect("recovered");
        assert!(recovered.entries.is_empty());
        assert_eq!(
            std::fs::metadata(dir.path().join(JOINED))
                .expect("joined")
                .len(),
            0
        );
    }

    #[test]
    fn no_journal_is_a_fresh_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let recovered = recover(dir.path(), &ORDER).expect("recovered");
        assert!(!recovered.found && recovered.entries.is_empty());
        assert!(dir.path().join(JOURNAL).exists());
        let mut writer = JournalWriter::open(dir.path()).expect("writer");
        writer.part("init-0", 4).expect("line");
        writer.synced(4).expect("line");
        assert_eq!(joined_parts(dir.path()), ["init-0"]);
    }
}
