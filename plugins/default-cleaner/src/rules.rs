//! The cleaning rules (checklist N-C4), as pure functions over text.
//!
//! 1. Line endings are normalised; blank lines and outer whitespace (including U+3000) go.
//! 2. The title is the first line that is left non-empty by the line rules below. Lines
//!    before it that are only an introduction (`Here is the translation:`, `### Translation`,
//!    `好的，这是翻译后的标题。`, `Sure!`, `好的！`, any line ending in a colon when more lines
//!    follow) are skipped; every line after it (explanation paragraphs, notes, numbered or
//!    bulleted explanation lists) is dropped.
//! 3. When the answer is a numbered list (two or more `1.`/`2)`/`1、` lines) and the title
//!    line is one of its items, the item marker is removed: the first alternative wins.
//! 4. On the title line, repeated until nothing changes: Markdown emphasis (`**`, `__`,
//!    wrapping `*`, `_`, backticks, heading `#`) is removed; a label prefix
//!    ([`prefix`]) is removed; a trailing explanation ([`explanation`]) is cut; bracketed
//!    notes ([`notes`]) are removed; wrapping quotes ([`quotes`]) are removed; runs of
//!    whitespace become one space.

mod explanation;
mod notes;
mod prefix;
mod quotes;

/// Cleans an LLM answer into a title; `None` when nothing usable is left.
pub(crate) fn clean(raw: &str) -> Option<String> {
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let numbered_list = lines
        .iter()
        .filter(|line| list_marker_len(line).is_some())
        .count()
        >= 2;
    for (index, line) in lines.iter().enumerate() {
        let has_more = index + 1 < lines.len();
        if has_more && is_introduction(line) {
            continue;
        }
        let mut line = *line;
        if numbered_list && let Some(marker_len) = list_marker_len(line) {
            line = &line[marker_len..];
        }
        let cleaned = clean_line(line);
        if !cleaned.is_empty() {
            return Some(cleaned);
        }
    }
    None
}

/// Applies the line rules until the text stops changing.
pub(crate) fn clean_line(line: &str) -> String {
    let mut current = collapse_whitespace(line);
    for _ in 0..8 {
        let mut next = strip_markdown(&current);
        next = prefix::strip(&next);
        next = explanation::cut(&next);
        next = notes::strip(&next);
        next = quotes::strip(&next);
        next = collapse_whitespace(&next);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// Whether a line only introduces what follows: it ends with a colon, it is a bare label
/// such as `Translation`, `### English title` or `这是翻译后的标题。`, or it is only fillers
/// such as `Sure!` or `好的！`.
fn is_introduction(line: &str) -> bool {
    let plain = strip_markdown(line);
    let plain = plain.trim();
    plain.ends_with(':')
        || plain.ends_with('：')
        || prefix::is_label(plain)
        || prefix::is_filler_only(plain)
}

/// The byte length of a leading `1. ` / `2) ` / `1、` list marker. The Chinese enumeration
/// comma and the full-width stop need no space after them; `.` and `)` do (`1.5倍`).
fn list_marker_len(line: &str) -> Option<usize> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let rest = &line[digits..];
    if let Some(after_marker) = rest.strip_prefix('、').or_else(|| rest.strip_prefix('．')) {
        return Some(line.len() - after_marker.trim_start().len());
    }
    let after_marker = rest.strip_prefix('.').or_else(|| rest.strip_prefix(')'))?;
    after_marker
        .starts_with(char::is_whitespace)
        .then(|| line.len() - after_marker.trim_start().len())
}

/// Removes Markdown emphasis and heading markers.
fn strip_markdown(text: &str) -> String {
    let mut text = text.replace("**", "").replace("__", "");
    text = text.trim_start_matches('#').trim().to_string();
    for marker in ['*', '_', '`', '~'] {
        if text.len() >= 2 && text.starts_with(marker) && text.ends_with(marker) {
            text = text[1..text.len() - 1].trim().to_string();
        }
    }
    text
}

/// Runs of whitespace (any Unicode space) become one ASCII space; the ends are trimmed.
fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct GoldenCase {
        rule: String,
        input: String,
        expected: String,
    }

    #[test]
    fn golden_cases() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../wit/cleaner-golden.json");
        let text = std::fs::read_to_string(path).expect("read the golden file");
        let cases: Vec<GoldenCase> = serde_json::from_str(&text).expect("parse the golden file");
        assert!(cases.len() >= 20);
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|case| {
                let actual = clean(&case.input);
                (actual.as_deref() != Some(case.expected.as_str())).then(|| {
                    format!(
                        "[{}] {:?}: expected {:?}, got {actual:?}",
                        case.rule, case.input, case.expected
                    )
                })
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{} golden case(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    fn check(input: &str, expected: Option<&str>) {
        assert_eq!(clean(input).as_deref(), expected, "{input:?}");
    }

    #[test]
    fn selection_of_the_title_line() {
        check(
            "Sure! Here's the translation of the title:\n\nSummer Festival",
            Some("Summer Festival"),
        );
        check("### Translation\nSummer Festival", Some("Summer Festival"));
        check(
            "The title translates to:\nSummer Festival\n\nExplanation: natsu = summer",
            Some("Summer Festival"),
        );
        check("(Note: literal)\nSummer Festival", Some("Summer Festival"));
        check("Summer Festival:", Some("Summer Festival:"));
        check("1. FC Story", Some("1. FC Story"));
        check("", None);
        check("Translation:", None);
        check("Sure!\n\nSummer Festival", Some("Summer Festival"));
        check("好的，以下是翻译结果\n夏日祭典", Some("夏日祭典"));
        check("好的！", Some("好的！"));
        check("1、甲\n2、乙", Some("甲"));
        check("1、甲", Some("1、甲"));
    }

    #[test]
    fn markdown() {
        check("# Summer Festival", Some("Summer Festival"));
        check("`Summer Festival`", Some("Summer Festival"));
        check("Summer *Festival*", Some("Summer *Festival*"));
    }
}
