//! `kura check-avatars [--apply] [--delete-files] [--report PATH]` (N-L6, N-K6): every
//! person's avatar against `resource/avatar/`. A recorded avatar whose file is gone
//! (`missing_avatar`) or is no JPEG (`corrupt_avatar`) is cleared by `--apply`; a file
//! the row does not record is recorded (`unrecorded_avatar`); a file of no person is an
//! `orphan_file` (deleted only with `--delete-files`). Then `--apply` asks the scraper
//! plugins for the avatars people lack (the server's `person_avatars` backfill).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::files::{self, Entry, YOUNG_MS};
use super::repair::{Finding, Repair};
use super::report::{Issue, Report};
use super::{CheckOptions, Maintenance, Progress, ProgressFn, Result, blocking, now_ms};
use crate::library::Library;
use crate::media::MediaStore;
use crate::store::PersonRow;

impl Maintenance {
    /// Runs the check; with `options.apply` repairs, and fetches missing avatars through
    /// `library`'s scrapers when one is given.
    pub(crate) async fn check_avatars(
        &self,
        options: &CheckOptions,
        library: Option<&Library>,
        cancel: &CancellationToken,
        progress: ProgressFn,
    ) -> Result<Report> {
        let mut report = Report::start("check_avatars", options.apply);
        let people = self.store.all_people().await?;
        let media = self.media.clone();
        let young_after_ms = report.started_at_ms - YOUNG_MS;
        let stale_before_ms = now_ms() - self.settings.stale_part.as_millis() as i64;
        let people_count = people.len();
        let (findings, files_count) = blocking(move || {
            let [_, _, avatar_dir] = media.directories();
            let listing = files::list(&avatar_dir)?;
            let findings = analyze(&media, &people, &listing, young_after_ms, stale_before_ms);
            Ok((findings, listing.len()))
        })
        .await?;
        report.issues = self
            .repair_all(findings, options, cancel, &progress)
            .await?;
        let mut checked = vec![
            ("people", people_count as u64),
            ("avatar_dir_files", files_count as u64),
        ];
        if let (true, Some(library)) = (options.apply, library) {
            super::check_cancelled(cancel)?;
            let limit = u32::try_from(people_count).unwrap_or(u32::MAX);
            let fetched = library
                .backfill_avatars(limit, cancel, |done, total| {
                    progress(Progress {
                        stage: "fetching",
                        done: done as u64,
                        total: total as u64,
                        bytes: None,
                    });
                })
                .await
                .map_err(|error| super::MaintenanceError::Refused(error.to_string()))?;
            checked.push(("people_without_avatar", fetched.people as u64));
            report.details = json!({ "fetched_avatars": fetched });
        }
        report.summary.checked = checked
            .into_iter()
            .map(|(name, count)| (name.to_owned(), count))
            .collect();
        self.save_report(&mut report, options.report_copy.as_deref())
            .await?;
        Ok(report)
    }
}

/// The findings from the people and the avatar directory's listing.
fn analyze(
    media: &MediaStore,
    people: &[PersonRow],
    listing: &[Entry],
    young_after_ms: i64,
    stale_before_ms: i64,
) -> Vec<Finding> {
    let [_, _, dir] = media.directories();
    let by_name: HashMap<&str, &Entry> = listing
        .iter()
        .filter(|entry| !entry.is_dir)
        .map(|entry| (entry.name.as_str(), entry))
        .collect();
    let mut findings = Vec::new();
    let mut claimed = std::collections::HashSet::new();
    for person in people {
        let Ok(path) = media.avatar_target(person.id) else {
            continue;
        };
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_owned();
        let relative = media.relative(&path).unwrap_or_default();
        let issue = |kind: &str, detail: &str| {
            Issue::new(kind, format!("{}: {detail}", person.name))
                .person(person.id)
                .file(relative.clone())
        };
        let entry = by_name.get(name.as_str()).copied();
        match (&person.avatar_file, entry) {
            (Some(_), None) => findings.push(Finding::new(
                issue("missing_avatar", "recorded but missing"),
                Repair::ClearAvatar(person.id),
            )),
            (Some(_), Some(_)) if !is_jpeg(&path) => findings.push(Finding::new(
                issue("corrupt_avatar", "the file is no JPEG"),
                Repair::ClearAvatar(person.id),
            )),
            (None, Some(entry)) if entry.modified_ms < young_after_ms => {
                findings.push(if is_jpeg(&path) {
                    Finding::new(
                        issue("unrecorded_avatar", "a file the row does not record"),
                        Repair::RecordAvatar(person.id, relative.clone()),
                    )
                } else {
                    Finding::new(
                        issue("corrupt_avatar", "an unrecorded file that is no JPEG"),
                        Repair::DeleteMedia(path.clone()),
                    )
                });
            }
            _ => {}
        }
        claimed.insert(name);
    }
    for entry in listing.iter().filter(|entry| !entry.is_dir) {
        if claimed.contains(&entry.name) {
            continue;
        }
        let path = dir.join(&entry.name);
        let relative = media.relative(&path).unwrap_or_default();
        let temporary = crate::fsio::is_temp_name(&entry.name);
        if temporary {
            if entry.modified_ms < stale_before_ms {
                findings.push(Finding::new(
                    Issue::new("stale_part", "a temporary file left behind").file(relative),
                    Repair::RemoveFile(path),
                ));
            }
            continue;
        }
        if entry.modified_ms >= young_after_ms {
            continue;
        }
        findings.push(Finding::new(
            Issue::new("orphan_file", "an avatar of no person").file(relative),
            Repair::DeleteMedia(path),
        ));
    }
    findings
}

/// A file that starts like a JPEG (avatars are always stored as JPEG).
fn is_jpeg(path: &Path) -> bool {
    let mut head = [0u8; 3];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok()
        && head == [0xFF, 0xD8, 0xFF]
}
