//! A full disk through the real server: the download work directory on a tmpfs too
//! small for the stream (root only, else skipped with the reason). The task ends
//! `failed` on its first attempt with a "disk full" reason, no video appears, the
//! library is untouched; once there is room the same download completes whole.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use super::{add, finished, full_stream, server, submit_download, video_path};
use crate::support;

/// `path` with a tmpfs of `bytes` on it until dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(path: &Path, bytes: usize) -> Option<Self> {
        std::fs::create_dir_all(path).expect("mount point");
        let size = format!("size={bytes}");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(path)
            .output();
        match status {
            Ok(out) if out.status.success() => Some(Self(path.to_owned())),
            _ => {
                eprintln!("skipped: mounting a tmpfs needs root");
                None
            }
        }
    }

    fn unmount(self) {
        drop(self);
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_fails_the_task_with_a_reason_and_loses_nothing() {
    let fixture = support::fixture().await;
    let server = server(&fixture, json!({})).await;
    let code = "DEMO-001";
    let expected = full_stream(&fixture, code).await;
    let work_root = server.data.path().join("work/download");
    let Some(disk) = SmallDisk::mount(&work_root, expected.len() / 3) else {
        server.stop().await;
        return;
    };
    add(&server, code).await;
    let id = submit_download(&server, code, "normal").await;
    let task = finished(&server, id, Duration::from_secs(60)).await;
    assert_eq!(task.status, kura::store::TaskStatus::Failed, "{task:?}");
    assert_eq!(task.attempts, 1, "a full disk is not retried: {task:?}");
    let error = task.error.clone().unwrap_or_default();
    assert!(error.contains("disk full"), "{error}");
    assert!(!video_path(&server, code).exists(), "no video");
    let (status, meta) = server
        .get_json(&format!("/api/resource/{code}/metadata"))
        .await;
    assert_eq!(status, 200, "{meta}");
    assert_eq!(meta["code"], code, "{meta}");
    assert!(meta["video_file"].is_null(), "{meta}");

    disk.unmount();
    let id = submit_download(&server, code, "normal").await;
    let task = finished(&server, id, Duration::from_secs(60)).await;
    assert_eq!(task.status, kura::store::TaskStatus::Completed, "{task:?}");
    assert!(
        std::fs::read(video_path(&server, code)).expect("video") == expected,
        "the file is the stream"
    );
    let (_, meta) = server
        .get_json(&format!("/api/resource/{code}/metadata"))
        .await;
    assert!(meta["video_file"].is_string(), "{meta}");
    server.stop().await;
}
