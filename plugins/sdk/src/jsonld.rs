//! schema.org JSON-LD: the `<script type="application/ld+json">` blocks of a page, objects by
//! `@type` (also inside arrays and `@graph`), and the fields of a `Movie`/`VideoObject`.

use serde_json::Value;

use crate::html::Document;

/// Every JSON-LD block of the page that parses as JSON (invalid blocks are skipped).
pub fn blocks(document: &Document) -> Vec<Value> {
    document
        .scripts(Some("application/ld+json"))
        .iter()
        .filter_map(|text| serde_json::from_str(text.trim()).ok())
        .collect()
}

/// Every object whose `@type` (a string or a list) is one of `types`, searched through
/// arrays, `@graph` and nested values, in document order.
pub fn find_by_type<'a>(blocks: &'a [Value], types: &[&str]) -> Vec<&'a Value> {
    let mut found = Vec::new();
    for block in blocks {
        collect_by_type(block, types, &mut found);
    }
    found
}

fn collect_by_type<'a>(value: &'a Value, types: &[&str], found: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                collect_by_type(item, types, found);
            }
        }
        Value::Object(object) => {
            if has_type(value, types) {
                found.push(value);
            }
            for (key, nested) in object {
                if key != "@type" && key != "@context" {
                    collect_by_type(nested, types, found);
                }
            }
        }
        _ => {}
    }
}

/// Whether an object's `@type` names one of `types` (`schema:Movie` and full IRIs match too).
pub fn has_type(value: &Value, types: &[&str]) -> bool {
    let matches = |name: &str| {
        let short = name.rsplit(['/', ':', '#']).next().unwrap_or(name);
        types
            .iter()
            .any(|wanted| wanted.eq_ignore_ascii_case(short))
    };
    match value.get("@type") {
        Some(Value::String(name)) => matches(name),
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).any(matches),
        _ => false,
    }
}

/// A person or organisation reference: an object with `name`, or a bare string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRef {
    /// `name`.
    pub name: String,
    /// `url` (or `@id` when it is a URL).
    pub url: Option<String>,
    /// `image`.
    pub image: Option<String>,
}

/// The fields of a schema.org `Movie` or `VideoObject` that Kura uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Movie {
    /// `name`.
    pub name: Option<String>,
    /// `alternateName` (the first when a list).
    pub alternate_name: Option<String>,
    /// `datePublished` (or `uploadDate`) as `YYYY-MM-DD`.
    pub date_published: Option<String>,
    /// `duration` (ISO 8601) in seconds.
    pub duration_seconds: Option<u32>,
    /// `actor` (or `actors`).
    pub actors: Vec<PersonRef>,
    /// `director`.
    pub directors: Vec<PersonRef>,
    /// `genre` (or `keywords` when it is a list).
    pub genres: Vec<String>,
    /// `productionCompany` names.
    pub production_company: Option<String>,
    /// `image` (or `thumbnailUrl`).
    pub image: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `url`.
    pub url: Option<String>,
}

/// The first `Movie` or `VideoObject` of the page, if any.
pub fn movie(document: &Document) -> Option<Movie> {
    let blocks = blocks(document);
    find_by_type(&blocks, &["Movie", "VideoObject"])
        .first()
        .map(|value| read_movie(value))
}

/// Reads a `Movie`/`VideoObject` object.
pub fn read_movie(value: &Value) -> Movie {
    Movie {
        name: text(value.get("name")),
        alternate_name: text(value.get("alternateName")),
        date_published: text(
            value
                .get("datePublished")
                .or_else(|| value.get("uploadDate")),
        )
        .and_then(|date| iso_date(&date)),
        duration_seconds: text(value.get("duration")).and_then(|text| parse_duration(&text)),
        actors: people(value.get("actor").or_else(|| value.get("actors"))),
        directors: people(value.get("director")),
        genres: texts(value.get("genre")),
        production_company: people(value.get("productionCompany"))
            .into_iter()
            .next()
            .map(|company| company.name),
        image: url_of(value.get("image").or_else(|| value.get("thumbnailUrl"))),
        description: text(value.get("description")),
        url: text(value.get("url")),
    }
}

/// A string, a number, or the first of a list of them; trimmed, never blank.
pub fn text(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(text) => text.trim().to_string(),
        Value::Number(number) => number.to_string(),
        Value::Array(items) => return items.iter().find_map(|item| text(Some(item))),
        Value::Object(object) => return text(object.get("name").or_else(|| object.get("@value"))),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Every string of a string-or-list value (a comma-separated string is split).
pub fn texts(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|item| text(Some(item))).collect(),
        Some(Value::String(joined)) => joined
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(str::to_string)
            .collect(),
        other => text(other).into_iter().collect(),
    }
}

