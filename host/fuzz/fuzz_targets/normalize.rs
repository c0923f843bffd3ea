//! N-B6: `code::normalize` never panics, and every code it returns is canonical.
#![no_main]

use kura_fuzz::code::{MAX_CODE_LEN, normalize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match normalize(input) {
        Ok(code) => {
            let text = code.as_str();
            assert_eq!(
                normalize(text),
                Ok(code.clone()),
                "not idempotent: {input:?} -> {text:?}"
            );
            assert!(
                text.len() <= MAX_CODE_LEN,
                "too long: {input:?} -> {text:?} ({} bytes)",
                text.len()
            );
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
                "byte outside [A-Z0-9-]: {input:?} -> {text:?}"
            );
            assert_eq!(
                text.bytes().filter(|&b| b == b'-').count(),
                1,
                "not exactly one '-': {input:?} -> {text:?}"
            );
            assert!(
                !text.contains("..") && !text.contains('/') && !text.contains('\\'),
                "path character: {input:?} -> {text:?}"
            );
        }
        Err(error) => {
            assert!(
                !error.to_string().is_empty(),
                "empty error message for {input:?}: {error:?}"
            );
        }
    }
});
