//! Serving a stored image with validators: strong ETag, Last-Modified, and 304 answers.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncReadExt;

use crate::api::ApiError;

/// Answers with the file at `path`: 200 with its bytes, 304 when the request's
/// `If-None-Match` (or, without it, `If-Modified-Since`) shows the client has it, 404 in the
/// API's error shape when the file is gone. Always sends `ETag`, `Last-Modified` and
/// `Cache-Control: no-cache` (revalidate each time, so a replaced cover shows at once).
///
/// Reads the whole file into memory: for covers, thumbnails and avatars, not videos.
/// `path` must come from [`super::MediaStore`], never from the request.
pub async fn serve_file(path: &Path, headers: &HeaderMap, content_type: &'static str) -> Response {
    // The metadata and the bytes come from one open file, so an atomic replace between
    // the two cannot pair the new bytes with the old validators.
    let mut file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(error) => return open_error(path, &error),
    };
    let metadata = match file.metadata().await {
        Ok(metadata) if metadata.is_file() => metadata,
        Ok(_) => return not_found(),
        Err(error) => return open_error(path, &error),
    };
    let modified = metadata.modified().unwrap_or(UNIX_EPOCH);
    let etag = entity_tag(path, &metadata, modified);
    let validators = [
        (header::ETAG, HeaderValue::from_str(&etag).ok()),
        (
            header::LAST_MODIFIED,
            HeaderValue::from_str(&httpdate::fmt_http_date(modified)).ok(),
        ),
        (
            header::CACHE_CONTROL,
            Some(HeaderValue::from_static("no-cache")),
        ),
    ];
    let mut response = if not_modified(headers, &etag, modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
        if let Err(error) = file.read_to_end(&mut bytes).await {
            return open_error(path, &error);
        }
        let mut response = Body::from(bytes).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    };
    for (name, value) in validators {
        if let Some(value) = value {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// `"{len}-{mtime ns}-{inode}-{path hash}"` in hex: every atomic replace makes a new inode and
/// mtime, and the path keeps a cover and its thumbnails apart (thumbnails carry the cover's
/// mtime).
fn entity_tag(path: &Path, metadata: &std::fs::Metadata, modified: SystemTime) -> String {
    let nanos = modified
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(metadata);
    #[cfg(not(unix))]
    let inode = 0_u64;
    let path_hash = crate::util::sha256_hex(path.as_os_str().as_encoded_bytes());
    format!(
        "\"{:x}-{nanos:x}-{inode:x}-{}\"",
        metadata.len(),
        &path_hash[..12]
    )
}

/// RFC 9110 section 13.2.2: `If-None-Match` decides when present (weak comparison, which
/// is what it specifies for GET); otherwise `If-Modified-Since`, to the second.
fn not_modified(headers: &HeaderMap, etag: &str, modified: SystemTime) -> bool {
    let if_none_match: Vec<&str> = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if !if_none_match.is_empty() {
        return if_none_match
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .any(|tag| tag == "*" || opaque(tag) == opaque(etag));
    }
    let Some(since) = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok())
    else {
        return false;
    };
    // HTTP dates have whole seconds; the file's sub-second part must not make it "newer".
    let modified_secs = modified
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let since_secs = since
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    modified_secs <= since_secs
}

fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

fn open_error(path: &Path, error: &std::io::Error) -> Response {
    if error.kind() == std::io::ErrorKind::NotFound {
        return not_found();
    }
    // The path stays in the log; the client gets the generic message.
    tracing::error!(path = %path.display(), %error, "cannot read media file");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "cannot read the file",
    )
    .into_response()
}

