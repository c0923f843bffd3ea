//! A small builder for queries whose filters vary: SQL text with `$N` placeholders and
//! the values to bind, in order. Values are always bound, never spliced into the text.

use sqlx::AssertSqlSafe;
use sqlx::any::{Any, AnyArguments};
use sqlx::query::{Query, QueryAs};

/// One value to bind.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Text(String),
    Int(i64),
    /// A text column that may be NULL (typed, so PostgreSQL knows the NULL's type).
    OptText(Option<String>),
    /// An integer column that may be NULL.
    OptInt(Option<i64>),
}

impl Value {
    /// Binds the value to an untyped query.
    pub(super) fn bind_query<'q>(
        self,
        query: Query<'q, Any, AnyArguments>,
    ) -> Query<'q, Any, AnyArguments> {
        match self {
            Value::Text(text) => query.bind(text),
            Value::Int(int) => query.bind(int),
            Value::OptText(text) => query.bind(text),
            Value::OptInt(int) => query.bind(int),
        }
    }

    /// Binds the value to a typed query.
    pub(super) fn bind_to<'q, O>(
        &self,
        query: sqlx::query::QueryAs<'q, Any, O, AnyArguments>,
    ) -> sqlx::query::QueryAs<'q, Any, O, AnyArguments>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        match self {
            Value::Text(text) => query.bind(text.clone()),
            Value::Int(int) => query.bind(*int),
            Value::OptText(text) => query.bind(text.clone()),
            Value::OptInt(int) => query.bind(*int),
        }
    }
}

/// SQL text and its bound values.
#[derive(Debug, Clone, Default)]
pub(super) struct Sql {
    pub(crate) text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(super) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            values: Vec::new(),
        }
    }

    /// Appends literal SQL (never user input).
    pub(super) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(super) fn bind(&mut self, value: Value) -> &mut Self {
        self.values.push(value);
        self.text.push_str(&format!("${}", self.values.len()));
        self
    }

    /// Appends ` LIMIT n` with the number written out. SQLite compiles a statement again
    /// each time a value is bound to its LIMIT (its plan may depend on the number), so a
    /// bound limit would undo the prepared-statement cache; a page size takes few values.
    pub(super) fn limit(&mut self, rows: u64) -> &mut Self {
        self.text
            .push_str(&format!(" LIMIT {}", rows.min(i64::MAX as u64)));
        self
    }

    /// Appends a parenthesised list of placeholders bound to `values`: `($1, $2)`.
    pub(super) fn row(&mut self, values: impl IntoIterator<Item = Value>) -> &mut Self {
        self.text.push('(');
        for (n, value) in values.into_iter().enumerate() {
            if n > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self.text.push(')');
        self
    }

    /// Replaces the text, keeping the values (for a count over the same filters).
    pub(super) fn with_text(&self, text: String) -> Self {
        Self {
            text,
            values: self.values.clone(),
        }
    }

    /// Appends `other`, its placeholders numbered on after this one's (outside quotes, as
    /// [`anonymous_placeholders`] reads them).
    pub(super) fn append(&mut self, other: &Sql) -> &mut Self {
        let offset = self.values.len();
        let mut quoted = false;
        let mut chars = other.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                quoted = !quoted;
            }
            if c != '$' || quoted || !chars.peek().is_some_and(char::is_ascii_digit) {
                self.text.push(c);
                continue;
            }
            let mut number = 0usize;
            while let Some(digit) = chars.peek().and_then(|d| d.to_digit(10)) {
                number = number.saturating_mul(10).saturating_add(digit as usize);
                chars.next();
            }
            self.text.push_str(&format!("${}", number + offset));
        }
        self.values.extend(other.values.iter().cloned());
        self
    }

    /// The same values behind `head` (for a count over the same WHERE clause).
    pub(super) fn with_head(&self, head: &str) -> Self {
        self.with_text(format!("{head}{}", self.text))
    }

    /// Runs a query whose one row is one integer (`SELECT COUNT(*) ...`).
    pub(super) async fn fetch_count(&self, pool: &sqlx::AnyPool) -> Result<i64, sqlx::Error> {
        let row: (i64,) = self.query_as().fetch_one(pool).await?;
        Ok(row.0)
    }

    /// A query with every value bound.
    pub(super) fn query(&self) -> Query<'_, Any, AnyArguments> {
        self.values.iter().fold(
            sqlx::query(AssertSqlSafe(self.text.clone())),
            |query, value| value.clone().bind_query(query),
        )
    }

    /// [`Sql::query`] for `backend`. On SQLite, placeholders numbered in order (`$1`,
    /// `$2`, ...), as this builder writes them, become anonymous `?`: SQLite finds a
    /// numbered parameter by a linear scan of the statement's parameters, so binding a
    /// statement of many values would cost the square of their number.
    pub(super) fn query_on(&self, backend: super::Backend) -> Query<'_, Any, AnyArguments> {
        match (
            backend,
            anonymous_placeholders(&self.text, self.values.len()),
        ) {
            (super::Backend::Sqlite, Some(text)) => Sql {
                text,
                values: self.values.clone(),
            }
            .query_owned(),
            _ => self.query(),
        }
    }

    fn query_owned(self) -> Query<'static, Any, AnyArguments> {
        self.values
            .into_iter()
            .fold(
                sqlx::query(AssertSqlSafe(self.text)),
                |query, value| match value {
                    Value::Text(text) => query.bind(text),
                    Value::Int(int) => query.bind(int),
                    Value::OptText(text) => query.bind(text),
                    Value::OptInt(int) => query.bind(int),
                },
            )
    }

    /// A typed query with every value bound.
    pub(super) fn query_as<T>(&self) -> QueryAs<'_, Any, T, AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        self.values.iter().fold(
            sqlx::query_as(AssertSqlSafe(self.text.clone())),
            |query, value| value.bind_to(query),
        )
    }
}

