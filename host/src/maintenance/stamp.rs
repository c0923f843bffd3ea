//! UTC times for file names (`20250101T013000Z`, sortable, parsed back for retention)
//! and for JSON (`2025-01-01T01:30:00.000Z`), from unix milliseconds, through `chrono`.
//! A name whose digits make no real time (February 31, month 13, hour 25) holds no
//! stamp.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// The file-name form.
const COMPACT: &str = "%Y%m%dT%H%M%SZ";
/// RFC 3339 with milliseconds.
const ISO: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// `YYYYMMDDTHHMMSSZ`.
pub(crate) fn compact(ms: i64) -> String {
    utc(ms).format(COMPACT).to_string()
}

/// RFC 3339 with milliseconds: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn iso(ms: i64) -> String {
    utc(ms).format(ISO).to_string()
}

/// The time of the first `YYYYMMDDTHHMMSSZ` in `name` that is a real UTC time, if any.
pub(crate) fn find_compact(name: &str) -> Option<DateTime<Utc>> {
    (0..name.len().saturating_sub(15))
        .find_map(|start| name.get(start..start + 16).and_then(parse_compact))
}

/// Parses exactly `YYYYMMDDTHHMMSSZ` (four-digit year, every field two digits) naming a
/// real time: no February 31, month 13, hour 24 or leap second.
pub(crate) fn parse_compact(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(4..6)?, number(6..8)?)?;
    let time = NaiveTime::from_hms_opt(number(9..11)?, number(11..13)?, number(13..15)?)?;
    Some(date.and_time(time).and_utc())
}

/// The UTC time of `ms`; a value past what `chrono` represents (hundreds of thousands of
/// years away, never a clock reading) is shown as the epoch.
fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<i64> {
        parse_compact(text).map(|time| time.timestamp_millis())
    }

    #[test]
    fn formats_and_parses_back() {
        let check = |ms: i64, compact_text: &str, iso_text: &str| {
            assert_eq!(compact(ms), compact_text);
            assert_eq!(iso(ms), iso_text);
            assert_eq!(at(compact_text), Some(ms - ms % 1000));
        };
        check(0, "19700101T000000Z", "1970-01-01T00:00:00.000Z");
        check(
            951_782_400_123,
            "20000229T000000Z",
            "2000-02-29T00:00:00.123Z",
        );
        check(
            1_735_695_000_999,
            "20250101T013000Z",
            "2025-01-01T01:30:00.999Z",
        );
        check(
            4_102_444_799_000,
            "20991231T235959Z",
            "2099-12-31T23:59:59.000Z",
        );
        check(
            1_709_164_800_000,
            "20240229T000000Z",
            "2024-02-29T00:00:00.000Z",
        );
    }

    #[test]
    fn refuses_what_is_not_a_stamp() {
        for text in [
            "",
            "20250101T013000",
            "20251301T013000Z",
            "20250001T013000Z",
            "20250100T013000Z",
            "20250231T013000Z",
            "20250229T013000Z",
            "21000229T000000Z",
            "20250431T013000Z",
            "20250101T243000Z",
            "20250101T253000Z",
            "20250101T016000Z",
            "20250101T013060Z",
            "2025010xT013000Z",
            "20250101-013000Z",
            "+0250101T013000Z",
            "-0250101T013000Z",
            "2025 101T013000Z",
        ] {
            assert_eq!(parse_compact(text), None, "{text}");
        }
    }

    #[test]
    fn finds_the_stamp_inside_a_name() {
        for (name, expected) in [
            ("kura-20250101T013000Z.db", Some("20250101T013000Z")),
            (
                "check-resources-20250101T013000Z-2.json",
                Some("20250101T013000Z"),
            ),
            (
                "kura-20250101T013000Z-pre-upgrade-v1.db",
                Some("20250101T013000Z"),
            ),
            ("kura.db", None),
            ("notes-2025.txt", None),
            ("kura-20250231T013000Z.db", None),
            ("codes-20251301T000000Z.json", None),
            ("kura-20250101T250000Z.db", None),
        ] {
            assert_eq!(
                find_compact(name),
                expected.and_then(parse_compact),
                "{name}"
            );
        }
    }
}