fn not_found() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "the file does not exist",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::to_bytes;

    use super::*;

    struct Served {
        status: StatusCode,
        headers: HeaderMap,
        body: Vec<u8>,
    }

    async fn serve(path: &Path, request: &[(header::HeaderName, String)]) -> Served {
        let mut headers = HeaderMap::new();
        for (name, value) in request {
            headers.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        let response = serve_file(path, &headers, "image/jpeg").await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Served {
            status,
            headers,
            body: body.to_vec(),
        }
    }

    fn file_modified_at(dir: &Path, seconds: u64) -> std::path::PathBuf {
        let path = dir.join("ABC-123.jpg");
        std::fs::write(&path, b"jpeg bytes").unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_millis(400);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(at)
            .unwrap();
        path
    }

    #[tokio::test]
    async fn a_plain_request_gets_the_bytes_and_validators() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_modified_at(dir.path(), 1_700_000_000);
        let served = serve(&path, &[]).await;
        assert_eq!(served.status, StatusCode::OK);
        assert_eq!(served.body, b"jpeg bytes");
        assert_eq!(served.headers[header::CONTENT_TYPE], "image/jpeg");
        assert_eq!(served.headers[header::CACHE_CONTROL], "no-cache");
        assert_eq!(
            served.headers[header::LAST_MODIFIED],
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
        let etag = served.headers[header::ETAG].to_str().unwrap();
        assert!(etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"));
    }

    #[tokio::test]
    async fn conditional_requests() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_modified_at(dir.path(), 1_700_000_000);
        let etag = serve(&path, &[]).await.headers[header::ETAG]
            .to_str()
            .unwrap()
            .to_owned();
        let date =
            |seconds: u64| httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(seconds));
        let check = |request: Vec<(header::HeaderName, String)>, expected: StatusCode| {
            let path = path.clone();
            async move {
                let served = serve(&path, &request).await;
                assert_eq!(served.status, expected, "{request:?}");
                assert!(served.headers.contains_key(header::ETAG), "{request:?}");
                if expected == StatusCode::NOT_MODIFIED {
                    assert!(served.body.is_empty(), "{request:?}");
                }
            }
        };
        use header::{IF_MODIFIED_SINCE as IMS, IF_NONE_MATCH as INM};
        check(vec![(INM, etag.clone())], StatusCode::NOT_MODIFIED).await;
        check(vec![(INM, format!("W/{etag}"))], StatusCode::NOT_MODIFIED).await;
        check(
            vec![(INM, format!("\"other\", {etag}"))],
            StatusCode::NOT_MODIFIED,
        )
        .await;
        check(
            vec![(INM, "\"a\"".into()), (INM, etag.clone())],
            StatusCode::NOT_MODIFIED,
        )
        .await;
        check(vec![(INM, "*".into())], StatusCode::NOT_MODIFIED).await;
        check(vec![(INM, "\"other\"".into())], StatusCode::OK).await;
        check(vec![(IMS, date(1_700_000_000))], StatusCode::NOT_MODIFIED).await;
        check(vec![(IMS, date(1_800_000_000))], StatusCode::NOT_MODIFIED).await;
        check(vec![(IMS, date(1_699_999_999))], StatusCode::OK).await;
        check(vec![(IMS, "yesterday".into())], StatusCode::OK).await;
        // A mismatching tag wins over a matching date.
        check(
            vec![(INM, "\"other\"".into()), (IMS, date(1_800_000_000))],
            StatusCode::OK,
        )
        .await;
    }

    #[tokio::test]
    async fn a_replaced_file_gets_a_new_etag() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_modified_at(dir.path(), 1_700_000_000);
        let before = serve(&path, &[]).await.headers[header::ETAG].clone();
        crate::media::files::write_atomic(&path, b"other byte", None).unwrap();
        let after = serve(&path, &[]).await.headers[header::ETAG].clone();
        assert_ne!(before, after);
    }

    #[tokio::test]
    async fn a_missing_file_is_a_404_in_the_api_shape() {
        let dir = tempfile::tempdir().unwrap();
        for path in [dir.path().join("gone.jpg"), dir.path().to_owned()] {
            let served = serve(&path, &[]).await;
            assert_eq!(served.status, StatusCode::NOT_FOUND);
            let body = String::from_utf8(served.body).unwrap();
            assert!(body.contains("\"code\":\"not_found\""), "{body}");
            assert!(!body.contains(dir.path().to_str().unwrap()), "{body}");
        }
    }
}
