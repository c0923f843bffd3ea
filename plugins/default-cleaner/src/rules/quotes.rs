//! Wrapping quotes: `"…"`, `'…'`, `“…”`, `‘…’`, `「…」`, `『…』`, `《…》`, `〈…〉`, `«…»`, `＂…＂`.
//!
//! Quotes are removed when they wrap the whole text and the inside holds no other closing
//! quote of the same kind (`"A" and "B"` stays). A quoted title followed by an explanation
//! (`"A" is the translation`, `"A" - literally ...`, `“甲”是这个标题的中文翻译`) keeps the
//! quoted part. Book-title marks count only when they wrap the whole text, since Chinese
//! titles use them inside (`关于《红楼梦》的研究`, `《红楼梦》与《西游记》`).

const PAIRS: &[(char, char)] = &[
    ('"', '"'),
    ('\'', '\''),
    ('“', '”'),
    ('‘', '’'),
    ('「', '」'),
    ('『', '』'),
    ('《', '》'),
    ('〈', '〉'),
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

/// The same after a quoted title in Chinese and Japanese (`“甲”是这个标题的翻译`, `「甲」という意味`).
const CJK_EXPLANATION_STARTS: &[&str] = &[
    "是这",
    "是這",
    "是该",
    "是該",
    "是此",
    "是对",
    "是對",
    "是原",
    "是日",
    "是中",
    "是标题",
    "是標題",
    "意为",
    "意為",
    "意思",
    "这个",
    "這個",
    "该标题",
    "译自",
    "譯自",
    "直译",
    "直譯",
    "は",
    "という",
    "と訳",
    "の意味",
    "，",
    "。",
    "；",
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
            .chain(CJK_EXPLANATION_STARTS)
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
            ("《甲》", "甲"),
            ("“甲”是这个标题的翻译", "甲"),
            ("《甲》与《乙》", "《甲》与《乙》"),
            ("「甲」乙", "「甲」乙"),
        ] {
            assert_eq!(strip(input), expected, "{input}");
        }
    }
}
