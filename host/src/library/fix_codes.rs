//! `kura fix-codes`: brings stored codes that predate normalisation to their canonical
//! form (N-B6), renaming the resource's cover and video files with them.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::LibraryError;
use crate::code::normalize;
use crate::media::MediaStore;
use crate::store::{RenamedFiles, Store, StoreError};

/// What fix-codes found (and, with `execute`, did).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FixCodesReport {
    pub(crate) total: usize,
    pub(crate) canonical: usize,
    /// (stored, canonical) pairs that need (or got) a rename.
    pub(crate) renames: Vec<(String, String)>,
    /// Stored codes that are not codes at all, with the reason; left untouched.
    pub(crate) invalid: Vec<(String, String)>,
    /// Renames refused because the canonical code is already taken by another row.
    pub(crate) conflicts: Vec<(String, String)>,
    /// Whether the renames were carried out.
    pub(crate) executed: bool,
}

/// Reports the stored codes that are not canonical; with `execute`, renames them and
/// their files. Works on the store and media directly: no plugin is needed.
pub(crate) async fn fix_codes(
    store: &Store,
    media: &MediaStore,
    execute: bool,
) -> Result<FixCodesReport, LibraryError> {
    let mut report = FixCodesReport {
        executed: execute,
        ..FixCodesReport::default()
    };
    let rows = store.all_codes().await?;
    report.total = rows.len();
    let taken: std::collections::HashSet<String> =
        rows.iter().map(|(_, code)| code.clone()).collect();
    let mut planned = Vec::new();
    for (id, stored) in rows {
        match normalize(&stored) {
            Ok(code) if code.as_str() == stored => report.canonical += 1,
            Ok(code) => planned.push((id, stored, code.as_str().to_owned())),
            Err(error) => report.invalid.push((stored, error.to_string())),
        }
    }
    for (id, stored, canonical) in planned {
        if taken.contains(&canonical) {
            report.conflicts.push((stored, canonical));
            continue;
        }
        if execute {
            match rename(store, media, id, &stored, &canonical).await {
                Ok(()) => {}
                Err(LibraryError::Store(StoreError::Conflict(_))) => {
                    report.conflicts.push((stored, canonical));
                    continue;
                }
                Err(error) => return Err(error),
            }
        }
        report.renames.push((stored, canonical));
    }
    Ok(report)
}

async fn rename(
    store: &Store,
    media: &MediaStore,
    id: i64,
    stored: &str,
    canonical: &str,
) -> Result<(), LibraryError> {
    let old = store.resource_files(id).await?;
    let root = media.root().to_path_buf();
    let mut moves = Vec::new();
    // Each file column as it becomes: renamed when the file is named by the stored code.
    let mut rename_column = |file: &Option<String>| {
        file.as_ref()
            .map(|file| match renamed(&root, file, stored, canonical) {
                Some((from, to, text)) => {
                    moves.push((from, to));
                    text
                }
                None => file.clone(),
            })
    };
    let new = RenamedFiles {
        cover_file: rename_column(&old.cover_file),
        video_file: rename_column(&old.video_file),
    };
    let forward = moves.clone();
    crate::media::offload(move || {
        for (from, to) in &forward {
            if from.is_file() && !to.exists() {
                std::fs::rename(from, to).map_err(|error| {
                    LibraryError::Media(format!("cannot rename {}: {error}", from.display()))
                })?;
            }
        }
        Ok::<_, LibraryError>(())
    })
    .await
    .map_err(|error| LibraryError::Media(error.to_string()))??;
    if let Err(error) = store.rename_code(id, canonical, &new).await {
        // Put the files back so the row and the files still agree.
        let _ = crate::media::offload(move || {
            for (from, to) in &moves {
                if to.is_file() && !from.exists() {
                    let _ = std::fs::rename(to, from);
                }
            }
        })
        .await;
        return Err(error.into());
    }
    tracing::info!(%stored, %canonical, "code renamed");
    Ok(())
}

/// The file's new location when its name is the stored code; None when the stored path
/// is not a plain relative path under the media root or is named otherwise.
fn renamed(
    root: &Path,
    file: &str,
    stored: &str,
    canonical: &str,
) -> Option<(PathBuf, PathBuf, String)> {
    let relative = Path::new(file);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let name = relative.file_name()?.to_str()?;
    let rest = name.strip_prefix(stored)?;
    let new_relative = relative.with_file_name(format!("{canonical}{rest}"));
    let text = new_relative.to_str()?.replace('\\', "/");
    Some((root.join(relative), root.join(&new_relative), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_named_by_the_code_move() {
        let root = Path::new("/media");
        let moved = renamed(root, "resource/cover/abc-1.jpg", "abc-1", "ABC-001").expect("moves");
        assert_eq!(moved.2, "resource/cover/ABC-001.jpg");
        assert_eq!(moved.1, Path::new("/media/resource/cover/ABC-001.jpg"));
        assert!(renamed(root, "../etc/abc-1.jpg", "abc-1", "ABC-001").is_none());
        assert!(renamed(root, "/abs/abc-1.jpg", "abc-1", "ABC-001").is_none());
        assert!(renamed(root, "resource/cover/other.jpg", "abc-1", "ABC-001").is_none());
    }
}
