//! People (actors) and tags (genres): reads, lists with work counts, avatars.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::bind::{Sql, Value, contains_pattern, fetch_page};
use super::{
    Page, PeopleQuery, PeopleSort, PersonRow, PersonSummary, Result, Store, TagQuery, TagSort,
    TagSummary, now_ms,
};

impl Store {
    /// One person, or None.
    pub(crate) async fn get_person(&self, id: i64) -> Result<Option<PersonRow>> {
        sqlx::query(
            "SELECT id, name, alias, avatar_file, avatar_url, page_url, created_at, updated_at \
             FROM people WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(person_row)
        .transpose()
    }

    /// How many resources name the person.
    pub(crate) async fn person_work_count(&self, id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM resource_people WHERE person_id = $1")
                .bind(id)
                .fetch_one(self.reader())
                .await?,
        )
    }

    /// Records a person's stored avatar file (None forgets it).
    pub(crate) async fn set_person_avatar(&self, id: i64, file: Option<&str>) -> Result<bool> {
        let result =
            sqlx::query("UPDATE people SET avatar_file = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(file)
                .bind(now_ms())
                .execute(self.pool())
                .await?;
        self.library_changed();
        Ok(result.rows_affected() > 0)
    }

    /// People without a stored avatar, in id order (for avatar backfill), at most `limit`.
    pub(crate) async fn people_without_avatar(&self, limit: u32) -> Result<Vec<PersonRow>> {
        sqlx::query(
            "SELECT id, name, alias, avatar_file, avatar_url, page_url, created_at, updated_at \
             FROM people WHERE avatar_file IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(person_row)
        .collect()
    }

    /// A page of people with their work counts (N-H2).
    pub(crate) async fn list_people(&self, query: &PeopleQuery) -> Result<Page<PersonSummary>> {
        let mut filter = Sql::new(" WHERE 1 = 1");
        if let Some(search) = query.search.as_deref().filter(|s| !s.trim().is_empty()) {
            let pattern = contains_pattern(search);
            filter
                .push(" AND (lower(p.name) LIKE ")
                .bind(Value::Text(pattern.clone()))
                .push(" ESCAPE '\\' OR lower(p.alias) LIKE ")
                .bind(Value::Text(pattern))
                .push(" ESCAPE '\\')");
        }
        match query.has_avatar {
            Some(true) => filter.push(" AND p.avatar_file IS NOT NULL"),
            Some(false) => filter.push(" AND p.avatar_file IS NULL"),
            None => &mut filter,
        };
        let direction = if query.descending { "DESC" } else { "ASC" };
        let order = match query.sort {
            PeopleSort::Name => format!("p.name {direction}, p.id {direction}"),
            PeopleSort::WorkCount => format!("work_count {direction}, p.id {direction}"),
        };
        let select = "SELECT p.id, p.name, p.alias, p.avatar_url, \
             CASE WHEN p.avatar_file IS NULL THEN 0 ELSE 1 END AS has_avatar, \
             (SELECT COUNT(*) FROM resource_people rp WHERE rp.person_id = p.id) AS work_count \
             FROM people p";
        fetch_page(
            self.pool(),
            &filter,
            ("SELECT COUNT(*) FROM people p", select),
            &order,
            (query.page, query.page_size),
            |row| {
                Ok(PersonSummary {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    alias: row.try_get("alias")?,
                    has_avatar: row.try_get::<i64, _>("has_avatar")? != 0,
                    avatar_url: row.try_get("avatar_url")?,
                    work_count: row.try_get::<i64, _>("work_count")?.max(0) as u64,
                })
            },
        )
        .await
    }

    /// A page of tags with their work counts (N-H3).
    pub(crate) async fn list_tags(&self, query: &TagQuery) -> Result<Page<TagSummary>> {
        let mut filter = Sql::new(" WHERE 1 = 1");
        if let Some(search) = query.search.as_deref().filter(|s| !s.trim().is_empty()) {
            filter
                .push(" AND lower(t.name) LIKE ")
                .bind(Value::Text(contains_pattern(search)))
                .push(" ESCAPE '\\'");
        }
        let direction = if query.descending { "DESC" } else { "ASC" };
        let order = match query.sort {
            TagSort::Name => format!("t.name {direction}, t.id {direction}"),
            TagSort::WorkCount => format!("work_count {direction}, t.id {direction}"),
        };
        let select = "SELECT t.id, t.name, \
             (SELECT COUNT(*) FROM resource_tags rt WHERE rt.tag_id = t.id) AS work_count \
             FROM tags t";
        fetch_page(
            self.pool(),
            &filter,
            ("SELECT COUNT(*) FROM tags t", select),
            &order,
            (query.page, query.page_size),
            |row| {
                Ok(TagSummary {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    work_count: row.try_get::<i64, _>("work_count")?.max(0) as u64,
                })
            },
        )
        .await
    }
}

pub(super) fn person_row(row: &AnyRow) -> Result<PersonRow> {
    Ok(PersonRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        alias: row.try_get("alias")?,
        avatar_file: row.try_get("avatar_file")?,
        avatar_url: row.try_get("avatar_url")?,
        page_url: row.try_get("page_url")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
