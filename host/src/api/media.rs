//! Images by code or person id: covers with thumbnails (N-H6) and avatars (N-B3),
//! with ETag, Last-Modified and 304.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::extract::ApiQuery;
use super::params::*;
use crate::media::{MediaError, ThumbnailSize};

/// `GET /api/actors/{id}/avatar` (N-B3)
#[utoipa::path(get, path = "/api/actors/{id}/avatar", tag = "media", params(("id" = i64, Path)), responses((status = 200, content_type = "image/jpeg", description = "The avatar; ETag, 304"), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn avatar(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let library = &state.library;
    let id: i64 = id.parse().map_err(|_| bad("the person id is a number"))?;
    let person = library
        .store()
        .get_person(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PersonNotFound, format!("no person {id}")))?;
    if person.avatar_file.is_none() {
        return Err(ApiError::new(
            ErrorCode::NoAvatar,
            format!("{} has no avatar", person.name),
        ));
    }
    let path = library
        .media()
        .blocking(move |media| media.avatar_path(id))
        .await
        .map_err(|e| media_error(e, ErrorCode::NoAvatar))?;
    Ok(super::files::serve_file(&path, headers).await)
}

/// `GET /api/resource/{code}/cover?size=small|medium|large` (N-H6)
#[utoipa::path(get, path = "/api/resource/{code}/cover", tag = "media", params(("code" = String, Path), ("size" = Option<String>, Query, description = "small, medium, large")), responses((status = 200, content_type = "image/jpeg", description = "Cover or thumbnail; ETag, 304"), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn cover(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiQuery(query): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let library = &state.library;
    let q = params(&query, &["size"])?;
    let code = code(&raw)?;
    let detail = stored_resource(&state, &code).await?;
    if detail.resource.cover_file.is_none() {
        return Err(ApiError::new(
            ErrorCode::NoCover,
            format!("{code} has no cover"),
        ));
    }
    let size = match q.get("size").map(String::as_str) {
        None | Some("original") => None,
        Some("small") => Some(ThumbnailSize::Small),
        Some("medium") => Some(ThumbnailSize::Medium),
        Some("large") => Some(ThumbnailSize::Large),
        Some(other) => {
            return Err(bad(format!(
                "unknown size `{other}` (small, medium, large)"
            )));
        }
    };
    let path = library
        .media()
        .blocking(move |media| match size {
            Some(size) => media.thumbnail(&code, size),
            None => media.cover_path(&code),
        })
        .await;
    let path = path.map_err(|e| media_error(e, ErrorCode::NoCover))?;
    Ok(super::files::serve_file(&path, headers).await)
}

/// A media failure as the API answers it: what the client asked for is missing (or its
/// stored image cannot be used) is `missing`; the server's own trouble (disk, paths) is
/// an internal error that shows no path.
pub(super) fn media_error(error: MediaError, missing: ErrorCode) -> ApiError {
    match error {
        MediaError::NotFound { .. }
        | MediaError::Unsupported { .. }
        | MediaError::Decode { .. }
        | MediaError::TooLarge { .. }
        | MediaError::InvalidId { .. } => ApiError::new(missing, error.to_string()),
        MediaError::Encode { .. }
        | MediaError::Resize { .. }
        | MediaError::OutsideRoot { .. }
        | MediaError::Offload { .. }
        | MediaError::Io { .. } => ApiError::internal(error),
    }
}
