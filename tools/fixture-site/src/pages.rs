//! HTML and JSON pages of the three sites (alpha, beta, meta) and what they share.

pub(crate) mod alpha;
pub(crate) mod beta;
pub(crate) mod meta;

use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A whole HTML document: `title` (escaped here), extra `head` markup and `body` markup.
pub(crate) fn document(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// The 404 page every unknown item or path gets.
pub(crate) async fn not_found(uri: Uri) -> Response {
    not_found_page(uri.path())
}

/// A 404 HTML page naming `what`.
pub(crate) fn not_found_page(what: &str) -> Response {
    let body = format!(
        "<h1>Not found</h1>\n<p class=\"error\">{} does not exist.</p>\n",
        escape(what)
    );
    (
        StatusCode::NOT_FOUND,
        Html(document("Not found", "", &body)),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        for (input, expected) in [
            ("plain", "plain"),
            ("a < b & c", "a &lt; b &amp; c"),
            ("\"q\" 'a'", "&quot;q&quot; &#39;a&#39;"),
            ("名前（別名）", "名前（別名）"),
        ] {
            assert_eq!(escape(input), expected);
        }
    }
}
