//! Label prefixes: `Translation:`, `Title:`, `Translated title：`, `Here is the translation:`,
//! `翻译结果：`, `標題:`, `タイトル：`, `好的，翻译如下：`.
//!
//! The text before the first colon (ASCII or full-width) is a label when, lower-cased and
//! reduced to letters, with leading fillers (`sure`, `here is`, `好的`, `以下是`, `以下が`)
//! and a trailing verb (`is`, `如下`, `是`, `です`) removed, it is one of [`LABELS`] or
//! [`CJK_LABELS`]. Anything else before a colon is part of the title (`Mission: Impossible`,
//! `名侦探柯南：绯色的子弹`).

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

/// The same labels in simplified and traditional Chinese and in Japanese.
const CJK_LABELS: &[&str] = &[
    "翻译",
    "翻译结果",
    "翻译标题",
    "标题",
    "标题翻译",
    "标题的翻译",
    "翻译后的标题",
    "译文",
    "译名",
    "中文",
    "中文标题",
    "中文翻译",
    "中文译名",
    "最终翻译",
    "结果",
    "答案",
    "输出",
    "翻譯",
    "翻譯結果",
    "標題",
    "標題翻譯",
    "翻譯後的標題",
    "譯文",
    "譯名",
    "中文標題",
    "中文翻譯",
    "中文譯名",
    "結果",
    "翻訳",
    "翻訳結果",
    "訳",
    "訳文",
    "タイトル",
    "中国語訳",
    "中国語タイトル",
    "翻訳後のタイトル",
    "回答",
];

/// Words that open an answer without saying anything, each followed by a space.
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

/// The same in Chinese and Japanese, where no space follows.
const CJK_FILLERS: &[&str] = &[
    "好的",
    "当然",
    "當然",
    "没问题",
    "以下是",
    "以下为",
    "以下為",
    "下面是",
    "这是",
    "這是",
    "这里是",
    "はい",
    "以下が",
    "以下は",
    "これが",
];

/// Verbs and particles that end a label before its colon (`翻译结果是：`, `翻译如下：`).
const CJK_ENDINGS: &[&str] = &["如下", "是", "为", "為", "です", "は"];

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
    let words = without_fillers(text);
    let english = words.strip_suffix(" is").unwrap_or(&words);
    if LABELS.contains(&english) {
        return true;
    }
    let mut cjk = words.replace(' ', "");
    for ending in CJK_ENDINGS {
        if let Some(rest) = cjk.strip_suffix(ending) {
            cjk = rest.to_string();
        }
    }
    CJK_LABELS.contains(&cjk.as_str())
}

/// Whether the text is only fillers and punctuation (`Sure!`, `好的！`): an opening line that
/// says nothing.
pub(crate) fn is_filler_only(text: &str) -> bool {
    text.chars().any(char::is_alphabetic) && without_fillers(text).is_empty()
}

/// The text lower-cased, every run of non-letters one space, leading fillers removed.
fn without_fillers(text: &str) -> String {
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
        for filler in CJK_FILLERS {
            if let Some(rest) = words.strip_prefix(filler) {
                words = rest.trim_start().to_string();
            }
        }
        if before == words {
            break;
        }
    }
    words
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
            ("翻译结果：甲", "甲"),
            ("好的，以下是翻译结果：甲", "甲"),
            ("翻譯結果 ： 甲", "甲"),
            ("以下が翻訳です：甲", "甲"),
            ("名侦探柯南：绯色的子弹", "名侦探柯南：绯色的子弹"),
            ("是：甲", "是：甲"),
        ] {
            assert_eq!(strip(input), expected, "{input}");
        }
    }

    #[test]
    fn filler_lines() {
        for (input, expected) in [
            ("Sure!", true),
            ("好的！", true),
            ("好的，以下是", true),
            ("!!", false),
            ("Sure thing", false),
            ("好的故事", false),
        ] {
            assert_eq!(is_filler_only(input), expected, "{input}");
        }
    }
}
