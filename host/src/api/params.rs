//! Request parsing shared by the library routes: codes, JSON bodies, query parameters
//! (unknown keys refused), paging and order; HTTP dates.

use std::collections::HashMap;

use axum::http::{HeaderMap, header};

use super::error::{ApiError, ErrorCode};
use super::extract::ApiQuery;
use crate::code::{Code, normalize};
use crate::store::MAX_PAGE_SIZE;

/// Query parameters by name; [`params`] refuses the ones a route does not take.
pub(super) type Params = ApiQuery<HashMap<String, String>>;

pub(super) fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message)
}

pub(super) fn code(text: &str) -> Result<Code, ApiError> {
    normalize(text).map_err(|error| ApiError::new(ErrorCode::BadCode, error.to_string()))
}

/// Reads only the listed keys; anything else is a 400 so typos are not silently ignored.
pub(super) fn params<'a>(
    query: &'a HashMap<String, String>,
    allowed: &[&str],
) -> Result<&'a HashMap<String, String>, ApiError> {
    if let Some(unknown) = query.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!(
            "unknown query parameter `{unknown}` (allowed: {})",
            allowed.join(", ")
        )));
    }
    Ok(query)
}

pub(super) fn parse_bool(
    query: &HashMap<String, String>,
    key: &str,
) -> Result<Option<bool>, ApiError> {
    match query.get(key).map(String::as_str) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(bad(format!("`{key}` must be true or false, not `{other}`"))),
    }
}

pub(super) fn parse_num<T: std::str::FromStr>(
    query: &HashMap<String, String>,
    key: &str,
) -> Result<Option<T>, ApiError> {
    query
        .get(key)
        .map(|v| {
            v.parse()
                .map_err(|_| bad(format!("`{key}` must be a number, not `{v}`")))
        })
        .transpose()
}

pub(super) fn paging(query: &HashMap<String, String>) -> Result<(u32, u32), ApiError> {
    let page = parse_num::<u32>(query, "page")?.unwrap_or(1);
    let page_size = parse_num::<u32>(query, "page_size")?.unwrap_or(50);
    if page == 0 {
        return Err(bad("`page` starts at 1"));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(bad(format!(
            "`page_size` must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    Ok((page, page_size))
}

pub(super) fn descending(query: &HashMap<String, String>, default: bool) -> Result<bool, ApiError> {
    match query.get("order").map(String::as_str) {
        None => Ok(default),
        Some("asc") => Ok(false),
        Some("desc") => Ok(true),
        Some(other) => Err(bad(format!("`order` must be asc or desc, not `{other}`"))),
    }
}

/// The stored resource of `code`, or a 404 `resource_not_found`.
pub(super) async fn stored_resource(
    state: &super::AppState,
    code: &Code,
) -> Result<crate::store::ResourceDetail, ApiError> {
    state
        .library
        .store()
        .get_resource(code.as_str())
        .await?
        .ok_or_else(|| not_in_library(code))
}

pub(super) fn not_in_library(code: &Code) -> ApiError {
    ApiError::new(
        ErrorCode::ResourceNotFound,
        format!("{code} is not in the library"),
    )
}

pub(super) fn httpdate(unix_ms: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(unix_ms.max(0) as u64);
    httpdate::fmt_http_date(time)
}

pub(super) fn httpdate_parse(text: &str) -> Option<i64> {
    httpdate::parse_http_date(text)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
}

/// Whether `If-None-Match` names `etag` (or `*`).
pub(super) fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_the_wildcard() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", \"b\""),
        );
        assert!(matches_etag(&headers, "\"b\""));
        assert!(!matches_etag(&headers, "\"c\""));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"c\""));
        assert!(matches_etag(&headers, "\"c\""));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches_etag(&headers, "\"d\""));
        assert!(!matches_etag(&HeaderMap::new(), "\"d\""));
    }
}
