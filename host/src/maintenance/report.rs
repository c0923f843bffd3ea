//! Reports (N-L7): one JSON file per check or upgrade in `<data_dir>/reports`, named
//! `{kind}-{stamp}.json`, kept `maintenance.report_days`; listed newest first and read
//! back by name for `GET /api/reports`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Maintenance, MaintenanceError, Result, blocking, files, now_ms, stamp};

/// The longest report name accepted.
const MAX_NAME_LEN: usize = 200;

/// What one check (or upgrade) found and did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Report {
    /// The file name in the reports directory; set when the report is saved.
    pub(crate) name: String,
    /// `check_resources`, `check_videos`, `check_avatars` or `db_upgrade`.
    pub(crate) kind: String,
    /// UTC, RFC 3339.
    pub(crate) started_at: String,
    pub(crate) started_at_ms: i64,
    pub(crate) finished_at_ms: i64,
    pub(crate) duration_ms: i64,
    /// Whether repairs were asked for (`--apply`).
    pub(crate) applied: bool,
    pub(crate) summary: ReportSummary,
    pub(crate) issues: Vec<Issue>,
    /// What else the job has to say (avatar fetches, upgrade steps).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    #[schema(value_type = Object)]
    pub(crate) details: Value,
}

/// The counts of a report: what the listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ReportSummary {
    /// What was looked at, by name (`resources`, `files`, `videos`, `people`, ...).
    pub(crate) checked: BTreeMap<String, u64>,
    /// Issues found.
    pub(crate) issues: u64,
    /// Issues found, by kind.
    pub(crate) by_kind: BTreeMap<String, u64>,
    /// Issues repaired in this run.
    pub(crate) repaired: u64,
    /// Repairs tried that failed.
    pub(crate) failed: u64,
    /// Issues still there after the run (found minus repaired).
    pub(crate) remaining: u64,
}

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Issue {
    /// `missing_cover`, `missing_video`, `missing_thumbnail`, `orphan_file`,
    /// `stale_part`, ...
    pub(crate) kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) person_id: Option<i64>,
    /// The file concerned, relative to the data directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) file: Option<String>,
    pub(crate) detail: String,
    /// What was done (or would be done with the right switch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) action: Option<String>,
    pub(crate) repaired: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

impl Issue {
    pub(super) fn new(kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            code: None,
            person_id: None,
            file: None,
            detail: detail.into(),
            action: None,
            repaired: false,
            error: None,
        }
    }

    pub(super) fn code(mut self, code: &str) -> Self {
        self.code = Some(code.to_owned());
        self
    }

    pub(super) fn person(mut self, id: i64) -> Self {
        self.person_id = Some(id);
        self
    }

    pub(super) fn file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Records the outcome of a repair.
    pub(super) fn outcome(&mut self, action: impl Into<String>, outcome: Result<(), String>) {
        self.action = Some(action.into());
        match outcome {
            Ok(()) => self.repaired = true,
            Err(error) => self.error = Some(error),
        }
    }

    /// Records what a repair would do, had it been asked for.
    pub(super) fn needs(&mut self, what: impl Into<String>) {
        self.action = Some(what.into());
    }
}

/// One line of the report list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ReportEntry {
    pub(crate) name: String,
    pub(crate) kind: String,
    /// When the job started, UTC.
    pub(crate) time: String,
    pub(crate) started_at_ms: i64,
    /// Bytes of the file.
    pub(crate) size: u64,
    pub(crate) applied: bool,
    pub(crate) summary: ReportSummary,
}

/// The head of a report: read without keeping its issues.
#[derive(Deserialize)]
struct Head {
    kind: String,
    started_at: String,
    started_at_ms: i64,
    #[serde(default)]
    applied: bool,
    #[serde(default)]
    summary: ReportSummary,
}

impl Report {
    /// An empty report of `kind` starting now.
    pub(super) fn start(kind: &str, applied: bool) -> Self {
        let now = now_ms();
        Self {
            name: String::new(),
            kind: kind.to_owned(),
            started_at: stamp::iso(now),
            started_at_ms: now,
            finished_at_ms: now,
            duration_ms: 0,
            applied,
            summary: ReportSummary::default(),
            issues: Vec::new(),
            details: Value::Null,
        }
    }

    /// Counts the issues and stamps the end.
    pub(super) fn finish(&mut self) {
        self.finished_at_ms = now_ms();
        self.duration_ms = self.finished_at_ms - self.started_at_ms;
        let summary = &mut self.summary;
        summary.issues = self.issues.len() as u64;
        summary.by_kind.clear();
        for issue in &self.issues {
            *summary.by_kind.entry(issue.kind.clone()).or_default() += 1;
        }
        summary.repaired = self.issues.iter().filter(|i| i.repaired).count() as u64;
        summary.failed = self.issues.iter().filter(|i| i.error.is_some()).count() as u64;
        summary.remaining = summary.issues - summary.repaired;
    }
}

