//! `kura import nassav --resources DIR` on the replaced system's media tree: covers and
//! videos are copied into Kura's layout under normalised codes, resources are created
//! with their files and an add task for their metadata, thumbnails are made, the old
//! tree is left as it was, and a second run changes nothing.

use std::path::Path;

use serde_json::json;

use crate::maintenance::{kura_async, text};

/// Every file below `dir` with its bytes, for "nothing changed" checks.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("list").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                files.push((path.display().to_string(), bytes));
            }
        }
    }
    files.sort();
    files
}

#[tokio::test]
async fn an_old_media_tree_is_adopted_once_and_left_as_it_was() {
    let fixture = crate::support::fixture().await;
    let config = crate::support::config(&fixture.base_url());
    let data = tempfile::tempdir().expect("data");
    std::fs::write(data.path().join("config.yaml"), config.render()).expect("config");
    let old = tempfile::tempdir().expect("old tree");
    let covers = old.path().join("resource/cover");
    let videos = old.path().join("resource/video");
    std::fs::create_dir_all(&covers).expect("covers");
    std::fs::create_dir_all(&videos).expect("videos");
    let cover = fixture_site::media::cover_jpeg(fixture_site::media::CoverSource::Meta, 1);
    std::fs::write(covers.join("abc-001.jpg"), &cover).expect("cover");
    std::fs::write(covers.join("bad name!.jpg"), &cover).expect("bad cover");
    std::fs::write(videos.join("abc-001.mp4"), b"not really a video, but bytes").expect("video");
    std::fs::write(videos.join("XYZ-777.mp4"), b"another").expect("video");
    let before = snapshot(old.path());
    let tree = old.path().to_string_lossy().into_owned();

    let output = kura_async(data.path(), &["import", "nassav", "--resources", &tree]).await;
    assert!(output.status.success(), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    for part in [
        "1 cover(s) and 2 video(s) brought in",
        "0 file(s) Kura already had kept",
        "2 resource(s) created (2 queued",
        "3 thumbnail(s) made",
        "1 invalid",
    ] {
        assert!(said.contains(part), "{part}: {said}");
    }
    let media = data.path().join("resource");
    assert_eq!(
        std::fs::read(media.join("cover/ABC-001.jpg")).expect("cover"),
        cover
    );
    assert!(
        media.join("cover/ABC-001.small.jpg").is_file(),
        "thumbnail made"
    );
    assert_eq!(
        std::fs::read(media.join("video/XYZ-777.mp4")).expect("video"),
        b"another"
    );
    assert_eq!(snapshot(old.path()), before, "the old tree is unchanged");

    let again = kura_async(data.path(), &["import", "nassav", "--resources", &tree]).await;
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        said.contains("0 cover(s) and 0 video(s) brought in")
            && said.contains("3 file(s) Kura already had kept")
            && said.contains("0 resource(s) created"),
        "{said}"
    );

    // A server on the directory sees the resources with their files.
    let server = crate::support::TestServer::start_in(data, &config, &[]).await;
    let (status, meta) = server.get_json("/api/resource/ABC-001/metadata").await;
    assert_eq!(status, 200, "{meta}");
    assert_eq!(
        meta["cover_file"],
        json!("resource/cover/ABC-001.jpg"),
        "{meta}"
    );
    assert_eq!(
        meta["video_file"],
        json!("resource/video/ABC-001.mp4"),
        "{meta}"
    );
    let (_, tasks) = server.get_json("/api/tasks?kind=add_resource").await;
    assert_eq!(tasks["total"], 2, "{tasks}");
    server.stop().await;
}
