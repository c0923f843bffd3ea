//! Which alternative renditions (`#EXT-X-MEDIA`) a download takes beside the video: the
//! audio and subtitle choices, parsed from the config and the command line, applied by
//! the download's track step.

use std::fmt;
use std::str::FromStr;

/// Which audio renditions of the chosen variant's group to download.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum AudioRule {
    /// The rendition marked `DEFAULT=YES` (else the first `AUTOSELECT=YES`, else the
    /// first listed).
    #[default]
    Default,
    /// Every audio rendition of the group.
    All,
    /// The first language of the list that the group has (a tag matches its own
    /// subtags: `en` takes `en-US`); the default rendition when none matches.
    Languages(Vec<String>),
}

/// Which subtitle renditions of the chosen variant's group to download.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum SubtitleRule {
    None,
    /// Every subtitle rendition of the group.
    #[default]
    All,
    /// Those whose language is in the list.
    Languages(Vec<String>),
}

/// `en,ja-JP`: language tags (letters, digits and `-`), at least one.
fn parse_languages(text: &str) -> Result<Vec<String>, String> {
    let tags: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect();
    let valid = |tag: &String| {
        tag.len() <= 35
            && tag.split('-').all(|part| {
                !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_alphanumeric())
            })
    };
    if tags.is_empty() || !tags.iter().all(valid) {
        return Err(format!(
            "`{text}` is not a comma-separated list of language tags (such as `en,ja`)"
        ));
    }
    Ok(tags)
}

/// Whether the rendition language `language` is what `wanted` asks for: equal, or
/// `wanted` followed by more subtags, ignoring case.
pub(crate) fn language_matches(wanted: &str, language: &str) -> bool {
    let (wanted, language) = (wanted.to_ascii_lowercase(), language.to_ascii_lowercase());
    language == wanted
        || language
            .strip_prefix(&wanted)
            .is_some_and(|rest| rest.starts_with('-'))
}

impl FromStr for AudioRule {
    type Err = String;

    /// `default`, `all` or a language list (`ja,en`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "default" => Ok(Self::Default),
            "all" => Ok(Self::All),
            _ => parse_languages(text)
                .map(Self::Languages)
                .map_err(|error| format!("{error}, nor default or all")),
        }
    }
}

impl FromStr for SubtitleRule {
    type Err = String;

    /// `none`, `all` or a language list (`zh,en`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "all" => Ok(Self::All),
            _ => parse_languages(text)
                .map(Self::Languages)
                .map_err(|error| format!("{error}, nor none or all")),
        }
    }
}

impl fmt::Display for AudioRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::All => f.write_str("all"),
            Self::Languages(tags) => f.write_str(&tags.join(",")),
        }
    }
}

impl fmt::Display for SubtitleRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("none"),
            Self::All => f.write_str("all"),
            Self::Languages(tags) => f.write_str(&tags.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_print_back() {
        for text in ["default", "all", "ja,en-US"] {
            let rule: AudioRule = text.parse().expect(text);
            assert_eq!(rule.to_string(), text);
        }
        assert_eq!(" ALL ".parse::<AudioRule>(), Ok(AudioRule::All));
        assert_eq!(
            "zh, en".parse::<SubtitleRule>(),
            Ok(SubtitleRule::Languages(vec!["zh".into(), "en".into()]))
        );
        assert_eq!("none".parse::<SubtitleRule>(), Ok(SubtitleRule::None));
        for bad in ["", ",", "en_US", "e n", "-en", "en--us"] {
            assert!(bad.parse::<AudioRule>().is_err(), "{bad:?}");
            assert!(bad.parse::<SubtitleRule>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_tag_matches_its_own_subtags_only() {
        assert!(language_matches("en", "en"));
        assert!(language_matches("en", "EN-us"));
        assert!(language_matches("zh-Hans", "zh-hans-CN"));
        assert!(!language_matches("en", "eng"));
        assert!(!language_matches("en-US", "en"));
        assert!(!language_matches("ja", "jv"));
    }
}
