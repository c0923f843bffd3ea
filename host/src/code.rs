//! Catalog codes: the one normalisation every code goes through before it names a
//! database row, a file or a URL (N-B6).
//!
//! The canonical form is `PREFIX-NUMBER`:
//! - `PREFIX` is 1 to 10 ASCII letters, upper case, optionally followed by 1 to 3 digits
//!   (`T28`, `FC2`); prefix digits need an explicit separator before the number, since
//!   `T28123` cannot be split otherwise (it reads as `T-28123`);
//! - `NUMBER` is 2 to 6 digits as given (leading zeros kept: `ABC-0123` stays), and a
//!   2-digit number is padded to 3 (`ABC_45` becomes `ABC-045`).
//!
//! The input is trimmed (any Unicode white space, including the full-width space), folded
//! (full-width letters and digits to ASCII, lower case to upper case), and the separator
//! between prefix and number may be missing or any run of `-`, `_`, spaces and the dash
//! look-alikes (`－ ‐ ‑ ‒ – — ― − ＿`). Nothing else is accepted: a code never carries a
//! path character (`/ \ : NUL ..` and their full-width forms), a control character, or
//! anything beyond the two parts (`ABC-123-C` is refused, not truncated).
//!
//! The result is idempotent (`normalize(c.as_str()) == Ok(c)`) and at most 20 bytes of
//! `[A-Z0-9-]`, so it is safe as a file name.
//!
//! This file depends only on `serde` and `thiserror`: the fuzz crate (`host/fuzz`)
//! includes it by `#[path]` so that it does not build the whole host.

#![allow(
    unreachable_pub,
    reason = "the fuzz crate's public `code` module; in the host, `code` is private"
)]

use std::fmt;
use std::str::FromStr;

/// Longest accepted input, in characters after trimming.
pub const MAX_INPUT_CHARS: usize = 32;
/// Longest canonical code, in bytes: 10 letters, 3 digits, `-`, 6 digits.
pub const MAX_CODE_LEN: usize = MAX_PREFIX_LETTERS + MAX_PREFIX_DIGITS + 1 + MAX_NUMBER_DIGITS;

const MAX_PREFIX_LETTERS: usize = 10;
const MAX_PREFIX_DIGITS: usize = 3;
const MIN_NUMBER_DIGITS: usize = 2;
const MAX_NUMBER_DIGITS: usize = 6;
const PADDED_NUMBER_DIGITS: usize = 3;

/// Why a text is not a catalog code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("code is empty")]
    Empty,
    #[error("code is too long: {chars} characters, at most {MAX_INPUT_CHARS}")]
    TooLong { chars: usize },
    #[error("code {input:?} contains the path character {found:?}")]
    PathCharacter { input: String, found: String },
    #[error("code {input:?} contains the control character U+{codepoint:04X}")]
    ControlCharacter { input: String, codepoint: u32 },
    #[error("code {input:?} is not of the form PREFIX-NUMBER, such as ABC-123")]
    Unrecognised { input: String },
}

/// A catalog code in canonical form (`ABC-123`); only [`normalize`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(String);

/// Normalises a code as typed by a user, a plugin or an old database row.
pub fn normalize(input: &str) -> Result<Code, CodeError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(CodeError::Empty);
    }
    let chars = trimmed.chars().count();
    if chars > MAX_INPUT_CHARS {
        return Err(CodeError::TooLong { chars });
    }
    let symbols = fold_all(trimmed)?;
    parse(&symbols).ok_or_else(|| CodeError::Unrecognised {
        input: trimmed.to_owned(),
    })
}

impl Code {
    /// The canonical text, such as `ABC-123`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Code {
    type Err = CodeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        normalize(input)
    }
}

impl TryFrom<&str> for Code {
    type Error = CodeError;

    fn try_from(input: &str) -> Result<Self, Self::Error> {
        normalize(input)
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserialising normalises, so a `Code` field in a request body is always canonical.
impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        normalize(&text).map_err(serde::de::Error::custom)
    }
}

/// One input character after folding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symbol {
    Letter(u8),
    Digit(u8),
    Separator,
    Dot,
    Other,
}

