//! Beta's JSON search API.

use kura_plugin_sdk::{Error, http, urls};
use serde::Deserialize;

/// One search result.
#[derive(Debug, Deserialize)]
pub(crate) struct Item {
    /// The numeric id of the item page.
    pub(crate) id: u64,
    /// The code, as beta writes it.
    pub(crate) code: String,
    /// The title.
    #[serde(default)]
    pub(crate) title: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Answer {
    results: Vec<Item>,
}

/// `GET {domain}/api/search?q=TEXT`.
pub(crate) fn search(domain: &str, text: &str) -> Result<Vec<Item>, Error> {
    let url = format!("{domain}/api/search?q={}", urls::encode_query_value(text));
    let answer: Answer = http::get(&url, &[("Accept", "application/json")])?
        .error_for_status()?
        .json()?;
    Ok(answer.results)
}
