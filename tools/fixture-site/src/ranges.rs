//! `Range: bytes=...` on the single-file form of a stream (`all.ts`, `all.mp4`): one range, `A-B`, `A-` or `-N`,
//! answered 206 with `Content-Range`; a range past the end 416; several ranges or a malformed header, the whole
//! body (200), as RFC 9110 lets a server do.

use axum::http::header::{ACCEPT_RANGES, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// `body` whole or the one range the request asks for.
pub(crate) fn answer(headers: &HeaderMap, content_type: &'static str, body: Bytes) -> Response {
    let total = body.len();
    let requested = headers
        .get(RANGE)
        .and_then(|value| value.to_str().ok())
        .map(|value| parse(value, total));
    match requested {
        None | Some(Requested::Whole) => (
            [(CONTENT_TYPE, content_type), (ACCEPT_RANGES, "bytes")],
            body,
        )
            .into_response(),
        Some(Requested::Unsatisfiable) => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(CONTENT_RANGE, format!("bytes */{total}"))],
        )
            .into_response(),
        Some(Requested::Part { first, last }) => (
            StatusCode::PARTIAL_CONTENT,
            [
                (CONTENT_TYPE, content_type.to_owned()),
                (ACCEPT_RANGES, "bytes".to_owned()),
                (CONTENT_RANGE, format!("bytes {first}-{last}/{total}")),
            ],
            body.slice(first..=last),
        )
            .into_response(),
    }
}

/// What a `Range` header asks of a body of `total` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Requested {
    /// Bytes `first..=last`, both within the body.
    Part { first: usize, last: usize },
    /// Malformed, or several ranges: the whole body.
    Whole,
    /// Starts past the end (or an empty body).
    Unsatisfiable,
}

fn parse(value: &str, total: usize) -> Requested {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Requested::Whole;
    };
    if spec.contains(',') {
        return Requested::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Requested::Whole;
    };
    let number = |text: &str| text.parse::<usize>().ok();
    let (first, last) = match (start, end) {
        ("", suffix) => match number(suffix) {
            Some(0) | None => return Requested::Whole,
            Some(length) => (total.saturating_sub(length), total.saturating_sub(1)),
        },
        (start, "") => match number(start) {
            Some(first) => (first, total.saturating_sub(1)),
            None => return Requested::Whole,
        },
        (start, end) => match (number(start), number(end)) {
            (Some(first), Some(last)) if first <= last => {
                (first, last.min(total.saturating_sub(1)))
            }
            _ => return Requested::Whole,
        },
    };
    if total == 0 || first >= total {
        Requested::Unsatisfiable
    } else {
        Requested::Part { first, last }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: &str, total: usize, expected: Requested) {
        assert_eq!(parse(value, total), expected, "{value} of {total}");
    }

    #[test]
    fn ranges() {
        check("bytes=0-9", 100, Requested::Part { first: 0, last: 9 });
        check(
            "bytes=90-200",
            100,
            Requested::Part {
                first: 90,
                last: 99,
            },
        );
        check(
            "bytes=95-",
            100,
            Requested::Part {
                first: 95,
                last: 99,
            },
        );
        check(
            "bytes=-10",
            100,
            Requested::Part {
                first: 90,
                last: 99,
            },
        );
        check("bytes=-500", 100, Requested::Part { first: 0, last: 99 });
        check("bytes=100-", 100, Requested::Unsatisfiable);
        check("bytes=0-0", 0, Requested::Unsatisfiable);
        check("bytes=5-2", 100, Requested::Whole);
        check("bytes=0-1,4-5", 100, Requested::Whole);
        check("items=0-1", 100, Requested::Whole);
        check("bytes=x-1", 100, Requested::Whole);
        check("bytes=-0", 100, Requested::Whole);
    }
}
