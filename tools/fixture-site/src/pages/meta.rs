//! The metadata site, the scraper's target: schema.org JSON-LD, OpenGraph and a facts table; person pages and search.

use std::fmt::Write as _;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{document, escape, not_found_page};
use crate::catalog;
use crate::server::SharedState;

/// `GET /meta/{CODE}`: JSON-LD `Movie`, OpenGraph tags and `<dl class="facts">`; 404 without metadata.
pub(crate) async fn item(
    State(state): State<SharedState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(n) = catalog::parse_code(&code).filter(|&n| catalog::has_metadata(n)) else {
        return not_found_page(&code);
    };
    let base = state.base_url(&headers);
    let code = catalog::code(n);
    let title = catalog::title_ja(n);
    let cover = format!("{base}/media/cover/{code}.jpg");
    let description = catalog::description(n);
    let cast = catalog::people(n);
    let json_ld = json!({
        "@context": "https://schema.org",
        "@type": "Movie",
        "name": title,
        "alternateName": code,
        "identifier": code,
        "datePublished": catalog::release_date(n),
        "duration": format!("PT{}M", catalog::duration_minutes(n)),
        "actor": cast.iter().map(|person| json!({
            "@type": "Person",
            "name": person.name,
            "url": format!("{base}/meta/person/{}", person.id),
        })).collect::<Vec<_>>(),
        "genre": catalog::tags(n),
        "productionCompany": { "@type": "Organization", "name": catalog::studio(n) },
        "image": cover,
        "description": description,
    });
    let head = format!(
        "<meta property=\"og:title\" content=\"{}\">\n<meta property=\"og:type\" content=\"video.movie\">\n\
         <meta property=\"og:url\" content=\"{base}/meta/{code}\">\n<meta property=\"og:image\" content=\"{cover}\">\n\
         <meta property=\"og:description\" content=\"{}\">\n\
         <script type=\"application/ld+json\">{}</script>\n",
        escape(&title),
        escape(&description),
        script_json(&json_ld)
    );
    let body = format!(
        "<main>\n<h1 class=\"title\">{}</h1>\n<p class=\"code\">{code}</p>\n\
         <img class=\"cover\" src=\"{cover}\" alt=\"cover\">\n<p class=\"description\">{}</p>\n{}</main>\n",
        escape(&title),
        escape(&description),
        facts(n)
    );
    Html(document(&format!("{title} - Meta"), &head, &body)).into_response()
}

/// The `<dl class="facts">` table; the Series row is left out when the item has none.
fn facts(n: u32) -> String {
    let mut out = String::from("<dl class=\"facts\">\n");
    let mut row = |name: &str, value: &str| {
        let _ = writeln!(out, "<dt>{name}</dt><dd>{value}</dd>");
    };
    row("Release date", &catalog::release_date(n));
    row("Duration", &format!("{} min", catalog::duration_minutes(n)));
    row("Studio", &escape(catalog::studio(n)));
    row("Label", &escape(catalog::label(n)));
    if let Some(series) = catalog::series(n) {
        row("Series", &escape(series));
    }
    let cast: Vec<String> = catalog::people(n)
        .iter()
        .map(|person| {
            format!(
                "<a class=\"person\" href=\"/meta/person/{}\">{}</a>",
                person.id,
                escape(person.name)
            )
        })
        .collect();
    row("Cast", &cast.join(", "));
    let genres: Vec<String> = catalog::tags(n)
        .iter()
        .map(|tag| format!("<span class=\"genre\">{}</span>", escape(tag)))
        .collect();
    row("Genres", &genres.join(", "));
    out.push_str("</dl>\n");
    out
}

/// JSON safe inside a `<script>` element.
fn script_json(value: &Value) -> String {
    value.to_string().replace("</", "<\\/")
}

/// `GET /meta/person/{id}`: `<h1 class="name">`, `<img class="avatar">` when the person has one, and their works.
pub(crate) async fn person(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(person) = id.parse::<u32>().ok().and_then(catalog::person) else {
        return not_found_page(&format!("person {id}"));
    };
    let base = state.base_url(&headers);
    let name = escape(person.name);
    let mut body = format!(
        "<main class=\"person\" data-id=\"{}\">\n<h1 class=\"name\">{name}</h1>\n",
        person.id
    );
    if catalog::person_has_avatar(person.id) {
        let _ = writeln!(
            body,
            "<img class=\"avatar\" src=\"{base}/media/avatar/{}.jpg\" alt=\"{name}\">",
            person.id
        );
    }
    body.push_str("<ul class=\"works\">\n");
    for n in
        catalog::all().filter(|&n| catalog::has_metadata(n) && catalog::people(n).contains(&person))
    {
        let code = catalog::code(n);
        let _ = writeln!(
            body,
            "<li><a href=\"/meta/{code}\">{}</a></li>",
            escape(&catalog::title_ja(n))
        );
    }
    body.push_str("</ul>\n</main>\n");
    Html(document(&format!("{} - Meta", person.name), "", &body)).into_response()
}

/// The `?name=` of a people search.
#[derive(Debug, Deserialize)]
pub(crate) struct PeopleQuery {
    #[serde(default)]
    name: String,
}

/// `GET /meta/people/search?name=TEXT`: `{"people":[{"id":N,"name":"...","avatar":URL-or-null}]}`.
pub(crate) async fn search_people(
    State(state): State<SharedState>,
    Query(query): Query<PeopleQuery>,
    headers: HeaderMap,
) -> Response {
    let base = state.base_url(&headers);
    let people: Vec<Value> = catalog::search_people(&query.name)
        .into_iter()
        .map(|person| {
            let avatar = catalog::person_has_avatar(person.id)
                .then(|| format!("{base}/media/avatar/{}.jpg", person.id));
            json!({ "id": person.id, "name": person.name, "avatar": avatar })
        })
        .collect();
    Json(json!({ "people": people })).into_response()
}
