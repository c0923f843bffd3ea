//! UTC times for file names (`20250101T013000Z`, sortable, parsed back for retention)
//! and for JSON (`2025-01-01T01:30:00.000Z`), from unix milliseconds.

/// `YYYYMMDDTHHMMSSZ`.
pub(crate) fn compact(ms: i64) -> String {
    let (year, month, day, hour, minute, second, _) = civil(ms);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
}

/// RFC 3339 with milliseconds: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn iso(ms: i64) -> String {
    let (year, month, day, hour, minute, second, millis) = civil(ms);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
}

/// The unix milliseconds of the first `YYYYMMDDTHHMMSSZ` in `name`, if any.
pub(crate) fn find_compact(name: &str) -> Option<i64> {
    (0..name.len().saturating_sub(15))
        .find_map(|start| name.get(start..start + 16).and_then(parse_compact))
}

/// Parses exactly `YYYYMMDDTHHMMSSZ`.
pub(crate) fn parse_compact(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000)
}

/// (year, month, day, hour, minute, second, millisecond) in UTC.
fn civil(ms: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    (
        year,
        month,
        day,
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_back() {
        let check = |ms: i64, compact_text: &str, iso_text: &str| {
            assert_eq!(compact(ms), compact_text);
            assert_eq!(iso(ms), iso_text);
            assert_eq!(parse_compact(compact_text), Some(ms - ms % 1000));
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
    }

    #[test]
    fn refuses_what_is_not_a_stamp() {
        for text in [
            "",
            "20250101T013000",
            "20251301T013000Z",
            "20250101T243000Z",
            "2025010xT013000Z",
            "20250101-013000Z",
            "+0250101T013000Z",
        ] {
            assert_eq!(parse_compact(text), None, "{text}");
        }
    }

    #[test]
    fn finds_the_stamp_inside_a_name() {
        assert_eq!(
            find_compact("kura-20250101T013000Z.db"),
            parse_compact("20250101T013000Z")
        );
        assert_eq!(
            find_compact("check-resources-20250101T013000Z-2.json"),
            parse_compact("20250101T013000Z")
        );
        assert_eq!(find_compact("kura.db"), None);
        assert_eq!(find_compact("notes-2025.txt"), None);
    }
}
