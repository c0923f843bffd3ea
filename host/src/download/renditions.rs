//! The tracks a download takes beside its variant: the audio and subtitle renditions
//! (`#EXT-X-MEDIA`) of the variant's groups that the config's rules choose, each fetched
//! by the same engine into its own work sub-directory and found again by its group and
//! name when the stream URL is refreshed.

use super::playlist::{Master, Rendition, RenditionKind, Variant};
use crate::types::{AudioRule, SubtitleRule, language_matches};

/// A rendition chosen to be downloaded beside the video.
#[derive(Debug, Clone)]
pub(crate) struct Track {
    pub(crate) rendition: Rendition,
    /// Its work sub-directory, named after the rendition's kind, group and name (so a
    /// later run that chooses other renditions never resumes one from another's parts):
    /// `audio-3f2a…`, `subtitles-9c01…`.
    pub(crate) dir_name: String,
    /// What its own file is called beside the video (`en`, `ja`, `commentary`), unique
    /// among the tracks of its kind.
    pub(crate) tag: String,
}

/// The audio and subtitle renditions to fetch with `variant`, audio first. Renditions
/// carried inside the variant (no URI, or the variant's own URI) are never fetched twice.
pub(crate) fn select(
    master: &Master,
    variant: &Variant,
    audio: &AudioRule,
    subtitles: &SubtitleRule,
) -> Vec<Track> {
    let group = |kind: RenditionKind, id: Option<&String>| -> Vec<&Rendition> {
        let Some(id) = id else {
            return Vec::new();
        };
        master
            .renditions
            .iter()
            .filter(|r| r.kind == kind && &r.group == id)
            .collect()
    };
    let audio_group = group(RenditionKind::Audio, variant.audio.as_ref());
    let subtitle_group = group(RenditionKind::Subtitles, variant.subtitles.as_ref());
    let mut chosen: Vec<&Rendition> = choose_audio(&audio_group, audio);
    chosen.extend(choose_subtitles(&subtitle_group, subtitles));
    let mut seen = Vec::new();
    let mut tracks: Vec<Track> = Vec::new();
    for rendition in chosen {
        let Some(url) = &rendition.url else { continue };
        if *url == variant.url || seen.contains(&url) {
            continue;
        }
        seen.push(url);
        let kind = match rendition.kind {
            RenditionKind::Audio => "audio",
            RenditionKind::Subtitles => "subtitles",
        };
        let index = tracks
            .iter()
            .filter(|t| t.rendition.kind == rendition.kind)
            .count();
        let base = tag_of(rendition).unwrap_or_else(|| format!("{kind}{index}"));
        let mut tag = base.clone();
        let mut n = 2;
        while tracks
            .iter()
            .any(|t| t.rendition.kind == rendition.kind && t.tag == tag)
        {
            tag = format!("{base}-{n}");
            n += 1;
        }
        tracks.push(Track {
            rendition: rendition.clone(),
            dir_name: dir_name(kind, &rendition.group, &rendition.name),
            tag,
        });
    }
    tracks
}

/// The work sub-directory of the rendition of `kind` (`audio`, `subtitles`) with this
/// group and name.
pub(crate) fn dir_name(kind: &str, group: &str, name: &str) -> String {
    let digest = crate::util::sha256_hex(format!("{kind}\n{group}\n{name}").as_bytes());
    format!("{kind}-{}", &digest[..16])
}

/// The rendition of `master` with this kind, group and name (the identity a track keeps
/// across a refreshed master playlist).
pub(crate) fn find<'a>(
    master: &'a Master,
    kind: RenditionKind,
    group: &str,
    name: &str,
) -> Option<&'a Rendition> {
    master
        .renditions
        .iter()
        .find(|r| r.kind == kind && r.group == group && r.name == name)
}

fn choose_audio<'a>(group: &[&'a Rendition], rule: &AudioRule) -> Vec<&'a Rendition> {
    let default = || {
        group
            .iter()
            .find(|r| r.default)
            .or_else(|| group.iter().find(|r| r.autoselect))
            .or_else(|| group.first())
            .copied()
    };
    match rule {
        AudioRule::All => group.to_vec(),
        AudioRule::Default => default().into_iter().collect(),
        AudioRule::Languages(tags) => tags
            .iter()
            .find_map(|tag| {
                group.iter().copied().find(|r| {
                    r.language
                        .as_deref()
                        .is_some_and(|language| language_matches(tag, language))
                })
            })
            .or_else(default)
            .into_iter()
            .collect(),
    }
}

fn choose_subtitles<'a>(group: &[&'a Rendition], rule: &SubtitleRule) -> Vec<&'a Rendition> {
    match rule {
        SubtitleRule::None => Vec::new(),
        SubtitleRule::All => group.to_vec(),
        SubtitleRule::Languages(tags) => group
            .iter()
            .copied()
            .filter(|r| {
                r.language
                    .as_deref()
                    .is_some_and(|language| tags.iter().any(|tag| language_matches(tag, language)))
            })
            .collect(),
    }
}

