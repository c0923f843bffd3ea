//! Image routes: source covers (alpha, beta), the scraper cover with its 403 rules, and avatars.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::catalog;
use crate::media::{CoverSource, ImageKey};
use crate::pages::not_found_page;
use crate::server::SharedState;

/// `GET /alpha/img/{CODE}.jpg`.
pub(crate) async fn alpha(State(state): State<SharedState>, Path(file): Path<String>) -> Response {
    source_cover(&state, &file, CoverSource::Alpha, catalog::on_alpha)
}

/// `GET /beta/img/{CODE}.jpg`.
pub(crate) async fn beta(State(state): State<SharedState>, Path(file): Path<String>) -> Response {
    source_cover(&state, &file, CoverSource::Beta, catalog::on_beta)
}

fn source_cover(
    state: &SharedState,
    file: &str,
    source: CoverSource,
    listed: fn(u32) -> bool,
) -> Response {
    match jpg_name(file)
        .and_then(catalog::parse_code)
        .filter(|&n| listed(n))
    {
        Some(n) => jpeg(state, ImageKey::Cover(source, n)),
        None => not_found_page(file),
    }
}

/// `GET /media/cover/{CODE}.jpg`: 403 always for `n % 26 == 0`, 403 on the first request for `n % 13 == 0`.
pub(crate) async fn meta(State(state): State<SharedState>, Path(file): Path<String>) -> Response {
    let Some(n) = jpg_name(&file)
        .and_then(catalog::parse_code)
        .filter(|&n| catalog::has_metadata(n))
    else {
        return not_found_page(&file);
    };
    if catalog::cover_always_forbidden(n)
        || (catalog::cover_forbidden_once(n) && state.refuse_cover_once(n))
    {
        return (StatusCode::FORBIDDEN, "forbidden\n").into_response();
    }
    jpeg(&state, ImageKey::Cover(CoverSource::Meta, n))
}

/// `GET /media/avatar/{id}.jpg`: 404 for people without an avatar (`id % 4 == 3`).
pub(crate) async fn avatar(State(state): State<SharedState>, Path(file): Path<String>) -> Response {
    match jpg_name(&file)
        .and_then(|id| id.parse::<u32>().ok())
        .filter(|&id| catalog::person_has_avatar(id))
    {
        Some(id) => jpeg(&state, ImageKey::Avatar(id)),
        None => not_found_page(&file),
    }
}

fn jpg_name(file: &str) -> Option<&str> {
    file.strip_suffix(".jpg")
}

fn jpeg(state: &SharedState, key: ImageKey) -> Response {
    ([(CONTENT_TYPE, "image/jpeg")], state.images.get(key)).into_response()
}
