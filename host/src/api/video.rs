//! `GET /api/resource/{code}/video`: the downloaded video for a player, with HTTP Range
//! (seeking), ETag and Last-Modified, typed by its bytes (MP4 or MPEG-TS, never guessed
//! from the name); `?download=1` offers it as a file named after its real container.
//! Its subtitles, saved beside it, for a player's `<track>`.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::media::media_error;
use super::params::{code, stored_resource};
use crate::media::Container;
use crate::store::TrackKind;

/// `GET|HEAD /api/resource/{code}/video`
#[utoipa::path(get, path = "/api/resource/{code}/video", tag = "media", params(("code" = String, Path), ("download" = Option<String>, Query, description = "`1`: as an attachment named `{CODE}.mp4` or `{CODE}.ts`")), responses((status = 200, content_type = "video/mp4", description = "The whole video (`video/mp4` or `video/mp2t` by its bytes); `Accept-Ranges: bytes`, ETag, Last-Modified"), (status = 206, content_type = "video/mp4", description = "The requested byte range, with `Content-Range`"), (status = 304, description = "Not modified"), (status = 404, body = super::error::ErrorBody), (status = 416, body = super::error::ErrorBody)))]
pub(super) async fn video(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let download = match request.uri().query() {
        None => false,
        Some(query) => {
            let mut download = false;
            for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
                match (key.as_ref(), value.as_ref()) {
                    ("download", "1" | "true") => download = true,
                    ("download", "0" | "false") => download = false,
                    _ => {
                        return Err(ApiError::new(
                            ErrorCode::BadRequest,
                            format!("unknown query `{key}={value}` (download=1)"),
                        ));
                    }
                }
            }
            download
        }
    };
    let code = code(&raw)?;
    let recorded = stored_resource(&state, &code).await?.resource.video_file;
    let Some(recorded) = recorded else {
        return Err(ApiError::new(
            ErrorCode::NoVideo,
            format!("{code} has no video"),
        ));
    };
    let probe_code = code.clone();
    let (path, file) = state
        .library
        .media()
        .blocking(move |media| {
            let file = media.video_file(&probe_code, &recorded)?;
            Ok((media.recorded_video_path(&probe_code, &recorded)?, file))
        })
        .await
        .map_err(|e| media_error(e, ErrorCode::NoVideo))?;
    let content_type = file
        .container
        .map_or("application/octet-stream", Container::content_type);
    let serve = tower_http::services::ServeFile::new_with_mime(
        &path,
        &content_type
            .parse()
            .unwrap_or(mime::APPLICATION_OCTET_STREAM),
    );
    // `ServeFile` does not read `If-Range`: a range of a file replaced since the player
    // first asked would splice two files, so such a request gets the whole file (a
    // server may always ignore `Range`).
    let mut request = request;
    if request.headers_mut().remove(header::IF_RANGE).is_some() {
        request.headers_mut().remove(header::RANGE);
    }
    let mut response = match tower::ServiceExt::oneshot(serve, request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(error) => match error {},
    };
    if download {
        let extension = file.container.map_or("bin", Container::extension);
        let disposition = format!("attachment; filename=\"{code}.{extension}\"");
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// `GET /api/resource/{code}/subtitles/{tag}`: a WebVTT file saved beside the video, for
/// a player's `<track>`.
#[utoipa::path(get, path = "/api/resource/{code}/subtitles/{tag}", tag = "media", params(("code" = String, Path), ("tag" = String, Path, description = "The tag of one of the video's subtitles (`video.subtitles[].tag` in the metadata)")), responses((status = 200, content_type = "text/vtt", description = "The subtitles; ETag, Last-Modified"), (status = 304, description = "Not modified"), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn subtitles(
    State(state): State<AppState>,
    Path((raw, tag)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    let code = code(&raw)?;
    let detail = stored_resource(&state, &code).await?;
    let file = detail
        .resource
        .video_tracks
        .iter()
        .find(|track| track.kind == TrackKind::Subtitles && track.tag == tag)
        .map(|track| track.file.clone())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NoSubtitles,
                format!("{code} has no subtitles tagged `{tag}`"),
            )
        })?;
    let probe_code = code.clone();
    let path = state
        .library
        .media()
        .blocking(move |media| media.video_track_path(&probe_code, &file))
        .await
        .map_err(|e| media_error(e, ErrorCode::NoSubtitles))?;
    let serve = tower_http::services::ServeFile::new_with_mime(
        &path,
        &"text/vtt; charset=utf-8"
            .parse()
            .unwrap_or(mime::TEXT_PLAIN_UTF_8),
    );
    match tower::ServiceExt::oneshot(serve, request).await {
        Ok(response) => Ok(response.map(axum::body::Body::new)),
        Err(error) => match error {},
    }
}
