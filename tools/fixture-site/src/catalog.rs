//! The catalog: which codes exist, on which site, with which stream and metadata. Pure functions, the tests' truth.

mod streams;
mod words;

pub use streams::{
    aes_iv, aes_key, decrypt_segment, full_stream, full_stream_with_segments, init_segment,
    segment_bytes, served_segment,
};

/// The first catalog number (`DEMO-001`).
pub const FIRST: u32 = 1;
/// The last catalog number (`DEMO-120`).
pub const LAST: u32 = 120;
/// Every segment's `#EXTINF` duration in seconds (also `#EXT-X-TARGETDURATION`).
pub const SEGMENT_SECONDS: u32 = 4;
/// The number of people in the pool (ids `1..=PEOPLE`).
pub const PEOPLE: u32 = words::PEOPLE.len() as u32;

/// One source site of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Site {
    /// The HTML site with a player script and a `Referer` check (weight 100).
    Alpha,
    /// The JSON-search site with numeric ids and a session cookie (weight 50).
    Beta,
}

impl Site {
    /// The value of the `site=` query parameter and the URL prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Site::Alpha => "alpha",
            Site::Beta => "beta",
        }
    }

    /// Parses `alpha` or `beta`.
    pub fn parse(text: &str) -> Option<Site> {
        match text {
            "alpha" => Some(Site::Alpha),
            "beta" => Some(Site::Beta),
            _ => None,
        }
    }
}

/// How a code's stream is packaged (the same on both sites).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Plain MPEG-TS segments.
    Ts,
    /// MPEG-TS segments encrypted with AES-128-CBC (`#EXT-X-KEY:METHOD=AES-128`).
    TsAes128,
    /// Fragmented MP4: an `init.mp4` (`#EXT-X-MAP`) and `.m4s` media segments.
    Fmp4,
}

impl StreamKind {
    /// The media segment file extension, without the dot.
    pub fn segment_extension(self) -> &'static str {
        match self {
            StreamKind::Ts | StreamKind::TsAes128 => "ts",
            StreamKind::Fmp4 => "m4s",
        }
    }
}

/// One rendition of the master playlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// `BANDWIDTH` in bits per second.
    pub bandwidth: u32,
    /// Width of `RESOLUTION`.
    pub width: u32,
    /// Height of `RESOLUTION`.
    pub height: u32,
}

/// The three variants of every master playlist, index = the `{variant}` path segment.
pub const VARIANTS: [Variant; 3] = [
    Variant {
        bandwidth: 400_000,
        width: 640,
        height: 360,
    },
    Variant {
        bandwidth: 1_200_000,
        width: 1280,
        height: 720,
    },
    Variant {
        bandwidth: 2_500_000,
        width: 1920,
        height: 1080,
    },
];

/// A person as an item lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PersonRef {
    /// The person id (`/meta/person/{id}`), `1..=PEOPLE`.
    pub id: u32,
    /// The display name, possibly with an alias in full-width brackets: `Name（Alias）`.
    pub name: &'static str,
}

/// Every catalog number, `1..=120`.
pub fn all() -> std::ops::RangeInclusive<u32> {
    FIRST..=LAST
}

/// The code of number `n`: `DEMO-001`.
pub fn code(n: u32) -> String {
    format!("DEMO-{n:03}")
}

/// The number of a code (`DEMO-001`, case-insensitive, `DEMO001` too) inside the catalog range.
pub fn parse_code(text: &str) -> Option<u32> {
    let upper = text.trim().to_ascii_uppercase();
    let digits = upper.strip_prefix("DEMO")?;
    let digits = digits.strip_prefix('-').unwrap_or(digits);
    if digits.len() != 3 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    all().contains(&n).then_some(n)
}

/// Whether `n` is on neither site (`n % 30 == 0`) or outside the catalog.
fn excluded(n: u32) -> bool {
    !all().contains(&n) || n.is_multiple_of(30)
}

