//! Label prefixes: `Translation:`, `Title:`, `Translated title：`, `Here is the translation:`.
//!
//! The text before the first colon (ASCII or full-width) is a label when, lower-cased and
//! reduced to letters, with leading fillers (`sure`, `okay`, `here is`, `here's`) and a
//! trailing `is` removed, it is one of [`LABELS`]. Anything else before a colon is part of
//! the title (`Mission: Impossible`).

/// Labels an LLM puts before its answer.
const LABELS: &[&str] = &[
    "translation",
    "translated",
    "translated title",
    "title",
    "title translation",
    "english",
    "english title",
    "english translation",
    "english translated title",
    "final translation",
    "final answer",
    "answer",
    "result",
    "output",
    "translation of the title",
    "the translation",
    "the translated title",
    "the title",
    "the english title",
    "the english translation",
    "the translation of the title",
    "the answer",
];

const FILLERS: &[&str] = &[
    "sure",
    "okay",
    "ok",
    "here is",
    "here's",
    "heres",
    "here are",
    "certainly",
];

/// Removes one leading label and its colon.
pub(crate) fn strip(text: &str) -> String {
    let Some(colon) = text.find([':', '：']) else {
        return text.to_string();
    };
    let head = &text[..colon];
    if !is_label(head) {
        return text.to_string();
    }
    let colon_len = text[colon..].chars().next().map_or(1, char::len_utf8);
    text[colon + colon_len..].trim().to_string()
}

/// Whether the text is only a label (see the module docs).
pub(crate) fn is_label(text: &str) -> bool {
    let lowered: String = text
        .chars()
        .map(|character| match character {
            '’' => '\'',
            character if character.is_alphabetic() || character == '\'' => {
                character.to_ascii_lowercase()
            }
            _ => ' ',
        })
        .collect();
    let mut words = lowered.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = words.clone();
        for filler in FILLERS {
            if let Some(rest) = words.strip_prefix(filler)
                && (rest.is_empty() || rest.starts_with(' '))
            {
                words = rest.trim_start().to_string();
            }
        }
        if before == words {
            break;
        }
    }
    let words = words.strip_suffix(" is").unwrap_or(&words);
    LABELS.contains(&words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        for (input, expected) in [
            ("Translation: A", "A"),
            ("TITLE：A", "A"),
            ("Here's the English translation: A", "A"),
            ("The translation is: A", "A"),
            ("Mission: Impossible", "Mission: Impossible"),
            ("English Lessons: Part 2", "English Lessons: Part 2"),
            ("A", "A"),
        ] {
            assert_eq!(strip(input), expected, "{input}");
        }
    }
}
