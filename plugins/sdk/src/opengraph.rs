//! OpenGraph: the `<meta property="og:*">` tags of a page.

use crate::html::Document;

/// The `og:*` properties of a page, in document order (keys without the `og:` prefix).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenGraph {
    /// `(name, content)` pairs such as `("image", "http://...")`.
    pub properties: Vec<(String, String)>,
}

/// Reads every `og:*` meta tag.
pub fn read(document: &Document) -> OpenGraph {
    let properties = document
        .select("meta")
        .into_iter()
        .filter_map(|element| {
            let element = element.value();
            let key = element.attr("property").or_else(|| element.attr("name"))?;
            let name = key.trim().strip_prefix("og:")?;
            let content = element.attr("content")?.trim();
            (!content.is_empty()).then(|| (name.to_string(), content.to_string()))
        })
        .collect();
    OpenGraph { properties }
}

impl OpenGraph {
    /// The first value of a property (`"title"`, `"image"`, `"video:release_date"`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a repeatable property (`"video:actor"`, `"video:tag"`).
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.properties
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// `og:title`.
    pub fn title(&self) -> Option<&str> {
        self.get("title")
    }

    /// `og:image` (or `og:image:url`).
    pub fn image(&self) -> Option<&str> {
        self.get("image").or_else(|| self.get("image:url"))
    }

    /// `og:description`.
    pub fn description(&self) -> Option<&str> {
        self.get("description")
    }

    /// `og:url`.
    pub fn url(&self) -> Option<&str> {
        self.get("url")
    }

    /// Whether the page has no `og:*` tag at all.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_properties() {
        let document = Document::parse(
            r#"<meta property="og:title" content="T &amp; U"><meta property="og:image" content="http://x/c.jpg">
            <meta property="og:video:actor" content="A"><meta property="og:video:actor" content="B">
            <meta name="description" content="not og">"#,
        );
        let graph = read(&document);
        assert_eq!(graph.title(), Some("T & U"));
        assert_eq!(graph.image(), Some("http://x/c.jpg"));
        assert_eq!(graph.get_all("video:actor"), vec!["A", "B"]);
        assert_eq!(graph.description(), None);
    }
}
