//! Wrapping quotes: `"…"`, `'…'`, `“…”`, `‘…’`, `「…」`, `『…』`, `«…»`, `＂…＂`.
//!
//! Quotes are removed when they wrap the whole text and the inside holds no other closing
//! quote of the same kind (`"A" and "B"` stays). A quoted title followed by an explanation
//! (`"A" is the translation`, `"A" - literally ...`) keeps the quoted part.

const PAIRS: &[(char, char)] = &[
    ('"', '"'),
    ('\'', '\''),
    ('“', '”'),
    ('‘', '’'),
    ('「', '」'),
    ('『', '』'),
    ('«', '»'),
    ('＂', '＂'),
    ('„', '“'),
];

/// Words after a quoted title that show the rest is an explanation (lower case).
const EXPLANATION_STARTS: &[&str] = &[
    "is ",
    "was ",
    "would ",
    "means",
    "meaning",
    "which",
    "this ",
    "literally",
    "translates",
    "or ",
];

/// Removes one layer of wrapping quotes.
pub(crate) fn strip(text: &str) -> String {
    let Some(open) = text.chars().next() else {
        return String::new();
    };
    let Some(&(_, close)) = PAIRS.iter().find(|(candidate, _)| *candidate == open) else {
        return text.to_string();
    };
    let rest = &text[open.len_utf8()..];
    let Some(close_at) = rest.find(close) else {
        return text.to_string();
    };
    let inner = rest[..close_at].trim();
    let after = rest[close_at + close.len_utf8()..].trim();
    if after.is_empty() {
        return inner.to_string();
    }
    let lowered = after.to_lowercase();
    let explained = after.starts_with(['-', '–', '—', '(', '[', '（', '【', ',', ';', ':', '.'])
        || EXPLANATION_STARTS
            .iter()
            .any(|word| lowered.starts_with(word));
    if explained && !inner.is_empty() {
        inner.to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        for (input, expected) in [
            ("\"A\"", "A"),
            ("「A」", "A"),
            ("“A B”", "A B"),
            ("\"A\" and \"B\"", "\"A\" and \"B\""),
            ("\"A\" is the title", "A"),
            ("\"Weird\" Al", "\"Weird\" Al"),
            ("The \"Secret\" Garden", "The \"Secret\" Garden"),
            ("'Tis", "'Tis"),
        ] {
            assert_eq!(strip(input), expected, "{input}");
        }
    }
}