/// Folds every character, failing on the first path or control character.
fn fold_all(trimmed: &str) -> Result<Vec<Symbol>, CodeError> {
    let mut symbols = Vec::with_capacity(MAX_INPUT_CHARS);
    for c in trimmed.chars() {
        let symbol = match fold(c) {
            Folded::Symbol(symbol) => symbol,
            Folded::Path => {
                return Err(CodeError::PathCharacter {
                    input: trimmed.to_owned(),
                    found: c.to_string(),
                });
            }
            Folded::Control => {
                return Err(CodeError::ControlCharacter {
                    input: trimmed.to_owned(),
                    codepoint: u32::from(c),
                });
            }
        };
        if symbol == Symbol::Dot && symbols.last() == Some(&Symbol::Dot) {
            return Err(CodeError::PathCharacter {
                input: trimmed.to_owned(),
                found: "..".to_owned(),
            });
        }
        symbols.push(symbol);
    }
    Ok(symbols)
}

enum Folded {
    Symbol(Symbol),
    Path,
    Control,
}

/// The NFKC-like folding this module needs, without a Unicode table crate: full-width
/// ASCII (U+FF01..U+FF5E) and the dash, dot and slash look-alikes that NFKC maps to ASCII.
fn fold(c: char) -> Folded {
    let symbol = match c {
        'A'..='Z' => Symbol::Letter(c as u8),
        'a'..='z' => Symbol::Letter(c.to_ascii_uppercase() as u8),
        '0'..='9' => Symbol::Digit(c as u8),
        'Ａ'..='Ｚ' => Symbol::Letter(b'A' + offset(c, 'Ａ')),
        'ａ'..='ｚ' => Symbol::Letter(b'A' + offset(c, 'ａ')),
        '０'..='９' => Symbol::Digit(b'0' + offset(c, '０')),
        '-'
        | '_'
        | '－'
        | '＿'
        | '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{FE58}'
        | '\u{FE63}' => Symbol::Separator,
        '.' | '．' | '\u{2024}' | '\u{FE52}' => Symbol::Dot,
        // Path separators and their look-alikes; U+2025 and U+2026 are NFKC `..`, `...`.
        '/' | '\\' | ':' | '\0' | '／' | '＼' | '：' | '\u{2215}' | '\u{2044}' | '\u{29F5}'
        | '\u{FE68}' | '\u{FE55}' | '\u{2025}' | '\u{2026}' => return Folded::Path,
        c if c.is_control() => return Folded::Control,
        c if c.is_whitespace() => Symbol::Separator,
        _ => Symbol::Other,
    };
    Folded::Symbol(symbol)
}

/// Distance of `c` from `base` within one 26- or 10-character block.
fn offset(c: char, base: char) -> u8 {
    // Callers pass ranges of at most 26 characters, so this always fits.
    u8::try_from(u32::from(c) - u32::from(base)).unwrap_or(0)
}

/// `letters{1,10} (digits{1,3} sep+ | sep*) digits{2,6}`, whole input.
fn parse(symbols: &[Symbol]) -> Option<Code> {
    let (letters, rest) = take_while(symbols, |s| matches!(s, Symbol::Letter(_)));
    let (first_digits, rest) = take_while(rest, |s| matches!(s, Symbol::Digit(_)));
    let (separators, rest) = take_while(rest, |s| *s == Symbol::Separator);
    let (second_digits, rest) = take_while(rest, |s| matches!(s, Symbol::Digit(_)));
    // Without a separator the digit runs cannot be split: they are all the number.
    let (prefix_digits, number) = if separators.is_empty() {
        (&[][..], first_digits)
    } else {
        (first_digits, second_digits)
    };
    let valid = rest.is_empty()
        && (1..=MAX_PREFIX_LETTERS).contains(&letters.len())
        && prefix_digits.len() <= MAX_PREFIX_DIGITS
        && (MIN_NUMBER_DIGITS..=MAX_NUMBER_DIGITS).contains(&number.len());
    if !valid {
        return None;
    }
    let mut text = String::with_capacity(MAX_CODE_LEN);
    text.extend(letters.iter().chain(prefix_digits).map(ascii));
    text.push('-');
    for _ in number.len()..PADDED_NUMBER_DIGITS {
        text.push('0');
    }
    text.extend(number.iter().map(ascii));
    Some(Code(text))
}

fn take_while(symbols: &[Symbol], keep: impl Fn(&Symbol) -> bool) -> (&[Symbol], &[Symbol]) {
    let end = symbols
        .iter()
        .position(|s| !keep(s))
        .unwrap_or(symbols.len());
    symbols.split_at(end)
}

/// The ASCII character of a letter or digit (`parse` passes nothing else).
fn ascii(symbol: &Symbol) -> char {
    match symbol {
        Symbol::Letter(b) | Symbol::Digit(b) => char::from(*b),
        Symbol::Separator | Symbol::Dot | Symbol::Other => '?',
    }
}

#[cfg(test)]
mod tests;
