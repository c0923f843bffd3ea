//! Trailing explanations on the title line: `Title - which means ...`, `Title, meaning ...`,
//! `Title. This title refers to ...`.
//!
//! The line is cut at the earliest punctuation separator (` - `, ` – `, ` — `, `, `, `; `,
//! `. `) followed by an explanation phrase ([`PHRASES`]), or at a plain space followed by an
//! unambiguous one ([`SPACE_PHRASES`]: `which means`, `this title`, ...).

/// Phrases that start an explanation rather than continue a title (lower case).
const PHRASES: &[&str] = &[
    "which ",
    "meaning ",
    "means ",
    "literally",
    "lit. ",
    "a literal ",
    "i.e.",
    "translated as ",
    "translates to ",
    "this title",
    "this translation",
    "that is,",
    "in english",
    "a translation ",
    "roughly ",
    "referring to ",
    "refers to ",
];

/// Phrases that start an explanation even after a plain space.
const SPACE_PHRASES: &[&str] = &[
    "which means",
    "literally",
    "this title",
    "this translation",
    "translated as ",
    "translates to ",
    "refers to ",
    "referring to ",
];

const SEPARATORS: &[&str] = &[" - ", " – ", " — ", ", ", "; ", ". "];

/// Cuts a trailing explanation off the title.
pub(crate) fn cut(text: &str) -> String {
    let lowered = text.to_ascii_lowercase();
    let mut cut_at = None::<usize>;
    let separators = SEPARATORS
        .iter()
        .map(|separator| (*separator, PHRASES))
        .chain([(" ", SPACE_PHRASES)]);
    for (separator, phrases) in separators {
        for (position, _) in lowered.match_indices(separator) {
            if position == 0 {
                continue;
            }
            let after = &lowered[position + separator.len()..];
            if phrases.iter().any(|phrase| after.starts_with(phrase)) {
                cut_at = Some(cut_at.map_or(position, |earlier| earlier.min(position)));
                break;
            }
        }
    }
    match cut_at {
        Some(position) => text[..position]
            .trim_end_matches([' ', '-', '–', '—', ',', ';'])
            .to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts() {
        for (input, expected) in [
            ("A Day - which means a day", "A Day"),
            ("A Day, meaning one day", "A Day"),
            ("A Day. This title refers to x", "A Day"),
            ("A Day which means a day", "A Day"),
            ("Which Way Home", "Which Way Home"),
            ("The Meaning of Life", "The Meaning of Life"),
            ("Love, Actually", "Love, Actually"),
            ("The Door Which Opens", "The Door Which Opens"),
        ] {
            assert_eq!(cut(input), expected, "{input}");
        }
    }
}
