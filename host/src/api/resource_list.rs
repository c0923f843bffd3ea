//! `GET /api/resources` (N-H1): the library list with its filters, sorts, offset and
//! keyset paging, totals and conditional requests. Answers come from the list cache
//! (`list_cache`) while the library is unchanged; a page is read from one index range
//! otherwise (`store::resource_list`).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::extract::ApiQuery;
use super::list_cache::{CachedBody, count_cap, counted_past_cap};
use super::list_items::{ResourceList, list_body};
use super::params::*;
use crate::store::{
    ResourceCursor, ResourceQuery, ResourceSort, SortKey, TranslationStatus, search_term_problem,
};

/// The query parameters the list takes.
const PARAMETERS: [&str; 11] = [
    "search",
    "downloaded",
    "translation_status",
    "person",
    "tag",
    "source",
    "sort",
    "order",
    "page",
    "page_size",
    "cursor",
];

/// A cursor as the client holds it: the sort and order it was made for, and the last
/// row's key and id. Opaque to clients (URL-safe base64 of this JSON).
#[derive(Serialize, Deserialize)]
struct WireCursor {
    #[serde(rename = "s")]
    sort: ResourceSort,
    #[serde(rename = "d")]
    descending: bool,
    #[serde(rename = "k")]
    key: SortKey,
    #[serde(rename = "i")]
    id: i64,
}

/// `GET /api/resources` (N-H1)
#[utoipa::path(get, path = "/api/resources", tag = "library", params(("search" = Option<String>, Query, description = "Substring of code or titles"), ("downloaded" = Option<bool>, Query), ("translation_status" = Option<String>, Query), ("person" = Option<i64>, Query), ("tag" = Option<i64>, Query), ("source" = Option<String>, Query), ("sort" = Option<String>, Query, description = "code, release_date, added_at, video_time"), ("order" = Option<String>, Query, description = "asc or desc"), ("page" = Option<u32>, Query, description = "1-based; not with cursor"), ("page_size" = Option<u32>, Query), ("cursor" = Option<String>, Query, description = "next_cursor of the previous page: keyset paging"), ("If-None-Match" = Option<String>, Header, description = "An ETag of this list: 304 while the library is unchanged")), responses((status = 200, description = "A page of resources; ETag", body = ResourceList), (status = 304, description = "Not modified: the library has not changed since the ETag"), (status = 400, body = super::error::ErrorBody)))]
pub(super) async fn resources(
    State(state): State<AppState>,
    ApiQuery(raw): ApiQuery<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = parse(params(&raw, &PARAMETERS)?)?;
    let store = state.library.store();
    // Read before any row: a write committed meanwhile moves the generation on, and what
    // is read now is kept under the older one, which no later request asks for.
    let generation = store.library_generation();
    let etag = state.list_cache.etag(generation, &query);
    let etag_header = HeaderValue::from_str(&etag).map_err(ApiError::internal)?;
    let cache_headers = [
        (header::ETAG, etag_header),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if matches_etag(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache_headers).into_response());
    }
    let page = state
        .list_cache
        .page(generation, &query, make_page(&state, generation, &query))
        .await?;
    Ok((
        StatusCode::OK,
        cache_headers,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        page.body,
    )
        .into_response())
}

/// Reads a page and its total and writes the JSON body; it is worth keeping only with
/// a final total: exact, or a search's "more than 1,000", which no count changes.
async fn make_page(
    state: &AppState,
    generation: u64,
    query: &ResourceQuery,
) -> Result<(CachedBody, bool), ApiError> {
    let store = state.library.store();
    let filter = query.filter_only();
    let (total, page) = match state.list_cache.known_total(generation, &filter) {
        Some(total) => (total, store.resource_page(query, total.count).await?),
        None => {
            let (counted, page) = store.count_and_page(query, count_cap(query)).await?;
            let total = state.list_cache.record_count(generation, &filter, counted);
            (total, page)
        }
    };
    let at_least = total.capped && !counted_past_cap(query);
    if total.capped && !at_least && state.list_cache.start_exact_count(generation, &filter) {
        count_in_background(state, generation, filter);
    }
    let next_cursor = page
        .next
        .map(|next| encode_cursor(query, next))
        .transpose()?;
    let list = ResourceList {
        items: Vec::new(),
        total: total.count,
        total_exact: total.exact,
        total_at_least: at_least,
        page: query.after.is_none().then_some(query.page),
        page_size: query.page_size,
        next_cursor,
    };
    let body = list_body(state.display_title, &page.items, &list)?;
    Ok((
        CachedBody {
            body: Bytes::from(body),
        },
        total.exact || at_least,
    ))
}

