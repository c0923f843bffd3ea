//! The library list's answer written from the rows' JSON as the database made it: each
//! item is the row's summary object with the display title and media URLs put in front,
//! so a page costs one read of a few fields per row rather than reading every field into
//! a struct and writing it out again. The rest of the answer is `ResourceList`
//! serialized; the tests (`resource_list.rs`) compare the whole with it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::library::{ResourceItem, cover_urls, display_title_of};
use crate::config::DisplayTitle;
use crate::store::SummaryJson;

/// What an item adds to its row is made from.
#[derive(Deserialize)]
struct ItemFacts<'a> {
    #[serde(borrow)]
    code: Cow<'a, str>,
    has_cover: bool,
    #[serde(borrow)]
    title_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    title_original: Option<Cow<'a, str>>,
    #[serde(borrow)]
    title_translated: Option<Cow<'a, str>>,
}

/// A page of the library (`GET /api/resources`). Its items are written by
/// [`list_body`] from the rows' JSON; the tests (`resource_list.rs`) compare that with
/// these items serialized.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ResourceList {
    pub(crate) items: Vec<ResourceItem>,
    /// Resources matching the filters, over all pages (at least this many when
    /// `total_at_least`).
    pub(crate) total: u64,
    /// False when `total` is not exact: a count of 10,000 or more from up to a second
    /// before the library's last change (while writes go on, a large total is recounted
    /// at most once a second), or 10,000 when more match (without a search, their exact
    /// count is then running in the background; with one, 1,000). Smaller totals are
    /// always exact.
    pub(crate) total_exact: bool,
    /// True when more than `total` (1,000) match a search: a search is not counted
    /// further, since a search box asks on every keystroke and counting every match of
    /// a common word reads each of its candidates.
    pub(crate) total_at_least: bool,
    /// The page number asked for; absent when the page was asked for by `cursor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) page: Option<u32>,
    pub(crate) page_size: u32,
    /// Pass as `cursor` (same filters, sort and order) for the page after this one;
    /// absent on the last page. Reading by cursor costs the same at any depth.
    pub(crate) next_cursor: Option<String>,
}

/// How a serialized `ResourceList` without items begins: `items` is its first field.
const NO_ITEMS: &[u8] = b"{\"items\":[]";

/// The whole answer: `list` (given without items) with `rows` written as its items.
pub(super) fn list_body(
    mode: DisplayTitle,
    rows: &[SummaryJson],
    list: &ResourceList,
) -> Result<Vec<u8>, ApiError> {
    let rest = serde_json::to_vec(list).map_err(ApiError::internal)?;
    let Some(after_items) = rest.strip_prefix(NO_ITEMS) else {
        return Err(ApiError::internal(
            "a list to write its rows into has items",
        ));
    };
    let rows_len: usize = rows.iter().map(|row| row.json().len() + 160).sum();
    let mut out = Vec::with_capacity(rows_len + rest.len());
    out.extend_from_slice(b"{\"items\":[");
    for (n, row) in rows.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_item(&mut out, mode, row)?;
    }
    out.push(b']');
    out.extend_from_slice(after_items);
    Ok(out)
}

/// One item: `{"display_title": .., "cover_url": .., "thumbnail_url": .., <the row's
/// fields>}`.
fn write_item(out: &mut Vec<u8>, mode: DisplayTitle, row: &SummaryJson) -> Result<(), ApiError> {
    let json = row.json();
    let facts: ItemFacts<'_> = serde_json::from_str(json).map_err(ApiError::internal)?;
    let title = display_title_of(
        mode,
        facts.title_source.as_deref(),
        facts.title_translated.as_deref(),
        facts.title_original.as_deref(),
    );
    let (cover, thumbnail) = match facts.has_cover {
        true => {
            let (cover, thumbnail) = cover_urls(&facts.code);
            (Some(cover), Some(thumbnail))
        }
        false => (None, None),
    };
    out.extend_from_slice(b"{\"display_title\":");
    serde_json::to_writer(&mut *out, &title).map_err(ApiError::internal)?;
    out.extend_from_slice(b",\"cover_url\":");
    serde_json::to_writer(&mut *out, &cover).map_err(ApiError::internal)?;
    out.extend_from_slice(b",\"thumbnail_url\":");
    serde_json::to_writer(&mut *out, &thumbnail).map_err(ApiError::internal)?;
    // The row is an object (`SummaryJson` checks its opening brace); its fields and its
    // closing brace follow this item's own.
    let fields = json.get(1..).unwrap_or("}");
    if !fields.trim_start().starts_with('}') {
        out.push(b',');
    }
    out.extend_from_slice(fields.as_bytes());
    Ok(())
}
