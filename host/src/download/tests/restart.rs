//! What a download keeps of an earlier run: after the process died (same boot) every
//! journal entry and part file is trusted; after the machine restarted only what an fsync
//! covered; a torn tail of the joined stream is cut. And the disk: a full one fails the
//! download with its own error and no output; a work directory on another filesystem
//! than the output still publishes whole (root only: both use a small tmpfs).

use std::path::Path;
use std::process::Command;

use super::super::journal::{JOINED, JOURNAL, boot_id};
use super::*;

/// The stream's segments as served (variant 2 of DEMO-001).
fn segments(site: &FixtureSite) -> Vec<Vec<u8>> {
    (0..catalog::segment_count(1))
        .map(|index| catalog::served_segment(1, 2, index, site.config().segment_bytes))
        .collect()
}

fn hits(site: &FixtureSite, index: usize) -> u64 {
    site.hits(&format!("/stream/DEMO-001/2/seg{index}.ts"))
}

/// Leaves what an interrupted run would have: `joined` holding segments `0..joined`
/// plus `tail` (bytes of a part that was being written), a journal under `boot` with an
/// entry for each joined segment and `synced` bytes synced, and `extra` part files.
fn interrupted_run(
    work_dir: &Path,
    segments: &[Vec<u8>],
    joined: usize,
    tail: &[u8],
    boot: &str,
    synced: Option<usize>,
    extra: &[usize],
) {
    std::fs::create_dir_all(work_dir).expect("work dir");
    let mut bytes = Vec::new();
    let mut journal = format!("boot {boot}\n");
    for (index, segment) in segments.iter().enumerate().take(joined) {
        bytes.extend_from_slice(segment);
        journal.push_str(&format!("part seg-{index} {}\n", bytes.len()));
    }
    if let Some(count) = synced {
        let end: usize = segments[..count].iter().map(Vec::len).sum();
        journal.push_str(&format!("synced {end}\n"));
    }
    bytes.extend_from_slice(tail);
    std::fs::write(work_dir.join(JOINED), bytes).expect("joined");
    std::fs::write(work_dir.join(JOURNAL), journal).expect("journal");
    for &index in extra {
        std::fs::write(work_dir.join(format!("seg-{index}")), &segments[index]).expect("part");
    }
}

#[tokio::test]
async fn after_the_process_died_every_joined_part_and_part_file_is_kept() {
    let Some(boot) = boot_id() else {
        eprintln!("skipped: the kernel tells no boot id here");
        return;
    };
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 1), dir.path());
    let output = request.output.clone();
    let parts = segments(&site);
    // Three joined (none synced), half of the fourth written, the sixth complete.
    let half = &parts[3][..parts[3].len() / 2];
    interrupted_run(&request.work_dir, &parts, 3, half, &boot, None, &[5]);
    let outcome = run(request).await.expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 1, 2));
    assert_eq!(outcome.reused_segments, 4);
    for index in [0, 1, 2, 5] {
        assert_eq!(hits(&site, index), 0, "seg-{index} was kept");
    }
    for index in [3, 4, 6] {
        assert_eq!(hits(&site, index), 1, "seg-{index} was fetched");
    }
}

#[tokio::test]
async fn after_the_machine_restarted_only_the_synced_prefix_is_kept() {
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let request = request(&stream_url(&site, 1), dir.path());
    let output = request.output.clone();
    let parts = segments(&site);
    // Three joined, two of them synced; a part file that was never fsynced.
    interrupted_run(
        &request.work_dir,
        &parts,
        3,
        b"",
        "a-boot-before-the-power-cut",
        Some(2),
        &[5],
    );
    let outcome = run(request).await.expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 1, 2));
    assert_eq!(outcome.reused_segments, 2);
    for index in [0, 1] {
        assert_eq!(hits(&site, index), 0, "seg-{index} was synced");
    }
    for index in [2, 3, 4, 5, 6] {
        assert_eq!(hits(&site, index), 1, "seg-{index} fetched again");
    }
}

/// A tmpfs of `bytes` mounted on `path` while it lives (root only).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, bytes: usize) -> Option<Self> {
        std::fs::create_dir_all(path).expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(path)
            .output()
            .is_ok_and(|out| out.status.success());
        if !mounted {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Self(path.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_fails_the_download_with_its_own_error_and_no_output() {
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let stream_bytes = full(&site, 1, 2).len();
    let work_root = dir.path().join("small");
    let Some(_tmpfs) = Tmpfs::mount(&work_root, stream_bytes / 2) else {
        return;
    };
    let mut request = request(&stream_url(&site, 1), dir.path());
    request.work_dir = work_root.join("DEMO-001");
    let output = request.output.clone();
    let error = run(request).await.expect_err("the disk is too small");
    assert!(matches!(error, DownloadError::DiskFull { .. }), "{error}");
    assert!(error.to_string().contains("disk full"), "{error}");
    assert!(!output.exists() && !assemble::part_path(&output).exists());
}

#[tokio::test]
async fn a_work_directory_on_another_filesystem_still_publishes_whole() {
    let site = fixture().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let work_root = dir.path().join("elsewhere");
    let Some(_tmpfs) = Tmpfs::mount(&work_root, 16 * 1024 * 1024) else {
        return;
    };
    let mut request = request(&stream_url(&site, 1), dir.path());
    request.work_dir = work_root.join("DEMO-001");
    let (output, work_dir) = (request.output.clone(), request.work_dir.clone());
    run(request).await.expect("downloaded");
    assert_eq!(std::fs::read(&output).expect("output"), full(&site, 1, 2));
    assert!(!assemble::part_path(&output).exists());
    assert!(!work_dir.exists(), "work dir removed");
}
