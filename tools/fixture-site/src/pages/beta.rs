//! Site beta: a JSON search with numeric ids and an item page with data attributes that sets a session cookie.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::alpha::SearchQuery;
use super::{document, escape, not_found_page};
use crate::catalog::{self, Site};
use crate::server::SharedState;

/// The cookie the item page sets and beta's streams require.
pub(crate) const SESSION_COOKIE: &str = "beta_session";

/// `GET /beta/api/search?q=TEXT`: `{"results":[{"id":N,"code":"DEMO-003","title":"..."}]}`.
pub(crate) async fn search(Query(query): Query<SearchQuery>) -> Response {
    let results: Vec<_> = catalog::search(Site::Beta, &query.q)
        .into_iter()
        .map(|n| json!({ "id": n, "code": catalog::code(n), "title": catalog::title_ja(n) }))
        .collect();
    Json(json!({ "results": results })).into_response()
}

/// `GET /beta/item/{id}`: `<title>… | Beta</title>`, `<div id="player" data-playlist="...">`, `<img class="cover">`.
pub(crate) async fn item(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(n) = id.parse::<u32>().ok().filter(|&n| catalog::on_beta(n)) else {
        return not_found_page(&format!("item {id}"));
    };
    let base = state.base_url(&headers);
    let code = catalog::code(n);
    let title = catalog::title_ja(n);
    let body = format!(
        "<header><a class=\"home\" href=\"/beta/api/search\">Beta</a></header>\n\
         <main class=\"item\" data-id=\"{n}\" data-code=\"{code}\">\n\
         <h2 class=\"name\">{}</h2>\n<span class=\"code\">{code}</span>\n\
         <img class=\"cover\" src=\"{base}/beta/img/{code}.jpg\" alt=\"cover\">\n\
         <div id=\"player\" data-playlist=\"{base}/stream/{code}/master.m3u8?site=beta\"></div>\n</main>\n",
        escape(&title)
    );
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly",
        state.issue_session()
    );
    (
        [(SET_COOKIE, cookie)],
        Html(document(&format!("{title} | Beta"), "", &body)),
    )
        .into_response()
}
