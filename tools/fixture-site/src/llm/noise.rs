//! The noise a chatty model wraps around a translation, one pattern per answer, chosen by a hash of the source title.

use crate::prng::hash;

/// How the translated title is wrapped in the model's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoisePattern {
    /// `Translation: TITLE`
    TranslationPrefix,
    /// `"TITLE"`
    DoubleQuotes,
    /// `**TITLE**`
    Bold,
    /// `Title: TITLE` then a blank line and an explanation paragraph.
    TitleWithExplanation,
    /// `TITLE (Note: ...)`
    TrailingNote,
    /// `TITLE`, a blank line, then a numbered explanation list.
    NumberedList,
    /// Blank lines and spaces around `TITLE`.
    BlankLines,
    /// `「TITLE」【注：...】`: full-width quotes and a full-width bracketed note.
    FullWidthBrackets,
    /// `Here is the translation:`, a blank line, then `TITLE`.
    HereIsPrefix,
}

impl NoisePattern {
    /// Every pattern; each one is used by at least one catalog title.
    pub const ALL: [NoisePattern; 9] = [
        NoisePattern::TranslationPrefix,
        NoisePattern::DoubleQuotes,
        NoisePattern::Bold,
        NoisePattern::TitleWithExplanation,
        NoisePattern::TrailingNote,
        NoisePattern::NumberedList,
        NoisePattern::BlankLines,
        NoisePattern::FullWidthBrackets,
        NoisePattern::HereIsPrefix,
    ];

    /// The pattern for answers about `source` (the Japanese title, or the prompt text when no title was found).
    pub fn for_source(source: &str) -> NoisePattern {
        let index = hash(&[b"noise", source.as_bytes()]) % Self::ALL.len() as u64;
        Self::ALL[index as usize]
    }

    /// The raw answer: `title` wrapped in this pattern.
    pub fn apply(self, title: &str) -> String {
        match self {
            NoisePattern::TranslationPrefix => format!("Translation: {title}"),
            NoisePattern::DoubleQuotes => format!("\"{title}\""),
            NoisePattern::Bold => format!("**{title}**"),
            NoisePattern::TitleWithExplanation => format!(
                "Title: {title}\n\nThis title describes a quiet scene and keeps the seasonal mood of the original. \
                 The word order was adjusted so that it reads naturally in English."
            ),
            NoisePattern::TrailingNote => {
                format!("{title} (Note: this is a literal translation of the Japanese title.)")
            }
            NoisePattern::NumberedList => format!(
                "{title}\n\n1. The first word sets the season or the time of day.\n\
                 2. The second word names the place.\n3. Both are capitalised as in an English title."
            ),
            NoisePattern::BlankLines => format!("\n\n  {title}  \n\n\n"),
            NoisePattern::FullWidthBrackets => {
                format!("「{title}」【注：原題を自然な英語に訳しました】")
            }
            NoisePattern::HereIsPrefix => format!("Here is the translation:\n\n{title}"),
        }
    }

    /// The raw answer of a model asked for Chinese: `title` wrapped the way such models
    /// wrap it (their labels, notes, quotes and explanations in Chinese).
    pub fn apply_zh(self, title: &str) -> String {
        match self {
            NoisePattern::TranslationPrefix => format!("翻译结果：{title}"),
            NoisePattern::DoubleQuotes => format!("“{title}”"),
            NoisePattern::Bold => format!("**{title}**"),
            NoisePattern::TitleWithExplanation => format!(
                "标题：{title}\n\n这个标题描绘了一个安静的场景，保留了原文的季节感。语序经过调整，读起来更自然。"
            ),
            NoisePattern::TrailingNote => format!("{title}（注：这是日文标题的直译。）"),
            NoisePattern::NumberedList => format!(
                "{title}\n\n解释：\n1. 第一个词表示季节或时间。\n2. 第二个词表示地点。\n3. 两者之间用“的”连接。"
            ),
            NoisePattern::BlankLines => format!("\n\n\u{3000}{title}\u{3000}\n\n\n"),
            NoisePattern::FullWidthBrackets => {
                format!("《{title}》（译注：已将原题译为自然的中文）")
            }
            NoisePattern::HereIsPrefix => format!("好的，以下是翻译：\n\n{title}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use std::collections::HashSet;

    #[test]
    fn every_pattern_is_used_by_the_catalog() {
        let used: HashSet<NoisePattern> = catalog::all()
            .filter(|&n| catalog::is_known(n))
            .map(|n| NoisePattern::for_source(&catalog::title_ja(n)))
            .collect();
        assert_eq!(used.len(), NoisePattern::ALL.len(), "used: {used:?}");
    }

    #[test]
    fn patterns_keep_the_title() {
        for pattern in NoisePattern::ALL {
            let answer = pattern.apply("Summer Seaside");
            assert!(answer.contains("Summer Seaside"), "{pattern:?}");
            assert_ne!(answer, "Summer Seaside", "{pattern:?} adds noise");
            let answer = pattern.apply_zh("夏天的海边");
            assert!(answer.contains("夏天的海边"), "{pattern:?}");
            assert_ne!(answer, "夏天的海边", "{pattern:?} adds noise");
        }
    }
}
