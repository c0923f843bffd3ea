//! Serving a stored file (a cover, a thumbnail, an avatar) through
//! `tower_http::services::ServeFile`: a streamed body, strong ETag, Last-Modified, 304,
//! Range with 206 and 416. The path always comes from `MediaStore`, never from a request.

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeFile;

use super::error::{ApiError, ErrorCode};

/// Answers a GET for the file at `path` with the request's conditional and range
/// headers; always `Cache-Control: no-cache` (revalidate each time, so a replaced cover
/// shows at once); a missing file is a 404 in the API's error shape.
pub(super) async fn serve_file(path: &Path, headers: HeaderMap) -> Response {
    let is_file = tokio::fs::metadata(path)
        .await
        .is_ok_and(|metadata| metadata.is_file());
    if !is_file {
        return ApiError::new(ErrorCode::NotFound, "the file does not exist").into_response();
    }
    let mut request = Request::new(Body::empty());
    *request.method_mut() = Method::GET;
    *request.headers_mut() = joined_if_none_match(headers);
    match ServeFile::new(path).try_call(request).await {
        Ok(response) if response.status() == StatusCode::NOT_FOUND => {
            ApiError::new(ErrorCode::NotFound, "the file does not exist").into_response()
        }
        Ok(response) => {
            let mut response = response.map(Body::new);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        // The path stays in the log; the client gets an id.
        Err(error) => ApiError::internal(format!("{}: {error}", path.display())).into_response(),
    }
}

/// Several `If-None-Match` lines are one list (RFC 9110 section 5.3); the file service
/// reads one line, so they are joined into it.
fn joined_if_none_match(mut headers: HeaderMap) -> HeaderMap {
    let lines: Vec<&str> = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if lines.len() > 1
        && let Ok(joined) = HeaderValue::from_str(&lines.join(", "))
    {
        headers.insert(header::IF_NONE_MATCH, joined);
    }
    headers
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use axum::body::to_bytes;
    use axum::http::{HeaderValue, StatusCode};

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
        let response = serve_file(path, headers).await;
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
        let fresh = dir.path().join("fresh.jpg");
        std::fs::write(&fresh, b"other byte").unwrap();
        std::fs::rename(&fresh, &path).unwrap();
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

    #[tokio::test]
    async fn ranges_are_answered_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_modified_at(dir.path(), 1_700_000_000);
        let served = serve(&path, &[(header::RANGE, "bytes=5-".into())]).await;
        assert_eq!(served.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(served.body, b"bytes");
        assert_eq!(served.headers[header::CONTENT_RANGE], "bytes 5-9/10");
        let served = serve(&path, &[(header::RANGE, "bytes=50-60".into())]).await;
        assert_eq!(served.status, StatusCode::RANGE_NOT_SATISFIABLE);
    }
}
