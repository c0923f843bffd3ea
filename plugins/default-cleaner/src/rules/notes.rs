//! Bracketed notes: `(Note: …)`, `[Translator's note: …]`, `（注：…）`, `【Note: …】`, and an
//! echo of the untranslated original such as `(夏祭り)`.
//!
//! A bracket group — `(…)`, `[…]`, `（…）`, `［…］` or `【…】` — is a note, and removed, when its
//! text starts with a note word ([`NOTE_WORDS`], followed by `:`, `：`, `.`, a space or the
//! end), or when it holds CJK text and no Latin letter while the rest of the line has Latin
//! letters (the original title echoed after its translation). Other groups are part of the
//! title and stay: `Episode (Part 2)`, `Love [Director's Cut]`, `【4K】`.

/// Words that open a note (lower case). CJK ones need no separator after them.
const NOTE_WORDS: &[&str] = &[
    "note",
    "notes",
    "n.b",
    "nb",
    "translator's note",
    "translator’s note",
    "translation note",
    "translation",
    "translated",
    "tl note",
    "tl",
    "t/n",
    "tn",
    "literally",
    "literal",
    "lit",
    "meaning",
    "means",
    "i.e",
    "or",
    "also",
    "aka",
    "original",
    "japanese",
];

const CJK_NOTE_WORDS: &[&str] = &["注", "訳注", "備考", "直訳", "意味", "原題", "補足"];

const PAIRS: &[(char, char)] = &[
    ('(', ')'),
    ('[', ']'),
    ('（', '）'),
    ('［', '］'),
    ('【', '】'),
];

/// Removes every note group.
pub(crate) fn strip(text: &str) -> String {
    let mut out = text.to_string();
    while let Some((start, end)) = find_note(&out) {
        out.replace_range(start..end, " ");
    }
    out
}

/// The byte range of the first note group, brackets included.
fn find_note(text: &str) -> Option<(usize, usize)> {
    for (start, open) in text.char_indices() {
        let Some(&(_, close)) = PAIRS.iter().find(|(candidate, _)| *candidate == open) else {
            continue;
        };
        let inner_start = start + open.len_utf8();
        let Some(inner_len) = matching_close(&text[inner_start..], open, close) else {
            continue;
        };
        let end = inner_start + inner_len + close.len_utf8();
        let outside = format!("{}{}", &text[..start], &text[end..]);
        if is_note(&text[inner_start..inner_start + inner_len], &outside) {
            return Some((start, end));
        }
    }
    None
}

/// The byte length of the text up to the bracket closing an already opened one.
fn matching_close(text: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 1;
    for (index, character) in text.char_indices() {
        if character == open {
            depth += 1;
        } else if character == close {
            depth -= 1;
            if depth == 0 {
                return Some(index);
            }
        }
    }
    None
}

fn is_note(inner: &str, outside: &str) -> bool {
    let inner = inner.trim();
    let lowered = inner.to_lowercase();
    let starts_with_word = NOTE_WORDS.iter().any(|word| {
        lowered.strip_prefix(word).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with([':', '：', '.', ' ', ',', '-'])
        })
    });
    let starts_with_cjk_word = CJK_NOTE_WORDS.iter().any(|word| inner.starts_with(word));
    let echoes_original = inner.chars().any(is_cjk)
        && !inner
            .chars()
            .any(|character| character.is_ascii_alphabetic())
        && outside
            .chars()
            .any(|character| character.is_ascii_alphabetic());
    starts_with_word || starts_with_cjk_word || echoes_original
}

/// Hiragana, katakana, CJK ideographs and half-width katakana.
fn is_cjk(character: char) -> bool {
    matches!(character,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{FF66}'..='\u{FF9F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes() {
        for (input, expected) in [
            ("A (Note: x)", "A  "),
            ("A （注：直訳）", "A  "),
            ("A 【Note: x (y)】", "A  "),
            ("A [TL note: x]", "A  "),
            ("A (夏祭り)", "A  "),
            ("A (Part 2)", "A (Part 2)"),
            ("A [Director's Cut]", "A [Director's Cut]"),
            ("夏祭り（夏）", "夏祭り（夏）"),
            ("A (Notebook)", "A (Notebook)"),
            ("A (unclosed", "A (unclosed"),
        ] {
            assert_eq!(strip(input), expected, "{input}");
        }
    }
}
