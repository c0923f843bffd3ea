//! Which titles need no translation: empty ones, and ones already in the target
//! language, judged by script alone (no language model): for `ja` a title with kana, for
//! `zh` one with Han and neither kana nor Hangul, for `ko` one with Hangul, and for any
//! other target a title with no CJK character at all (Han, kana, Hangul, CJK punctuation,
//! full-width and half-width forms).

/// Why `title` needs no translation into `target_language`, or None when it does.
pub(super) fn skip_reason(title: &str, target_language: &str) -> Option<String> {
    if title.trim().is_empty() {
        return Some("the title is empty".to_owned());
    }
    already_in(title, target_language)
        .then(|| format!("the title is already in the target language ({target_language})"))
}

/// Whether `title` is already written in `target_language` (see the module comment).
fn already_in(title: &str, target_language: &str) -> bool {
    let any = |test: fn(char) -> bool| title.chars().any(test);
    match target_language {
        "ja" => any(is_kana),
        "zh" => any(is_han) && !any(is_kana) && !any(is_hangul),
        "ko" => any(is_hangul),
        _ => !any(is_cjk),
    }
}

/// Any character of a CJK script or CJK typography.
fn is_cjk(c: char) -> bool {
    is_han(c) || is_kana(c) || is_hangul(c) || is_cjk_form(c)
}

fn is_han(c: char) -> bool {
    matches!(u32::from(c),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x2_0000..=0x3_134F)
}

fn is_kana(c: char) -> bool {
    matches!(u32::from(c), 0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F)
}

fn is_hangul(c: char) -> bool {
    matches!(u32::from(c), 0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF)
}

/// CJK symbols and punctuation (`「」。、々`), and full-width and half-width forms
/// (`ＡＢＣ`, `！`).
fn is_cjk_form(c: char) -> bool {
    matches!(u32::from(c), 0x3000..=0x303F | 0xFF00..=0xFFEF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(title: &str, target: &str, skipped: bool) {
        assert_eq!(
            skip_reason(title, target).is_some(),
            skipped,
            "{title:?} into {target}"
        );
    }

    #[test]
    fn english_targets_skip_titles_without_cjk() {
        check("Summer Seaside", "en", true);
        check("Café au lait, 2nd edition!", "en", true);
        check("Ünïcödé Ελληνικά", "fr", true);
        check("夏の海辺", "en", false);
        check("Summer 海辺", "en", false);
        check("カタカナ", "en", false);
        check("ﾊﾝｶｸ", "en", false);
        check("한국어 제목", "en", false);
        check("ＡＢＣ", "en", false);
        check("「Summer」", "en", false);
        check("𠀋", "en", false);
    }

    #[test]
    fn empty_titles_are_skipped_for_every_target() {
        for target in ["en", "ja", "zh", "ko"] {
            check("", target, true);
            check(" \n\t ", target, true);
        }
        assert_eq!(
            skip_reason("  ", "en").as_deref(),
            Some("the title is empty")
        );
    }

    #[test]
    fn cjk_targets_look_for_their_script() {
        check("夏の海辺", "ja", true);
        check("夏海辺", "ja", false);
        check("Summer Seaside", "ja", false);
        check("夏季海边", "zh", true);
        check("夏の海辺", "zh", false);
        check("한국어 제목", "ko", true);
        check("夏の海辺", "ko", false);
    }
}
