//! A list page read as plain rows on PostgreSQL, each row's summary object written here.
//! PostgreSQL's `json_build_object` looks up every argument's type again on every row:
//! it took more than half of the backend's time for a page (`pgbench` at 100,000
//! resources, a page of 51: 3,900 pages a second built as JSON, 14,700 read as rows).
//! SQLite builds its JSON cheaply, in one value handed over in one step, and keeps it.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    ResourceSort, ResourceSummary, Result, SortKey, StoreError, SummaryJson, TranslationStatus,
};

/// One row of a page as the JSON page gives it: the summary object, the sort key, the
/// id. `row` has the list's summary columns and its `sort_key`.
pub(super) fn page_row(row: &AnyRow, sort: ResourceSort) -> Result<(SummaryJson, SortKey, i64)> {
    let status: String = row.try_get("translation_status")?;
    let translation_status = status
        .parse::<TranslationStatus>()
        .map_err(|error| StoreError::Corrupt(format!("a list row: {error}")))?;
    let summary = ResourceSummary {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        title_source: row.try_get("title_source")?,
        title_original: row.try_get("title_original")?,
        title_translated: row.try_get("title_translated")?,
        translation_status,
        source_plugin: row.try_get("source_plugin")?,
        release_date: row.try_get("release_date")?,
        duration_seconds: row.try_get("duration_seconds")?,
        has_cover: row.try_get::<i32, _>("has_cover")? != 0,
        has_video: row.try_get::<i32, _>("has_video")? != 0,
        video_size: row.try_get("video_size")?,
        video_saved_at: row.try_get("video_saved_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    };
    let key = match sort {
        ResourceSort::Code | ResourceSort::ReleaseDate => SortKey::Text(row.try_get("sort_key")?),
        ResourceSort::AddedAt | ResourceSort::VideoTime => SortKey::Int(row.try_get("sort_key")?),
    };
    Ok((SummaryJson::of(&summary)?, key, summary.id))
}