/// Whether site alpha knows `n`: `n % 3 != 0`.
pub fn on_alpha(n: u32) -> bool {
    !excluded(n) && !n.is_multiple_of(3)
}

/// Whether site beta knows `n`: `n % 2 == 1 || n % 3 == 0`.
pub fn on_beta(n: u32) -> bool {
    !excluded(n) && (n % 2 == 1 || n.is_multiple_of(3))
}

/// Whether `n` is on `site`.
pub fn on_site(site: Site, n: u32) -> bool {
    match site {
        Site::Alpha => on_alpha(n),
        Site::Beta => on_beta(n),
    }
}

/// Whether at least one site knows `n` (so it has a stream).
pub fn is_known(n: u32) -> bool {
    on_alpha(n) || on_beta(n)
}

/// Whether the metadata site has a page for `n`: known and `n % 25 != 0`.
pub fn has_metadata(n: u32) -> bool {
    is_known(n) && !n.is_multiple_of(25)
}

/// How `n`'s stream is packaged.
pub fn stream_kind(n: u32) -> StreamKind {
    match n % 10 {
        7 => StreamKind::TsAes128,
        1 if n >= 11 => StreamKind::Fmp4,
        _ => StreamKind::Ts,
    }
}

/// Whether `n`'s media playlists carry ad breaks (`DEMO-108`, `DEMO-118`): one after the
/// first segment and one before the last, each a `#EXT-X-CUE-OUT` / `#EXT-X-CUE-IN` pair
/// around one `ad{k}.ts` segment between discontinuities. The content (`full`) has none.
pub fn has_ad_breaks(n: u32) -> bool {
    n > 100 && n % 10 == 8 && stream_kind(n) == StreamKind::Ts
}

/// Whether `n`'s stream is broken (`DEMO-004`, `DEMO-054`, `DEMO-104`): its MPEG-TS segments carry the SPS but lost
/// the PPS, as a faulty packager leaves a stream, so no picture decodes and `ffmpeg` cannot remux it; probes still
/// see an H.264 stream of the variant's size.
pub fn has_broken_video(n: u32) -> bool {
    n % 50 == 4 && stream_kind(n) == StreamKind::Ts
}

/// Segments per variant: `6 + n % 5`.
pub fn segment_count(n: u32) -> usize {
    6 + (n % 5) as usize
}

/// The Japanese title, `{modifier}の{place}`; unique within the catalog.
pub fn title_ja(n: u32) -> String {
    let (modifier, place) = title_words(n);
    format!("{}の{}", modifier.0, place.0)
}

/// The clean English translation of [`title_ja`], e.g. `Summer Seaside`.
pub fn title_en(n: u32) -> String {
    let (modifier, place) = title_words(n);
    format!("{} {}", modifier.1, place.1)
}

/// The simplified Chinese translation of [`title_ja`], e.g. `夏天的海边`: what the LLM stand-in
/// answers when the prompt asks for Chinese.
pub fn title_zh(n: u32) -> String {
    let (modifier, place) = title_indices(n);
    format!(
        "{}的{}",
        words::MODIFIERS_ZH[modifier],
        words::PLACES_ZH[place]
    )
}

/// The (modifier, place) pair of title `n`.
fn title_words(n: u32) -> ((&'static str, &'static str), (&'static str, &'static str)) {
    let (modifier, place) = title_indices(n);
    (words::MODIFIERS[modifier], words::PLACES[place])
}

/// A bijection from `1..=120` onto (modifier, place) indices.
fn title_indices(n: u32) -> (usize, usize) {
    let index = n.saturating_sub(1) as usize % (words::MODIFIERS.len() * words::PLACES.len());
    let modifier = index % words::MODIFIERS.len();
    let place = (index / words::MODIFIERS.len() + modifier) % words::PLACES.len();
    (modifier, place)
}

