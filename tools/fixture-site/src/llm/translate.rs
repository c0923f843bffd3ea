//! The stand-in model's "understanding": find the catalog title in the text, else translate known words, else echo.

use crate::catalog;

/// What the model translated and into what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Translation {
    /// The Japanese the answer is about (picks the noise pattern).
    pub(crate) source: String,
    /// The clean English.
    pub(crate) english: String,
    /// The clean simplified Chinese, for catalog titles (the stand-in knows no other Chinese).
    pub(crate) chinese: Option<String>,
}

/// Translates `text`, or (when it holds no catalog title) the last catalog title in `context`, or `text` word by word.
pub(crate) fn translate(text: &str, context: &str) -> Translation {
    if let Some(n) = find_title(text).or_else(|| find_title(context)) {
        return Translation {
            source: catalog::title_ja(n),
            english: catalog::title_en(n),
            chinese: Some(catalog::title_zh(n)),
        };
    }
    let english = word_by_word(text).unwrap_or_else(|| {
        text.lines()
            .rev()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or_default()
            .to_owned()
    });
    Translation {
        source: text.trim().to_owned(),
        english,
        chinese: None,
    }
}

/// The catalog title occurring last in `text` (the input usually follows the instructions and examples).
pub(crate) fn find_title(text: &str) -> Option<u32> {
    catalog::all()
        .filter_map(|n| {
            text.rfind(&catalog::title_ja(n))
                .map(|position| (position, n))
        })
        .max_by_key(|&(position, n)| (position, catalog::title_ja(n).len()))
        .map(|(_, n)| n)
}

/// The English of every dictionary word in `text`, in order, longest match first; `None` when none is known.
fn word_by_word(text: &str) -> Option<String> {
    let mut words = Vec::new();
    let mut rest = text;
    while let Some(character) = rest.chars().next() {
        let found = catalog::dictionary()
            .filter(|(japanese, _)| rest.starts_with(japanese))
            .max_by_key(|(japanese, _)| japanese.len());
        match found {
            Some((japanese, english)) => {
                words.push(english);
                rest = &rest[japanese.len()..];
            }
            None => rest = &rest[character.len_utf8()..],
        }
    }
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, context: &str, english: &str) {
        assert_eq!(translate(text, context).english, english, "{text:?}");
    }

    #[test]
    fn translations() {
        check(
            "Translate this title into English: 夏の海辺",
            "",
            "Summer Seaside",
        );
        check(
            "Example: 冬の駅 -> Winter Station\nNow translate: 夏の海辺",
            "",
            "Summer Seaside",
        );
        check(
            "Translate the title above.",
            "system: 夏の海辺",
            "Summer Seaside",
        );
        check("小さな猫の物語", "", "Little Cat Story");
        check("Hello there\n  unknown words  \n", "", "unknown words");
        check("", "", "");
    }

    #[test]
    fn catalog_source_is_the_title() {
        assert_eq!(translate("「夏の海辺」を翻訳", "").source, "夏の海辺");
    }
}