/// A file-name-safe tag: the language, else the name, lowercased, letters, digits and `-`.
fn tag_of(rendition: &Rendition) -> Option<String> {
    let clean = |text: &str| -> Option<String> {
        let tag: String = text
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let tag = tag.trim_matches('-').to_owned();
        (!tag.is_empty()).then_some(tag.chars().take(32).collect())
    };
    rendition
        .language
        .as_deref()
        .and_then(clean)
        .or_else(|| clean(&rendition.name))
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;

    fn rendition(
        kind: RenditionKind,
        group: &str,
        name: &str,
        language: Option<&str>,
        default: bool,
        uri: Option<&str>,
    ) -> Rendition {
        Rendition {
            kind,
            group: group.into(),
            name: name.into(),
            language: language.map(Into::into),
            default,
            autoselect: true,
            url: uri.map(|uri| Url::parse(&format!("https://h/{uri}")).expect("url")),
        }
    }

    fn master() -> (Master, Variant) {
        use RenditionKind::{Audio, Subtitles};
        let variant = Variant {
            url: Url::parse("https://h/v.m3u8").expect("url"),
            bandwidth: 1,
            pixels: 1,
            codecs: None,
            audio: Some("aud".into()),
            subtitles: Some("subs".into()),
        };
        let master = Master {
            variants: vec![variant.clone()],
            renditions: vec![
                rendition(Audio, "aud", "English", Some("en"), false, Some("en.m3u8")),
                rendition(Audio, "aud", "日本語", Some("ja"), true, Some("ja.m3u8")),
                rendition(
                    Audio,
                    "aud",
                    "Commentary",
                    Some("en"),
                    false,
                    Some("c.m3u8"),
                ),
                rendition(Audio, "other", "Other", Some("fr"), true, Some("fr.m3u8")),
                rendition(
                    Subtitles,
                    "subs",
                    "English",
                    Some("en-US"),
                    false,
                    Some("s-en.m3u8"),
                ),
                rendition(
                    Subtitles,
                    "subs",
                    "中文",
                    Some("zh"),
                    false,
                    Some("s-zh.m3u8"),
                ),
            ],
        };
        (master, variant)
    }

    fn names(tracks: &[Track]) -> Vec<String> {
        tracks
            .iter()
            .map(|t| {
                let kind = t.dir_name.split('-').next().unwrap_or("");
                format!("{kind} {} {}", t.tag, t.rendition.name)
            })
            .collect()
    }

    #[test]
    fn rules_choose_within_the_variants_groups() {
        let (master, variant) = master();
        let pick = |audio: &str, subtitles: &str| {
            names(&select(
                &master,
                &variant,
                &audio.parse().expect("audio rule"),
                &subtitles.parse().expect("subtitle rule"),
            ))
        };
        assert_eq!(pick("default", "none"), ["audio ja 日本語"]);
        assert_eq!(
            pick("all", "all"),
            [
                "audio en English",
                "audio ja 日本語",
                "audio en-2 Commentary",
                "subtitles en-us English",
                "subtitles zh 中文",
            ]
        );
        assert_eq!(
            pick("fr,en", "zh"),
            ["audio en English", "subtitles zh 中文"]
        );
        // No language matches: the default.
        assert_eq!(pick("de", "de"), ["audio ja 日本語"]);
        assert_eq!(
            pick("default", "en"),
            ["audio ja 日本語", "subtitles en-us English"]
        );
    }

    #[test]
    fn a_tracks_work_directory_names_the_rendition_not_its_place() {
        let (master, variant) = master();
        let all = select(&master, &variant, &AudioRule::All, &SubtitleRule::None);
        let japanese = select(
            &master,
            &variant,
            &AudioRule::Languages(vec!["ja".into()]),
            &SubtitleRule::None,
        );
        assert_eq!(japanese[0].dir_name, all[1].dir_name);
        assert_ne!(japanese[0].dir_name, all[0].dir_name);
        assert!(all[0].dir_name.starts_with("audio-"), "{}", all[0].dir_name);
    }

    #[test]
    fn renditions_inside_the_variant_are_not_fetched_again() {
        let (mut master, mut variant) = master();
        // The default audio is muxed in the variant: nothing to add.
        master.renditions[1].url = None;
        let tracks = select(&master, &variant, &AudioRule::Default, &SubtitleRule::None);
        assert!(tracks.is_empty(), "{:?}", names(&tracks));
        // A variant without groups takes nothing beside it.
        variant.audio = None;
        variant.subtitles = None;
        assert!(select(&master, &variant, &AudioRule::All, &SubtitleRule::All).is_empty());
        assert_eq!(
            find(&master, RenditionKind::Audio, "aud", "Commentary").map(|r| r.language.clone()),
            Some(Some("en".to_owned()))
        );
    }
}