impl Maintenance {
    /// Finishes `report`, writes it to the reports directory (and to `copy` when given)
    /// and applies the report retention. Returns where it was written.
    pub(super) async fn save_report(
        &self,
        report: &mut Report,
        copy: Option<&Path>,
    ) -> Result<PathBuf> {
        report.finish();
        let dir = self.reports_dir();
        let prefix = report.kind.replace('_', "-");
        let base = format!("{prefix}-{}", stamp::compact(report.started_at_ms));
        let days = self.settings.report_days;
        let copy = copy.map(Path::to_owned);
        let mut saved = report.clone();
        let saved = blocking(move || {
            // The name is known once a file holds it (two reports may start in the same
            // second): an empty report takes the name, the full one replaces it.
            let placeholder = files::write_new(&dir, &base, "json", b"{}")?;
            saved.name = file_name(&placeholder);
            let text = serde_json::to_vec_pretty(&saved)
                .map_err(|error| MaintenanceError::Refused(error.to_string()))?;
            files::replace(&placeholder, &text)?;
            if let Some(copy) = &copy {
                if let Some(parent) = copy.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(files::io_error(parent))?;
                }
                // A plain write: the copy may name a pipe or a terminal (`/dev/stdout`).
                std::fs::write(copy, &text).map_err(files::io_error(copy))?;
            }
            files::prune(&dir, &format!("{prefix}-"), days, now_ms())?;
            Ok((placeholder, saved.name))
        })
        .await?;
        report.name = saved.1;
        Ok(saved.0)
    }
}

/// The reports in `dir`, newest first, at most `limit`, optionally of one kind. Files
/// that are not reports (or are being written) are left out.
pub(crate) async fn list_reports(
    dir: PathBuf,
    kind: Option<String>,
    limit: usize,
) -> Result<Vec<ReportEntry>> {
    blocking(move || {
        let mut entries = Vec::new();
        for entry in files::list(&dir)? {
            if entry.is_dir || !valid_name(&entry.name) {
                continue;
            }
            let path = dir.join(&entry.name);
            let Ok(file) = std::fs::File::open(&path) else {
                continue;
            };
            let Ok(head) = serde_json::from_reader::<_, Head>(std::io::BufReader::new(file)) else {
                continue;
            };
            if kind.as_ref().is_some_and(|kind| *kind != head.kind) {
                continue;
            }
            entries.push(ReportEntry {
                name: entry.name,
                kind: head.kind,
                time: head.started_at,
                started_at_ms: head.started_at_ms,
                size: entry.size,
                applied: head.applied,
                summary: head.summary,
            });
        }
        entries.sort_by(|a, b| {
            b.started_at_ms
                .cmp(&a.started_at_ms)
                .then_with(|| b.name.cmp(&a.name))
        });
        entries.truncate(limit);
        Ok(entries)
    })
    .await
}

/// One report by file name. Only `[A-Za-z0-9._-]` names ending in `.json` are looked up,
/// so a name can never reach outside the directory: anything else is not found.
pub(crate) async fn read_report(dir: PathBuf, name: String) -> Result<Value> {
    if !valid_name(&name) {
        return Err(MaintenanceError::ReportNotFound(name));
    }
    blocking(move || {
        let path = dir.join(&name);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(MaintenanceError::ReportNotFound(name));
            }
            Err(error) => return Err(files::io_error(&path)(error)),
        };
        serde_json::from_slice(&text).map_err(|_| MaintenanceError::ReportNotFound(name))
    })
    .await
}

/// A report file name: `[A-Za-z0-9._-]`, not hidden, ending in `.json`.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && name.ends_with(".json")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_json_file_names() {
        for name in [
            "check-resources-20250101T030000Z.json",
            "db-upgrade-20250101T030000Z-2.json",
            "a.json",
        ] {
            assert!(valid_name(name), "{name}");
        }
        for name in [
            "",
            ".json",
            ".hidden.json",
            "../secret.json",
            "a/b.json",
            "a\\b.json",
            "report.txt",
            "report.json\0",
            "ré.json",
            "%2e%2e.json",
        ] {
            assert!(!valid_name(name), "{name:?}");
        }
        assert!(!valid_name(&format!("{}.json", "a".repeat(MAX_NAME_LEN))));
    }

    #[test]
    fn finish_counts_issues() {
        let mut report = Report::start("check_resources", true);
        let mut fixed = Issue::new("missing_cover", "gone").code("ABC-123");
        fixed.outcome("cleared cover_file", Ok(()));
        let mut failed = Issue::new("missing_thumbnail", "gone");
        failed.outcome("regenerate", Err("disk full".to_owned()));
        report.issues = vec![fixed, failed, Issue::new("orphan_file", "x")];
        report.finish();
        let summary = &report.summary;
        assert_eq!(
            (
                summary.issues,
                summary.repaired,
                summary.failed,
                summary.remaining
            ),
            (3, 1, 1, 2)
        );
        assert_eq!(summary.by_kind["missing_cover"], 1);
    }

    #[tokio::test]
    async fn lists_newest_first_and_reads_by_name_only() {
        let dir = tempfile::tempdir().unwrap();
        for (name, at) in [("b-old.json", 1), ("a-new.json", 2)] {
            let mut report = Report::start("check_videos", false);
            report.started_at_ms = at;
            report.name = name.to_owned();
            report.finish();
            std::fs::write(dir.path().join(name), serde_json::to_vec(&report).unwrap()).unwrap();
        }
        std::fs::write(dir.path().join("broken.json"), b"{").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        let listed = list_reports(dir.path().to_owned(), None, 10).await.unwrap();
        let names: Vec<&str> = listed.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a-new.json", "b-old.json"]);
        let none = list_reports(dir.path().to_owned(), Some("check_avatars".into()), 10)
            .await
            .unwrap();
        assert!(none.is_empty());
        let report = read_report(dir.path().to_owned(), "a-new.json".into())
            .await
            .unwrap();
        assert_eq!(report["kind"], "check_videos");
        for name in ["../a-new.json", "notes.txt", "missing.json"] {
            let error = read_report(dir.path().to_owned(), name.into())
                .await
                .unwrap_err();
            assert!(
                matches!(error, MaintenanceError::ReportNotFound(_)),
                "{name}"
            );
        }
    }
}