/// `text` with `$1`..`$count` replaced by `?`, when they appear exactly once each and in
/// that order outside quotes; None otherwise (the numbered form is then kept).
fn anonymous_placeholders(text: &str, count: usize) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut expected = 1;
    let mut quoted = false;
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '$' || quoted {
            out.push(c);
            continue;
        }
        let mut number = 0usize;
        let mut digits = 0;
        while let Some(&(_, d)) = chars.peek() {
            let Some(value) = d.to_digit(10) else { break };
            number = number.checked_mul(10)?.checked_add(value as usize)?;
            digits += 1;
            chars.next();
        }
        if digits == 0 || number != expected {
            return None;
        }
        expected += 1;
        out.push('?');
    }
    (expected == count + 1).then_some(out)
}

/// A `LIKE` pattern matching `needle` anywhere, lower-cased, with `%`, `_` and `\`
/// escaped (used with `ESCAPE '\'`).
pub(super) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::from("%");
    for c in needle.trim().to_ascii_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// One page of a filtered list: counts the matches of `filter` (a WHERE clause) under
/// `count_head`, then selects them under `select_head` in `order`, mapping each row.
pub(super) async fn fetch_page<T>(
    pool: &sqlx::AnyPool,
    filter: &Sql,
    heads: (&str, &str),
    order: &str,
    (page, page_size): (u32, u32),
    map: impl Fn(&sqlx::any::AnyRow) -> super::Result<T>,
) -> super::Result<super::Page<T>> {
    let (count_head, select_head) = heads;
    let total = filter.with_head(count_head).fetch_count(pool).await?;
    let mut select = filter.with_text(format!("{select_head}{} ORDER BY {order}", filter.text));
    select
        .limit(u64::from(page_size))
        .push(" OFFSET ")
        .bind(Value::Int(
            i64::from(page.saturating_sub(1)) * i64::from(page_size),
        ));
    let items = select
        .query()
        .fetch_all(pool)
        .await?
        .iter()
        .map(map)
        .collect::<super::Result<Vec<_>>>()?;
    Ok(super::Page {
        items,
        total: total.max(0) as u64,
        page,
        page_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(Value::Int(1))
            .push(" AND b = ")
            .bind(Value::Text("x".into()));
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b = $2");
        assert_eq!(sql.values.len(), 2);
    }

    #[test]
    fn ordered_placeholders_become_anonymous() {
        let mut sql = Sql::new("INSERT INTO t (a, b) VALUES ");
        sql.row([Value::Int(1), Value::Text("x".into())])
            .push(", ")
            .row([Value::Int(2), Value::Text("y".into())]);
        assert_eq!(
            anonymous_placeholders(&sql.text, 4).as_deref(),
            Some("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)")
        );
        // Out of order, repeated, missing or inside quotes: kept numbered.
        assert_eq!(anonymous_placeholders("SELECT $2, $1", 2), None);
        assert_eq!(anonymous_placeholders("SELECT $1, $1", 1), None);
        assert_eq!(anonymous_placeholders("SELECT $1", 2), None);
        assert_eq!(
            anonymous_placeholders("SELECT '$9' || $1", 1).as_deref(),
            Some("SELECT '$9' || ?")
        );
    }

    #[test]
    fn appended_placeholders_number_on() {
        let mut first = Sql::new("SELECT * FROM (SELECT a WHERE a = ");
        first
            .bind(Value::Int(1))
            .push(" AND b = ")
            .bind(Value::Int(2));
        let mut second = Sql::new("SELECT a WHERE c = '$1' AND a = ");
        second
            .bind(Value::Int(3))
            .push(" AND d = ")
            .bind(Value::Int(4))
            .limit(11);
        first
            .push(") UNION ALL SELECT * FROM (")
            .append(&second)
            .push(")");
        assert_eq!(
            first.text,
            "SELECT * FROM (SELECT a WHERE a = $1 AND b = $2) UNION ALL SELECT * FROM \
             (SELECT a WHERE c = '$1' AND a = $3 AND d = $4 LIMIT 11)"
        );
        let values: Vec<i64> = first
            .values
            .iter()
            .map(|value| match value {
                Value::Int(int) => *int,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(values, [1, 2, 3, 4]);
        assert!(anonymous_placeholders(&first.text, 4).is_some());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        for (input, expected) in [
            ("Abc", "%abc%"),
            ("50%", "%50\\%%"),
            ("a_b", "%a\\_b%"),
            ("back\\slash", "%back\\\\slash%"),
            ("  夏の海辺 ", "%夏の海辺%"),
        ] {
            assert_eq!(contains_pattern(input), expected, "{input:?}");
        }
    }
}
