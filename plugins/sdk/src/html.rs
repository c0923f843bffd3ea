//! Thin helpers over the `scraper` crate: first text or attribute of a CSS selector, meta tags,
//! inline scripts. Entities are decoded; whitespace in texts is collapsed.

use scraper::{ElementRef, Html, Selector};

pub use scraper;

/// A parsed HTML page.
pub struct Document {
    html: Html,
}

impl Document {
    /// Parses a whole page (never fails: HTML parsing is forgiving).
    pub fn parse(text: &str) -> Document {
        Document {
            html: Html::parse_document(text),
        }
    }

    /// The parsed tree, for queries the helpers do not cover.
    pub fn html(&self) -> &Html {
        &self.html
    }

    /// Every element matching `css`; empty when the selector is invalid.
    pub fn select(&self, css: &str) -> Vec<ElementRef<'_>> {
        match Selector::parse(css) {
            Ok(selector) => self.html.select(&selector).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The text of the first element matching `css`, whitespace collapsed; `None` when no
    /// element matches or its text is blank.
    pub fn select_text(&self, css: &str) -> Option<String> {
        self.select(css)
            .into_iter()
            .next()
            .map(element_text)
            .filter(|text| !text.is_empty())
    }

    /// The non-blank texts of every element matching `css`.
    pub fn select_texts(&self, css: &str) -> Vec<String> {
        self.select(css)
            .into_iter()
            .map(element_text)
            .filter(|text| !text.is_empty())
            .collect()
    }

    /// The attribute of the first element matching `css` that has it, trimmed.
    pub fn select_attr(&self, css: &str, attribute: &str) -> Option<String> {
        self.select(css)
            .into_iter()
            .find_map(|element| element.value().attr(attribute))
            .map(|value| value.trim().to_string())
    }

    /// The attribute of every element matching `css` that has it.
    pub fn select_attrs(&self, css: &str, attribute: &str) -> Vec<String> {
        self.select(css)
            .into_iter()
            .filter_map(|element| element.value().attr(attribute))
            .map(|value| value.trim().to_string())
            .collect()
    }

    /// The `<title>` text.
    pub fn title(&self) -> Option<String> {
        self.select_text("title")
    }

    /// The `content` of `<meta property=key>` or `<meta name=key>`.
    pub fn meta(&self, key: &str) -> Option<String> {
        self.select("meta").into_iter().find_map(|element| {
            let element = element.value();
            let name = element.attr("property").or_else(|| element.attr("name"))?;
            name.eq_ignore_ascii_case(key)
                .then(|| element.attr("content"))
                .flatten()
                .map(|content| content.trim().to_string())
        })
    }

    /// The text of every inline `<script>` (optionally only of one `type`).
    pub fn scripts(&self, script_type: Option<&str>) -> Vec<String> {
        self.select("script")
            .into_iter()
            .filter(|element| match script_type {
                Some(wanted) => element
                    .value()
                    .attr("type")
                    .is_some_and(|found| found.trim().eq_ignore_ascii_case(wanted)),
                None => true,
            })
            .map(|element| element.text().collect::<String>())
            .collect()
    }
}

/// An element's text with runs of whitespace collapsed to one space, trimmed.
pub fn element_text(element: ElementRef<'_>) -> String {
    collapse_whitespace(&element.text().collect::<String>())
}

/// Collapses runs of whitespace to one space and trims.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The string assigned to a script variable: `var hlsUrl = "..."` (also `let`, `const`, or a
/// bare assignment, single or double quotes). Backslash escapes are decoded.
pub fn script_string_variable(script: &str, name: &str) -> Option<String> {
    let mut rest = script;
    while let Some(position) = rest.find(name) {
        let before = rest[..position].chars().next_back();
        let after = &rest[position + name.len()..];
        rest = after;
        if before.is_some_and(|character| {
            character.is_alphanumeric() || character == '_' || character == '$'
        }) {
            continue;
        }
        let Some(value) = after.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let Some(quote) = value
            .chars()
            .next()
            .filter(|character| *character == '"' || *character == '\'')
        else {
            continue;
        };
        return read_js_string(&value[1..], quote);
    }
    None
}

fn read_js_string(text: &str, quote: char) -> Option<String> {
    let mut out = String::new();
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => match characters.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = characters.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            character if character == quote => return Some(out),
            character => out.push(character),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head><title> A &amp; B | Beta </title>
        <meta property="og:image" content=" http://x.test/c.jpg ">
        <script>var other = 1; var hlsUrl = "http:\/\/x.test\/master.m3u8?a=1&b=2";</script>
        </head><body><h1 class="title">  Hello
        <b>world</b> </h1><a class="r" href="/a">1</a><a class="r" href="/b">2</a></body></html>"#;

    #[test]
    fn selects_texts_and_attributes() {
        let document = Document::parse(PAGE);
        assert_eq!(
            document.select_text("h1.title").as_deref(),
            Some("Hello world")
        );
        assert_eq!(document.title().as_deref(), Some("A & B | Beta"));
        assert_eq!(document.select_attrs("a.r", "href"), vec!["/a", "/b"]);
        assert_eq!(document.select_attr("a.missing", "href"), None);
        assert_eq!(
            document.meta("og:image").as_deref(),
            Some("http://x.test/c.jpg")
        );
        assert_eq!(document.select_text("!!bad"), None);
    }

    #[test]
    fn reads_script_variables() {
        let document = Document::parse(PAGE);
        let script = document.scripts(None).concat();
        assert_eq!(
            script_string_variable(&script, "hlsUrl").as_deref(),
            Some("http://x.test/master.m3u8?a=1&b=2")
        );
        assert_eq!(
            script_string_variable("const myhlsUrl = 'x'", "hlsUrl"),
            None
        );
        assert_eq!(
            script_string_variable("let hlsUrl='a\\'b'", "hlsUrl").as_deref(),
            Some("a'b")
        );
    }
}
