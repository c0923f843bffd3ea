//! The media store's blocking work (image decoding, file writes and deletes) never runs
//! on an async thread: on a single-threaded runtime, where the server, its workers and
//! the fixture site share one thread, adding, refreshing, serving covers, thumbnails and
//! avatars, and deleting a video and a resource all succeed (debug builds panic when a
//! blocking media call runs on an async thread).

use fixture_site::catalog;
use serde_json::json;

use super::{WAIT, add, start};

#[tokio::test(flavor = "current_thread")]
async fn media_work_runs_off_the_async_threads() {
    let fixture = crate::support::fixture().await;
    let server = start(&fixture, json!({})).await;
    let code = catalog::code(2);
    add(&server, &code).await;
    let cover = server
        .data
        .path()
        .join(format!("resource/cover/{code}.jpg"));
    assert!(cover.is_file(), "the cover is stored");

    for size in ["", "?size=small", "?size=medium", "?size=large"] {
        let response = server
            .client
            .get(server.url(&format!("/api/resource/{code}/cover{size}")))
            .send()
            .await
            .expect("cover");
        assert_eq!(response.status(), 200, "cover{size}");
    }

    let (status, people) = server.get_json("/api/actors?has_avatar=true").await;
    assert_eq!(status, 200, "{people}");
    let id = people["items"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a person with an avatar: {people}"));
    let avatar = server
        .client
        .get(server.url(&format!("/api/actors/{id}/avatar")))
        .send()
        .await
        .expect("avatar");
    assert_eq!(avatar.status(), 200);

    let (status, refreshed) = server
        .post_json(
            &format!("/api/resource/refresh/{code}?{WAIT}"),
            json!({"refresh_m3u8": false, "refresh_metadata": true}),
        )
        .await;
    assert_eq!(status, 201, "{refreshed}");
    assert_eq!(refreshed["task"]["status"], "completed", "{refreshed}");

    let video = server
        .data
        .path()
        .join(format!("resource/video/{code}.mp4"));
    std::fs::write(&video, b"not really a video").expect("video");
    let removed = server
        .client
        .delete(server.url(&format!("/api/downloads/{code}")))
        .send()
        .await
        .expect("delete video");
    assert!(removed.status().is_success(), "{}", removed.status());
    assert!(!video.exists(), "the video is removed");

    let deleted = server
        .client
        .delete(server.url(&format!("/api/resource/{code}")))
        .send()
        .await
        .expect("delete");
    assert!(deleted.status().is_success(), "{}", deleted.status());
    assert!(!cover.exists(), "the cover is removed with the resource");
    server.stop().await;
}