/// Counts every match of `filter` off the request, once, one such count at a time, and
/// records the total for the requests after (a failure is only logged: those requests
/// try again).
fn count_in_background(state: &AppState, generation: u64, filter: ResourceQuery) {
    let store = state.library.store().clone();
    let cache = state.list_cache.clone();
    tokio::spawn(async move {
        let turn = cache.exact_count_turn().await;
        // Counts queue behind each other while writes go on: one the library has left
        // behind is skipped when a recent one already serves as the estimate.
        if turn.is_some() && cache.worth_counting(generation, store.library_generation(), &filter) {
            match store.count_resources(&filter).await {
                Ok(count) => cache.record_exact(generation, &filter, count),
                Err(error) => tracing::warn!(%error, "cannot count the list's matches"),
            }
        }
        cache.exact_count_ended(generation, &filter);
    });
}

fn parse(q: &HashMap<String, String>) -> Result<ResourceQuery, ApiError> {
    let sort = match q.get("sort").map(String::as_str) {
        None | Some("code") => ResourceSort::Code,
        Some("release_date") => ResourceSort::ReleaseDate,
        Some("added") | Some("added_at") => ResourceSort::AddedAt,
        Some("video_time") => ResourceSort::VideoTime,
        Some(other) => {
            return Err(bad(format!(
                "unknown sort `{other}` (code, release_date, added_at, video_time)"
            )));
        }
    };
    let translation_status = q
        .get("translation_status")
        .map(|s| {
            s.parse::<TranslationStatus>()
                .map_err(|e| bad(e.to_string()))
        })
        .transpose()?;
    let (page, page_size) = paging(q)?;
    let descending = descending(q, sort != ResourceSort::Code)?;
    let after = match q.get("cursor") {
        None => None,
        Some(_) if q.contains_key("page") => {
            return Err(bad("give `page` or `cursor`, not both"));
        }
        Some(text) => Some(decode_cursor(text, sort, descending)?),
    };
    let search = q.get("search").filter(|s| !s.trim().is_empty()).cloned();
    if let Some(problem) = search.as_deref().and_then(search_term_problem) {
        return Err(bad(problem));
    }
    Ok(ResourceQuery {
        search,
        downloaded: parse_bool(q, "downloaded")?,
        translation_status,
        person_id: parse_num(q, "person")?,
        tag_id: parse_num(q, "tag")?,
        source: q.get("source").cloned(),
        sort,
        descending,
        page,
        page_size,
        after,
    })
}

