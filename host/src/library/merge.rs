//! Merging what several plugins found about one code: scrapers in descending weight,
//! first non-empty value wins per field, the source's answer fills the gaps; each field
//! remembers which plugin and version wrote it.

use std::collections::BTreeMap;

use crate::plugins::{Metadata, StreamHit};

/// One plugin's answer with who gave it.
pub(super) struct Found<'a> {
    pub(crate) plugin: &'a str,
    pub(crate) version: &'a str,
    pub(crate) metadata: &'a Metadata,
}

/// The merged record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Merged {
    pub(crate) title: Option<String>,
    pub(crate) original_title: Option<String>,
    pub(crate) release_date: Option<String>,
    pub(crate) duration_seconds: Option<u32>,
    pub(crate) studio: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) series: Option<String>,
    pub(crate) description: Option<String>,
    /// Cover candidates in order of preference: scrapers, then the source.
    pub(crate) covers: Vec<(String, String)>,
    /// People: (raw name, page url, avatar url), from the first scraper that has any.
    pub(crate) people: Vec<(String, Option<String>, Option<String>)>,
    pub(crate) tags: Vec<String>,
    /// field -> "plugin@version".
    pub(crate) provenance: BTreeMap<String, String>,
}

/// Merges scraper answers (already in descending weight) with the source's hit.
pub(super) fn merge(found: &[Found<'_>], source: (&str, &str, &StreamHit)) -> Merged {
    let mut merged = Merged::default();
    for f in found {
        let who = format!("{}@{}", f.plugin, f.version);
        let m = f.metadata;
        take(
            &mut merged.title,
            &m.title,
            "title",
            &who,
            &mut merged.provenance,
        );
        take(
            &mut merged.original_title,
            &m.original_title,
            "original_title",
            &who,
            &mut merged.provenance,
        );
        take(
            &mut merged.release_date,
            &m.release_date,
            "release_date",
            &who,
            &mut merged.provenance,
        );
        take(
            &mut merged.studio,
            &m.studio,
            "studio",
            &who,
            &mut merged.provenance,
        );
        take(
            &mut merged.label,
            &m.label,
            "label",
            &who,
            &mut merged.provenance,
        );
        take(
            &mut merged.series,
            &m.series,
            "series",
            &who,
            &mut merged.provenance,
        );
        take(
            &mut merged.description,
            &m.description,
            "description",
            &who,
            &mut merged.provenance,
        );
        if merged.duration_seconds.is_none() && m.duration_seconds.is_some_and(|d| d > 0) {
            merged.duration_seconds = m.duration_seconds;
            merged
                .provenance
                .insert("duration_seconds".into(), who.clone());
        }
        if let Some(cover) = nonempty(&m.cover_url) {
            merged.covers.push((f.plugin.to_owned(), cover));
        }
        if merged.people.is_empty() && !m.people.is_empty() {
            merged.people = m
                .people
                .iter()
                .filter(|p| !p.name.trim().is_empty())
                .map(|p| (p.name.clone(), p.page_url.clone(), p.avatar_url.clone()))
                .collect();
            merged.provenance.insert("people".into(), who.clone());
        }
        if merged.tags.is_empty() && !m.tags.is_empty() {
            let mut tags: Vec<String> = Vec::new();
            for tag in m.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
                if !tags.iter().any(|seen| seen.eq_ignore_ascii_case(tag)) {
                    tags.push(tag.to_owned());
                }
            }
            merged.tags = tags;
            merged.provenance.insert("tags".into(), who.clone());
        }
    }
    let (plugin, version, hit) = source;
    let who = format!("{plugin}@{version}");
    take(
        &mut merged.title,
        &hit.title,
        "title",
        &who,
        &mut merged.provenance,
    );
    if let Some(cover) = nonempty(&hit.cover_url) {
        merged.covers.push((plugin.to_owned(), cover));
    }
    merged
}

fn nonempty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn take(
    slot: &mut Option<String>,
    value: &Option<String>,
    field: &str,
    who: &str,
    provenance: &mut BTreeMap<String, String>,
) {
    if slot.is_none()
        && let Some(value) = nonempty(value)
    {
        *slot = Some(value);
        provenance.insert(field.to_owned(), who.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::Person;

    fn metadata(
        title: Option<&str>,
        studio: Option<&str>,
        people: &[&str],
        cover: Option<&str>,
    ) -> Metadata {
        Metadata {
            code: "DEMO-001".into(),
            page_url: None,
            title: title.map(Into::into),
            original_title: None,
            release_date: None,
            duration_seconds: Some(60),
            studio: studio.map(Into::into),
            label: None,
            series: None,
            description: None,
            cover_url: cover.map(Into::into),
            people: people
                .iter()
                .map(|n| Person {
                    name: (*n).into(),
                    page_url: None,
                    avatar_url: None,
                })
                .collect(),
            tags: vec!["Drama".into(), "drama".into(), " ".into()],
        }
    }

    #[test]
    fn higher_weight_wins_and_gaps_are_filled() {
        let high = metadata(None, Some("High Studio"), &[], Some("http://a/c.jpg"));
        let low = metadata(
            Some("Low Title"),
            Some("Low Studio"),
            &["P（Q）"],
            Some(" "),
        );
        let hit = StreamHit {
            page_url: "p".into(),
            playlist_url: "m".into(),
            title: Some("Source Title".into()),
            cover_url: Some("http://s/c.jpg".into()),
            headers: vec![],
        };
        let merged = merge(
            &[
                Found {
                    plugin: "high",
                    version: "1.0.0",
                    metadata: &high,
                },
                Found {
                    plugin: "low",
                    version: "2.0.0",
                    metadata: &low,
                },
            ],
            ("src", "3.0.0", &hit),
        );
        assert_eq!(merged.studio.as_deref(), Some("High Studio"));
        assert_eq!(merged.title.as_deref(), Some("Low Title"));
        assert_eq!(merged.provenance["title"], "low@2.0.0");
        assert_eq!(merged.provenance["studio"], "high@1.0.0");
        assert_eq!(merged.people.len(), 1);
        assert_eq!(merged.tags, ["Drama"]);
        assert_eq!(
            merged.covers,
            [
                ("high".to_owned(), "http://a/c.jpg".to_owned()),
                ("src".to_owned(), "http://s/c.jpg".to_owned())
            ]
        );
        let only_source = merge(&[], ("src", "3.0.0", &hit));
        assert_eq!(only_source.title.as_deref(), Some("Source Title"));
        assert_eq!(only_source.provenance["title"], "src@3.0.0");
    }
}