/// Person or organisation references from an object, a string, or a list of them.
pub fn people(value: Option<&Value>) -> Vec<PersonRef> {
    let one = |value: &Value| -> Option<PersonRef> {
        match value {
            Value::String(name) if !name.trim().is_empty() => Some(PersonRef {
                name: name.trim().to_string(),
                url: None,
                image: None,
            }),
            Value::Object(object) => Some(PersonRef {
                name: text(object.get("name"))?,
                url: text(object.get("url"))
                    .or_else(|| text(object.get("@id")).filter(|id| id.starts_with("http"))),
                image: url_of(object.get("image")),
            }),
            _ => None,
        }
    };
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(value) => one(value).into_iter().collect(),
        None => Vec::new(),
    }
}

/// An image-ish value: a URL string, an `ImageObject` (`url`/`contentUrl`), or a list.
pub fn url_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(url) => Some(url.trim().to_string()).filter(|url| !url.is_empty()),
        Value::Array(items) => items.iter().find_map(|item| url_of(Some(item))),
        Value::Object(object) => url_of(object.get("url").or_else(|| object.get("contentUrl"))),
        _ => None,
    }
}

/// The `YYYY-MM-DD` prefix of an ISO 8601 date or date-time.
pub fn iso_date(text: &str) -> Option<String> {
    let date = text.trim().get(..10)?;
    let bytes = date.as_bytes();
    let shape_ok = bytes.iter().enumerate().all(|(index, byte)| match index {
        4 | 7 => *byte == b'-',
        _ => byte.is_ascii_digit(),
    });
    shape_ok.then(|| date.to_string())
}

/// An ISO 8601 duration (`PT2H5M30S`, `PT125M`, `P1DT2H`, `PT90.5S`) in whole seconds;
/// years and months are refused (their length varies).
pub fn parse_duration(text: &str) -> Option<u32> {
    let rest = text.trim().strip_prefix(['P', 'p'])?;
    let mut seconds = 0f64;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for character in rest.chars() {
        match character.to_ascii_uppercase() {
            'T' if number.is_empty() => in_time = true,
            digit @ ('0'..='9' | '.' | ',') => number.push(if digit == ',' { '.' } else { digit }),
            unit => {
                let value: f64 = number.parse().ok()?;
                number.clear();
                any = true;
                seconds += value
                    * match (unit, in_time) {
                        ('W', false) => 604_800.0,
                        ('D', false) => 86_400.0,
                        ('H', true) => 3_600.0,
                        ('M', true) => 60.0,
                        ('S', true) => 1.0,
                        _ => return None,
                    };
            }
        }
    }
    if !number.is_empty() || !any || seconds > f64::from(u32::MAX) {
        return None;
    }
    Some(seconds.round() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, expected) in [
            ("PT2H5M30S", Some(7530)),
            ("PT125M", Some(7500)),
            ("P1DT1S", Some(86_401)),
            ("PT90.5S", Some(91)),
            ("pt1h", Some(3600)),
            ("P1M", None),
            ("PT", None),
            ("PT5", None),
            ("125", None),
        ] {
            assert_eq!(parse_duration(text), expected, "{text}");
        }
    }

    #[test]
    fn finds_movies_in_graphs_and_arrays() {
        let page = r#"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
            {"@type":"WebPage","name":"page"},
            {"@type":["Movie","CreativeWork"],"name":"T &amp; x","alternateName":["Orig"],
             "datePublished":"2024-03-05T00:00:00Z","duration":"PT1H30M",
             "actor":[{"@type":"Person","name":"A","url":"http://x/p/1"},"B"],
             "director":{"@type":"Person","name":"D"},"genre":["g1","g2"],
             "productionCompany":{"@type":"Organization","name":"S"},
             "image":{"@type":"ImageObject","url":"http://x/c.jpg"},"description":" d "}]}</script>
            <script type="application/ld+json">not json</script>"#;
        let document = Document::parse(page);
        let movie = movie(&document).expect("a movie");
        assert_eq!(movie.name.as_deref(), Some("T &amp; x"));
        assert_eq!(movie.alternate_name.as_deref(), Some("Orig"));
        assert_eq!(movie.date_published.as_deref(), Some("2024-03-05"));
        assert_eq!(movie.duration_seconds, Some(5400));
        assert_eq!(movie.actors.len(), 2);
        assert_eq!(movie.actors[0].url.as_deref(), Some("http://x/p/1"));
        assert_eq!(movie.actors[1].name, "B");
        assert_eq!(movie.directors[0].name, "D");
        assert_eq!(movie.genres, vec!["g1", "g2"]);
        assert_eq!(movie.production_company.as_deref(), Some("S"));
        assert_eq!(movie.image.as_deref(), Some("http://x/c.jpg"));
        assert_eq!(movie.description.as_deref(), Some("d"));
    }

    #[test]
    fn finds_top_level_arrays_of_video_objects() {
        let blocks = vec![
            serde_json::json!([{"@type": "Thing"}, {"@type": "schema:VideoObject", "name": "v"}]),
        ];
        let found = find_by_type(&blocks, &["VideoObject"]);
        assert_eq!(found.len(), 1);
        assert_eq!(read_movie(found[0]).name.as_deref(), Some("v"));
    }
}
