//! Bracketed notes: `(Note: …)`, `[Translator's note: …]`, `（注：…）`, `（译注：…）`,
//! `（備註：…）`, `【Note: …】`, and an echo of the untranslated original such as `(夏祭り)`.
//!
//! A bracket group — `(…)`, `[…]`, `（…）`, `［…］`, `【…】` or `〔…〕` — is a note, and removed,
//! when its text starts with a note word ([`NOTE_WORDS`], followed by `:`, `：`, `.`, a space
//! or the end; [`CJK_NOTE_WORDS`] need nothing after them), or when it echoes the original
//! title: CJK text and no Latin letter while the rest of the line has Latin letters, or kana
//! while the rest of the line (a Chinese title) has none. Other groups are part of the title
//! and stay: `Episode (Part 2)`, `Love [Director's Cut]`, `【4K】`, `海边的夏天（第2部）`.

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

/// Note words in Chinese (simplified and traditional) and Japanese. Words that also begin
/// ordinary titles (`说明`, `解释`) count only with their colon.
const CJK_NOTE_WORDS: &[&str] = &[
    "注",
    "註",
    "译注",
    "譯注",
    "譯註",
    "訳注",
    "译者注",
    "譯者註",
    "备注",
    "備註",
    "備考",
    "直译",
    "直譯",
    "直訳",
    "意味",
    "意为",
    "意為",
    "原题",
    "原題",
    "原标题",
    "原標題",
    "原文",
    "补充",
    "補充",
    "補足",
    "说明：",
    "说明:",
    "說明：",
    "説明：",
    "解释：",
    "解釋：",
];

const PAIRS: &[(char, char)] = &[
    ('(', ')'),
    ('[', ']'),
    ('（', '）'),
    ('［', '］'),
    ('【', '】'),
    ('〔', '〕'),
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
    let echoes_japanese =
        inner.chars().any(is_kana) && outside.chars().any(is_cjk) && !outside.chars().any(is_kana);
    starts_with_word || starts_with_cjk_word || echoes_original || echoes_japanese
}

/// Hiragana and katakana (full- and half-width): Japanese, never Chinese.
fn is_kana(character: char) -> bool {
    matches!(character, '\u{3040}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}')
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
            ("甲（译注：乙）", "甲 "),
            ("甲（夏祭り）", "甲 "),
            ("甲（第2部）", "甲（第2部）"),
            ("甲（说明书）", "甲（说明书）"),
            ("夏祭り（なつまつり）", "夏祭り（なつまつり）"),
        ] {
            assert_eq!(strip(input), expected, "{input}");
        }
    }
}
