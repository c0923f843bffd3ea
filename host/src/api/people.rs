//! People (actors) and tags (genres) lists with work counts (N-H2, N-H3).

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::extract::ApiQuery;
use super::params::*;
use crate::store::{
    Page, PeopleQuery, PeopleSort, PersonRow, PersonSummary, TagQuery, TagSort, TagSummary,
};

/// A person in the list, with the URL of their avatar when one is stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct PersonItem {
    #[serde(flatten)]
    pub(crate) person: PersonSummary,
    pub(crate) avatar_path: Option<String>,
}

/// `GET /api/actors` (N-H2)
#[utoipa::path(get, path = "/api/actors", tag = "library", params(("search" = Option<String>, Query), ("has_avatar" = Option<bool>, Query), ("sort" = Option<String>, Query, description = "name, work_count"), ("order" = Option<String>, Query), ("page" = Option<u32>, Query), ("page_size" = Option<u32>, Query)), responses((status = 200, description = "A page of people with work counts", body = Page<PersonItem>)))]
pub(super) async fn actors(
    State(state): State<AppState>,
    ApiQuery(query): Params,
) -> Result<Json<Page<PersonItem>>, ApiError> {
    let library = &state.library;
    let q = params(
        &query,
        &["search", "has_avatar", "sort", "order", "page", "page_size"],
    )?;
    let sort = match q.get("sort").map(String::as_str) {
        None | Some("name") => PeopleSort::Name,
        Some("work_count") => PeopleSort::WorkCount,
        Some(other) => return Err(bad(format!("unknown sort `{other}` (name, work_count)"))),
    };
    let (page, page_size) = paging(q)?;
    let page = library
        .store()
        .list_people(&PeopleQuery {
            search: q.get("search").filter(|s| !s.trim().is_empty()).cloned(),
            has_avatar: parse_bool(q, "has_avatar")?,
            sort,
            descending: descending(q, sort == PeopleSort::WorkCount)?,
            page,
            page_size,
        })
        .await?;
    let items = page
        .items
        .into_iter()
        .map(|person| PersonItem {
            avatar_path: person
                .has_avatar
                .then(|| format!("/api/actors/{}/avatar", person.id)),
            person,
        })
        .collect();
    Ok(Json(Page {
        items,
        total: page.total,
        page: page.page,
        page_size: page.page_size,
    }))
}

/// One person, for a person page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct PersonDetail {
    #[serde(flatten)]
    pub(crate) person: PersonRow,
    /// Resources that name the person.
    pub(crate) work_count: i64,
    /// `/api/actors/{id}/avatar`, when an avatar is stored.
    pub(crate) avatar_path: Option<String>,
    /// `/api/resources?person={id}`: the person's works.
    pub(crate) works_url: String,
}

/// `GET /api/actors/{id}`
#[utoipa::path(get, path = "/api/actors/{id}", tag = "library", params(("id" = i64, Path)), responses((status = 200, description = "The person, with their work count and links", body = PersonDetail), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn actor(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PersonDetail>, ApiError> {
    let id: i64 = id.parse().map_err(|_| bad("the person id is a number"))?;
    let store = state.library.store();
    let person = store
        .get_person(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PersonNotFound, format!("no person {id}")))?;
    let work_count = store.person_work_count(id).await?;
    Ok(Json(PersonDetail {
        avatar_path: person
            .avatar_file
            .is_some()
            .then(|| format!("/api/actors/{id}/avatar")),
        works_url: format!("/api/resources?person={id}"),
        work_count,
        person,
    }))
}

/// `GET /api/genres` (N-H3)
#[utoipa::path(get, path = "/api/genres", tag = "library", params(("search" = Option<String>, Query), ("sort" = Option<String>, Query, description = "name, work_count"), ("order" = Option<String>, Query), ("page" = Option<u32>, Query), ("page_size" = Option<u32>, Query)), responses((status = 200, description = "A page of tags with work counts", body = Page<TagSummary>)))]
pub(super) async fn genres(
    State(state): State<AppState>,
    ApiQuery(query): Params,
) -> Result<Json<Page<TagSummary>>, ApiError> {
    let library = &state.library;
    let q = params(&query, &["search", "sort", "order", "page", "page_size"])?;
    let sort = match q.get("sort").map(String::as_str) {
        None | Some("name") => TagSort::Name,
        Some("work_count") => TagSort::WorkCount,
        Some(other) => return Err(bad(format!("unknown sort `{other}` (name, work_count)"))),
    };
    let (page, page_size) = paging(q)?;
    let page = library
        .store()
        .list_tags(&TagQuery {
            search: q.get("search").filter(|s| !s.trim().is_empty()).cloned(),
            sort,
            descending: descending(q, sort == TagSort::WorkCount)?,
            page,
            page_size,
        })
        .await?;
    Ok(Json(page))
}
