//! The library list's answer written from the rows' JSON as the database made it: each
//! item is the row's summary object with the display title and media URLs put in front,
//! so a page costs one read of a few fields per row rather than reading every field into
//! a struct and writing it out again. The shape is `ResourceList`'s, which its tests
//! (`resource_list.rs`) compare it with.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::library::{cover_urls, display_title_of};
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

/// The fields of `ResourceList` after its items.
#[derive(Serialize)]
pub(super) struct ListTail {
    pub(super) total: u64,
    pub(super) total_exact: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) page: Option<u32>,
    pub(super) page_size: u32,
    pub(super) next_cursor: Option<String>,
}

/// The whole answer: `{"items": [...], total, ...}`.
pub(super) fn list_body(
    mode: DisplayTitle,
    rows: &[SummaryJson],
    tail: &ListTail,
) -> Result<Vec<u8>, ApiError> {
    let rows_len: usize = rows.iter().map(|row| row.json().len() + 160).sum();
    let mut out = Vec::with_capacity(rows_len + 256);
    out.extend_from_slice(b"{\"items\":[");
    for (n, row) in rows.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_item(&mut out, mode, row)?;
    }
    out.extend_from_slice(b"],");
    let tail = serde_json::to_vec(tail).map_err(ApiError::internal)?;
    // The tail's own object, without its opening brace, closes the answer.
    out.extend_from_slice(tail.get(1..).unwrap_or_default());
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