/// Every (Japanese, English) word the catalog's titles and the LLM stand-in know.
pub fn dictionary() -> impl Iterator<Item = (&'static str, &'static str)> {
    words::MODIFIERS
        .into_iter()
        .chain(words::PLACES)
        .chain(words::EXTRA_WORDS)
}

/// The cast of `n`: `1 + n % 4` distinct people.
pub fn people(n: u32) -> Vec<PersonRef> {
    (0..1 + n % 4)
        .filter_map(|k| person((n * 7 + k * 11) % PEOPLE + 1))
        .collect()
}

/// Person `id`, if in the pool.
pub fn person(id: u32) -> Option<PersonRef> {
    let index = usize::try_from(id.checked_sub(1)?).ok()?;
    words::PEOPLE.get(index).map(|name| PersonRef { id, name })
}

/// The whole people pool.
pub fn all_people() -> impl Iterator<Item = PersonRef> {
    (1..=PEOPLE).filter_map(person)
}

/// Whether person `id` has an avatar: `id % 4 != 3`.
pub fn person_has_avatar(id: u32) -> bool {
    person(id).is_some() && id % 4 != 3
}

/// The genres of `n`: `2 + n % 3` distinct tags.
pub fn tags(n: u32) -> Vec<&'static str> {
    let pool = words::TAGS.len() as u32;
    (0..2 + n % 3)
        .map(|k| words::TAGS[((n * 3 + k * 7) % pool) as usize])
        .collect()
}

/// The studio (`productionCompany`).
pub fn studio(n: u32) -> &'static str {
    words::STUDIOS[n as usize % words::STUDIOS.len()]
}

/// The label.
pub fn label(n: u32) -> &'static str {
    words::LABELS[n as usize % words::LABELS.len()]
}

/// The series, none when `n % 4 == 0`.
pub fn series(n: u32) -> Option<&'static str> {
    (!n.is_multiple_of(4)).then(|| words::SERIES[n as usize % words::SERIES.len()])
}

/// The release date as `YYYY-MM-DD`: 2019-01-01 plus `11 * n` days.
pub fn release_date(n: u32) -> String {
    let (year, month, day) = civil_from_days(DAYS_2019_01_01 + 11 * i64::from(n));
    format!("{year:04}-{month:02}-{day:02}")
}

/// The running time in minutes, `45..=144`.
pub fn duration_minutes(n: u32) -> u32 {
    45 + (n * 37) % 100
}

/// A one-line Japanese description; it quotes the title.
pub fn description(n: u32) -> String {
    format!(
        "「{}」— {}がお届けする、{}の小さな物語。",
        title_ja(n),
        studio(n),
        tags(n)[0]
    )
}

/// Whether the scraper cover answers 403 on its first request (then 200): `n % 13 == 0`.
pub fn cover_forbidden_once(n: u32) -> bool {
    n.is_multiple_of(13) && !cover_always_forbidden(n)
}

/// Whether the scraper cover always answers 403: `n % 26 == 0`.
pub fn cover_always_forbidden(n: u32) -> bool {
    n.is_multiple_of(26)
}

/// The numbers on `site` that match `query`: the code (with or without dash, any case) or a part of the Japanese title.
pub fn search(site: Site, query: &str) -> Vec<u32> {
    let query = query.trim();
    if query.is_empty() {
        return Vec::new();
    }
    let code_query = query.to_ascii_uppercase().replace('-', "");
    all()
        .filter(|&n| on_site(site, n))
        .filter(|&n| code(n).replace('-', "").contains(&code_query) || title_ja(n).contains(query))
        .collect()
}

/// People whose name (or alias) contains `query`, case-insensitively.
pub fn search_people(query: &str) -> Vec<PersonRef> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Vec::new();
    }
    all_people()
        .filter(|person| person.name.to_lowercase().contains(&query))
        .collect()
}

/// Days from 1970-01-01 to 2019-01-01.
const DAYS_2019_01_01: i64 = 17_897;

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests;
