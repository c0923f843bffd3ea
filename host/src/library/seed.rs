//! `kura seed`: fills the library with synthetic resources (codes `SEED-000001` on), for
//! benchmarks and for trying the API on a large library. Deterministic: the same count
//! gives the same rows. No plugin and no network is involved.

use std::collections::BTreeMap;

use serde::Serialize;

use super::LibraryError;
use crate::store::{
    ImportedState, ImportedVideo, PersonWrite, ResourceWrite, Store, TranslationStatus,
};

/// Rows written per transaction.
const BATCH: usize = 10_000;
const PEOPLE: u64 = 2000;
const TAGS: [&str; 24] = [
    "Drama",
    "Comedy",
    "Travel",
    "Music",
    "Cooking",
    "History",
    "Nature",
    "Sports",
    "Science",
    "Art",
    "Family",
    "Mystery",
    "Romance",
    "Action",
    "Documentary",
    "Animation",
    "Fantasy",
    "Horror",
    "Thriller",
    "Western",
    "Biography",
    "Crime",
    "War",
    "Adventure",
];
const WORDS: [&str; 16] = [
    "Summer", "Winter", "Seaside", "Mountain", "Evening", "Harbour", "Garden", "Station",
    "Festival", "River", "Morning", "Island", "Forest", "Bridge", "Market", "Library",
];

/// What seeding wrote.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SeedReport {
    pub(crate) resources: u64,
    pub(crate) with_video: u64,
    pub(crate) elapsed_ms: u64,
}

/// Writes `count` synthetic resources numbered from `from` (replacing earlier seeded
/// ones of the same codes), up to `jobs` batches at once where the database can (see
/// [`Store::bulk_import`]), calling `progress(written, count)` as batches are handed to
/// the writer and when it is done.
pub(crate) async fn seed(
    store: &Store,
    from: u64,
    count: u64,
    jobs: usize,
    mut progress: impl FnMut(u64, u64),
) -> Result<SeedReport, LibraryError> {
    let started = std::time::Instant::now();
    let now = crate::store::now_ms();
    let mut with_video = 0;
    let last = from.saturating_add(count).saturating_sub(1);
    let mut n = from;
    let mut import = store.bulk_import(jobs).await?;
    while count > 0 && n <= last {
        let end = n.saturating_add(BATCH as u64 - 1).min(last);
        let rows: Vec<(ResourceWrite, ImportedState)> =
            (n..=end).map(|n| (synthetic(n), state(n, now))).collect();
        with_video += rows.iter().filter(|(_, s)| s.video.is_some()).count() as u64;
        let written = import.write(rows).await?;
        progress(written, count);
        match end.checked_add(1) {
            Some(next) => n = next,
            None => break,
        }
    }
    let written = import.finish().await?;
    progress(written, count);
    Ok(SeedReport {
        resources: count,
        with_video,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// The code of seeded resource `n` (1-based): `SEED-000001` to `SEED-999999`, then, since
/// a code's number has at most six digits, `SEED1-000000` on (the millions in the prefix).
pub(crate) fn seed_code(n: u64) -> String {
    match n / 1_000_000 {
        0 => format!("SEED-{n:06}"),
        millions => format!("SEED{millions}-{:06}", n % 1_000_000),
    }
}

/// The write `kura seed` makes for resource `n` (for tests that change one).
#[cfg(test)]
pub(crate) fn seed_write_for_tests(n: u64) -> ResourceWrite {
    synthetic(n)
}

fn word(n: u64) -> &'static str {
    WORDS[(n % WORDS.len() as u64) as usize]
}

fn synthetic(n: u64) -> ResourceWrite {
    // A cheap mix so neighbouring rows differ in every field.
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
    let people = (0..1 + h % 4)
        .map(|i| PersonWrite {
            name: format!("Person {:04}", (h / 7 + i * 131) % PEOPLE + 1),
            ..PersonWrite::default()
        })
        .collect();
    let tags = (0..2 + h % 3)
        .map(|i| TAGS[((h / 11 + i * 5) % TAGS.len() as u64) as usize].to_owned())
        .collect();
    ResourceWrite {
        code: seed_code(n),
        title_source: Some(format!("{} {} {}", word(h), word(h / 16), n)),
        title_original: Some(format!("{}の{} {n}", word(h / 256), word(h / 4096))),
        source_plugin: Some(
            if n.is_multiple_of(3) {
                "fixture-beta"
            } else {
                "fixture-alpha"
            }
            .to_owned(),
        ),
        source_version: Some("0.0.0-seed".to_owned()),
        page_url: Some(format!("http://seed.invalid/v/{}", seed_code(n))),
        stream_url: Some(format!(
            "http://seed.invalid/stream/{}/master.m3u8",
            seed_code(n)
        )),
        stream_headers: BTreeMap::new(),
        release_date: (!n.is_multiple_of(17)).then(|| {
            format!(
                "{}-{:02}-{:02}",
                2000 + h % 25,
                1 + (h / 25) % 12,
                1 + (h / 300) % 28
            )
        }),
        duration_seconds: Some(1800 + (h % 5400) as i64),
        studio: Some(format!("{} Studio", word(h / 65536))),
        label: Some(format!("{} Label", word(h / 1024))),
        series: (!n.is_multiple_of(4)).then(|| format!("{} Series", word(h / 8))),
        description: Some(format!("Synthetic resource number {n}.")),
        field_sources: BTreeMap::from([("title".to_owned(), "seed@0.0.0".to_owned())]),
        people,
        tags,
    }
}

/// Resource `n`'s video (every fifth, saved up to 1000 minutes before `now`) and
/// translation.
fn state(n: u64, now: i64) -> ImportedState {
    let downloaded = n.is_multiple_of(5);
    let status = match n % 7 {
        0 => TranslationStatus::Pending,
        1 => TranslationStatus::Failed,
        2 => TranslationStatus::Skipped,
        _ => TranslationStatus::Completed,
    };
    ImportedState {
        video: downloaded.then(|| ImportedVideo {
            file: format!("resource/video/{}.mp4", seed_code(n)),
            size: 100_000_000 + n as i64,
            saved_at: now - (n as i64 % 1000) * 60_000,
        }),
        translation_status: status,
        title_translated: (status == TranslationStatus::Completed)
            .then(|| format!("{} {} (translated) {n}", word(n), word(n / 3))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_codes_are_canonical_and_rows_deterministic() {
        for n in [1, 99, 100_000, 999_999, 1_000_000, 1_234_567, 999_999_999] {
            let code = seed_code(n);
            assert_eq!(
                crate::code::normalize(&code).map(|c| c.as_str().to_owned()),
                Ok(code)
            );
        }
        assert_eq!(seed_code(1_234_567), "SEED1-234567");
        assert_eq!(synthetic(42), synthetic(42));
        assert_ne!(synthetic(42).title_source, synthetic(43).title_source);
    }
}
