//! The byte-range form of a stream (`ranges.m3u8` over `all.ts`/`all.mp4`), servers that ignore ranges
//! ([`Fault::IgnoreRange`]), and a directory served at `/files`.

use reqwest::StatusCode;
use reqwest::header::RANGE;

use super::{body, client, get, start};
use crate::{Fault, FixtureConfig, FixtureSite, catalog};

/// `(offset, length)` of every `#EXT-X-BYTERANGE` and of the `#EXT-X-MAP` range, in order.
fn ranges_in(playlist: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut next = 0;
    for line in playlist.lines() {
        let spec = line.strip_prefix("#EXT-X-BYTERANGE:").or_else(|| {
            line.split_once("BYTERANGE=\"")
                .map(|(_, rest)| rest.trim_end_matches('"'))
        });
        let Some(spec) = spec else { continue };
        let (length, offset) = match spec.split_once('@') {
            Some((length, offset)) => (length, offset.parse().expect("offset")),
            None => (spec, next),
        };
        let length: usize = length.parse().expect("length");
        ranges.push((offset, length));
        next = offset + length;
    }
    ranges
}

#[tokio::test]
async fn byte_range_playlists_slice_one_file_into_the_stream() {
    let site = start().await;
    let base = site.base_url();
    for (n, variant, file) in [(11, 2, "all.mp4"), (1, 0, "all.ts"), (7, 1, "all.ts")] {
        let code = catalog::code(n);
        let playlist = String::from_utf8(
            body(get(&format!("{base}/stream/{code}/{variant}/ranges.m3u8")).await).await,
        )
        .expect("utf-8");
        let ranges = ranges_in(&playlist);
        let init = usize::from(n == 11);
        assert_eq!(ranges.len(), site.segment_count(n) + init, "{playlist}");
        let whole = body(get(&format!("{base}/stream/{code}/{variant}/{file}")).await).await;
        let mut pieces = Vec::new();
        for (offset, length) in ranges {
            let response = client()
                .get(format!("{base}/stream/{code}/{variant}/{file}"))
                .header(RANGE, format!("bytes={offset}-{}", offset + length - 1))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
            assert_eq!(
                response.headers()["content-range"],
                format!("bytes {offset}-{}/{}", offset + length - 1, whole.len())
            );
            let piece = body(response).await;
            assert_eq!(piece, whole[offset..offset + length]);
            pieces.push(piece);
        }
        assert_eq!(pieces.concat(), whole, "{code}: the ranges tile the file");
        // Each range is one served segment (after the init section).
        assert_eq!(
            pieces[init],
            catalog::served_segment(n, variant, 0, site.config().segment_bytes)
        );
    }
    let past = client()
        .get(format!("{base}/stream/DEMO-001/0/all.ts"))
        .header(RANGE, "bytes=99999999-")
        .send()
        .await
        .expect("request");
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // The other kind's file name is no file.
    let wrong = get(&format!("{base}/stream/DEMO-001/0/all.mp4")).await;
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ignore_range_answers_the_whole_file() {
    let site = start().await;
    let path = "/stream/DEMO-011/1/all.mp4";
    let url = format!("{}{path}", site.base_url());
    let whole = body(get(&url).await).await;
    site.arm_fault(path, Fault::IgnoreRange, 1);
    for (status, expected) in [
        (StatusCode::OK, &whole[..]),
        (StatusCode::PARTIAL_CONTENT, &whole[10..20]),
    ] {
        let response = client()
            .get(&url)
            .header(RANGE, "bytes=10-19")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), status);
        assert_eq!(body(response).await, expected);
    }
}

#[tokio::test]
async fn a_directory_is_served_at_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("index.m3u8"), "#EXTM3U\n").expect("write");
    let site = FixtureSite::start(FixtureConfig {
        files: Some(dir.path().to_path_buf()),
        ..FixtureConfig::default()
    })
    .await
    .expect("binds");
    let base = site.base_url();
    let found = get(&format!("{base}/files/index.m3u8")).await;
    assert_eq!(found.status(), StatusCode::OK);
    assert_eq!(body(found).await, b"#EXTM3U\n");
    assert_eq!(site.hits("/files/index.m3u8"), 1);
    let missing = get(&format!("{base}/files/missing.ts")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // Without a directory there is nothing at /files.
    let bare = start().await;
    let none = get(&format!("{}/files/index.m3u8", bare.base_url())).await;
    assert_eq!(none.status(), StatusCode::NOT_FOUND);
}
