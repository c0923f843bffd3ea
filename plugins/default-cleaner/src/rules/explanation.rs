//! Trailing explanations on the title line: `Title - which means ...`, `Title, meaning ...`,
//! `Title. This title refers to ...`, `标题——意为……`, `标题，意思是……`, `标题。このタイトルは……`.
//!
//! The line is cut at the earliest punctuation separator (` - `, ` – `, ` — `, `, `, `; `,
//! `. `, and the CJK `——`, `—`, `，`, `；`, `。`) followed by an explanation phrase
//! ([`PHRASES`], [`CJK_PHRASES`]), or at a plain space followed by an unambiguous one
//! ([`SPACE_PHRASES`]: `which means`, `this title`, ...). A separator alone cuts nothing:
//! `Love, Actually` and `你好，李焕英` are titles.

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

/// Phrases that start an explanation in Chinese (simplified and traditional) and Japanese.
const CJK_PHRASES: &[&str] = &[
    "意为",
    "意為",
    "意思是",
    "意思為",
    "意指",
    "意即",
    "直译为",
    "直译是",
    "直譯為",
    "字面意思",
    "字面上",
    "这个标题",
    "這個標題",
    "该标题",
    "該標題",
    "此标题",
    "此標題",
    "这一标题",
    "标题意为",
    "这个翻译",
    "這個翻譯",
    "该翻译",
    "此翻译",
    "译为",
    "譯為",
    "指的是",
    "原文",
    "原题",
    "原題",
    "このタイトル",
    "この翻訳",
    "直訳",
    "意味は",
];

const SEPARATORS: &[&str] = &[" - ", " – ", " — ", ", ", "; ", ". "];

const CJK_SEPARATORS: &[&str] = &["——", "—", "，", "；", "。"];

/// Cuts a trailing explanation off the title.
pub(crate) fn cut(text: &str) -> String {
    let lowered = text.to_ascii_lowercase();
    let mut cut_at = None::<usize>;
    let separators = SEPARATORS
        .iter()
        .chain(CJK_SEPARATORS)
        .map(|separator| (*separator, [PHRASES, CJK_PHRASES]))
        .chain([(" ", [SPACE_PHRASES, &[]])]);
    for (separator, phrase_lists) in separators {
        for (position, _) in lowered.match_indices(separator) {
            if position == 0 {
                continue;
            }
            let after = lowered[position + separator.len()..].trim_start();
            if phrase_lists
                .iter()
                .flat_map(|phrases| phrases.iter())
                .any(|phrase| after.starts_with(phrase))
            {
                cut_at = Some(cut_at.map_or(position, |earlier| earlier.min(position)));
                break;
            }
        }
    }
    match cut_at {
        Some(position) => text[..position]
            .trim_end_matches([' ', '-', '–', '—', ',', ';', '，', '；'])
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
            ("甲——意为乙", "甲"),
            ("甲，意思是乙", "甲"),
            ("甲。这个标题保留了原意", "甲"),
            ("甲 - 直译为乙", "甲"),
            ("甲。このタイトルは乙", "甲"),
            ("你好，李焕英", "你好，李焕英"),
            ("甲，乙", "甲，乙"),
        ] {
            assert_eq!(cut(input), expected, "{input}");
        }
    }
}
