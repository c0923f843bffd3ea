//! Site alpha: an HTML item page with a player script (`var hlsUrl`) and an HTML search.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{document, escape, not_found_page};
use crate::catalog::{self, Site};
use crate::server::SharedState;

/// `GET /alpha/v/{CODE}`: title in `<h1 class="title">`, `og:image`, and the playlist in `var hlsUrl = "...";`.
pub(crate) async fn item(
    State(state): State<SharedState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(n) = catalog::parse_code(&code).filter(|&n| catalog::on_alpha(n)) else {
        return not_found_page(&code);
    };
    let base = state.base_url(&headers);
    let code = catalog::code(n);
    let title = escape(&catalog::title_ja(n));
    let head = format!(
        "<meta property=\"og:title\" content=\"{title}\">\n\
         <meta property=\"og:type\" content=\"video.other\">\n\
         <meta property=\"og:url\" content=\"{base}/alpha/v/{code}\">\n\
         <meta property=\"og:image\" content=\"{base}/alpha/img/{code}.jpg\">\n"
    );
    let body = format!(
        "<header><a class=\"home\" href=\"/alpha/search\">Alpha</a></header>\n\
         <main>\n<h1 class=\"title\">{title}</h1>\n<p class=\"code\">{code}</p>\n\
         <div id=\"player\" class=\"player\"></div>\n\
         <script>\nvar hlsUrl = \"{base}/stream/{code}/master.m3u8?site=alpha\";\n\
         document.getElementById(\"player\").setAttribute(\"data-source\", hlsUrl);\n</script>\n</main>\n"
    );
    Html(document(
        &format!("{} - Alpha", catalog::title_ja(n)),
        &head,
        &body,
    ))
    .into_response()
}

/// The `?q=` of a search.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    pub(crate) q: String,
}

/// `GET /alpha/search?q=TEXT`: `<a class="result" href="/alpha/v/CODE">TITLE</a>` per match.
pub(crate) async fn search(Query(query): Query<SearchQuery>) -> Response {
    let matches = catalog::search(Site::Alpha, &query.q);
    let mut body = format!("<h1>Search: {}</h1>\n", escape(&query.q));
    if matches.is_empty() {
        body.push_str("<p class=\"empty\">No results.</p>\n");
    } else {
        body.push_str("<ul class=\"results\">\n");
        for n in matches {
            let _ = writeln!(
                body,
                "<li><a class=\"result\" href=\"/alpha/v/{}\">{}</a></li>",
                catalog::code(n),
                escape(&catalog::title_ja(n))
            );
        }
        body.push_str("</ul>\n");
    }
    Html(document("Search - Alpha", "", &body)).into_response()
}