fn encode_cursor(query: &ResourceQuery, next: ResourceCursor) -> Result<String, ApiError> {
    let wire = WireCursor {
        sort: query.sort,
        descending: query.descending,
        key: next.key,
        id: next.id,
    };
    let json = serde_json::to_vec(&wire).map_err(ApiError::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

fn decode_cursor(
    text: &str,
    sort: ResourceSort,
    descending: bool,
) -> Result<ResourceCursor, ApiError> {
    let malformed = || {
        ApiError::new(
            ErrorCode::BadCursor,
            "the cursor is not one this server made; start again without it",
        )
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| malformed())?;
    let wire: WireCursor = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    let cursor = ResourceCursor {
        key: wire.key,
        id: wire.id,
    };
    if wire.sort != sort || wire.descending != descending || !cursor.fits(sort) {
        return Err(ApiError::new(
            ErrorCode::BadCursor,
            "the cursor was made for another sort or order; keep `sort` and `order` as they were",
        ));
    }
    Ok(cursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::library::item;
    use crate::store::{ResourceSummary, SummaryJson};

    fn query(sort: ResourceSort, descending: bool) -> ResourceQuery {
        ResourceQuery {
            sort,
            descending,
            ..ResourceQuery::default()
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_another_sort_or_order() {
        let next = ResourceCursor {
            key: SortKey::Text("2024-01-02".into()),
            id: 42,
        };
        let text =
            encode_cursor(&query(ResourceSort::ReleaseDate, true), next.clone()).expect("encodes");
        assert_eq!(
            decode_cursor(&text, ResourceSort::ReleaseDate, true).expect("decodes"),
            next
        );
        for (sort, descending) in [
            (ResourceSort::ReleaseDate, false),
            (ResourceSort::AddedAt, true),
            (ResourceSort::Code, true),
        ] {
            let error = decode_cursor(&text, sort, descending).expect_err("refused");
            assert_eq!(error.code, ErrorCode::BadCursor, "{sort:?} {descending}");
        }
    }

    #[test]
    fn a_search_is_not_counted_past_the_cap() {
        let filter = ResourceQuery {
            translation_status: Some(TranslationStatus::Completed),
            ..ResourceQuery::default()
        };
        assert!(counted_past_cap(&filter));
        let search = ResourceQuery {
            search: Some("summer".into()),
            ..filter
        };
        assert!(!counted_past_cap(&search));
    }

    #[test]
    fn a_search_term_too_long_or_with_a_control_character_is_refused() {
        let with = |term: &str| parse(&HashMap::from([("search".to_owned(), term.to_owned())]));
        let longest = "x".repeat(crate::store::MAX_SEARCH_CHARS);
        for term in ["summer", "夏の島", longest.as_str()] {
            assert!(with(term).is_ok(), "{term}");
        }
        let too_long = "x".repeat(crate::store::MAX_SEARCH_CHARS + 1);
        for term in ["a\0b", "tab\there", too_long.as_str()] {
            let error = with(term).expect_err(term);
            assert_eq!(error.code, ErrorCode::BadRequest, "{term}");
        }
    }

    #[test]
    fn malformed_cursors_are_refused() {
        let wrong_kind = URL_SAFE_NO_PAD.encode(br#"{"s":"added_at","d":true,"k":"x","i":1}"#);
        for text in ["", "%%%", "bm90IGpzb24", wrong_kind.as_str()] {
            let error = decode_cursor(text, ResourceSort::AddedAt, true).expect_err(text);
            assert_eq!(error.code, ErrorCode::BadCursor, "{text}");
        }
    }

    fn summary(id: i64, has_cover: bool, titles: [Option<&str>; 3]) -> ResourceSummary {
        let [source, original, translated] = titles.map(|t| t.map(str::to_owned));
        ResourceSummary {
            id,
            code: format!("ABC-{id:03}"),
            title_source: source,
            title_original: original,
            title_translated: translated,
            translation_status: TranslationStatus::Completed,
            source_plugin: Some("demo".into()),
            release_date: None,
            duration_seconds: Some(61),
            has_cover,
            has_video: !has_cover,
            video_size: None,
            video_saved_at: None,
            created_at: 1,
            updated_at: 2,
        }
    }

    #[test]
    fn the_written_answer_is_the_resource_list_shape() {
        let summaries = [
            summary(
                1,
                true,
                [Some("Source \"quoted\""), None, Some("译名 \\ 1")],
            ),
            summary(2, false, [None, Some("元の題"), None]),
            summary(3, true, [Some("only source"), Some("o"), Some("t")]),
        ];
        let rows: Vec<SummaryJson> = summaries
            .iter()
            .map(|s| serde_json::from_str(&serde_json::to_string(s).expect("json")).expect("row"))
            .collect();
        for mode in [
            crate::config::DisplayTitle::Translated,
            crate::config::DisplayTitle::Source,
            crate::config::DisplayTitle::Original,
        ] {
            for (page, next_cursor) in [(Some(2), Some("abc".to_owned())), (None, None)] {
                let mut expected = ResourceList {
                    items: Vec::new(),
                    total: 3,
                    total_exact: true,
                    total_at_least: false,
                    page,
                    page_size: 50,
                    next_cursor,
                };
                let written: serde_json::Value =
                    serde_json::from_slice(&list_body(mode, &rows, &expected).expect("writes"))
                        .expect("the answer is JSON");
                expected.items = summaries.iter().cloned().map(|s| item(mode, s)).collect();
                assert_eq!(
                    written,
                    serde_json::to_value(&expected).expect("serializes"),
                    "{mode:?}"
                );
            }
        }
        let mut list = ResourceList {
            items: Vec::new(),
            total: 0,
            total_exact: true,
            total_at_least: false,
            page: Some(1),
            page_size: 50,
            next_cursor: None,
        };
        let empty: serde_json::Value = serde_json::from_slice(
            &list_body(crate::config::DisplayTitle::Source, &[], &list).expect("writes"),
        )
        .expect("JSON");
        assert_eq!(empty, serde_json::to_value(&list).expect("serializes"));
        // A list that has items already is refused, not written twice.
        list.items = vec![item(
            crate::config::DisplayTitle::Source,
            summaries[0].clone(),
        )];
        assert!(list_body(crate::config::DisplayTitle::Source, &[], &list).is_err());
    }
}
