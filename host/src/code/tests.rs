//! Table tests for [`normalize`] and a hand-rolled property test (idempotence, bounded
//! output, no panic); `host/fuzz` explores the same properties coverage-guided.

use super::*;

fn check(input: &str, expected: Result<&str, CodeError>) {
    let actual = normalize(input);
    assert_eq!(
        actual.as_ref().map(Code::as_str),
        expected.as_ref().copied(),
        "{input:?}"
    );
    if let Ok(code) = actual {
        assert_eq!(normalize(code.as_str()), Ok(code.clone()), "{input:?}");
    }
}

fn unrecognised(input: &str) -> Result<&'static str, CodeError> {
    Err(CodeError::Unrecognised {
        input: input.trim().to_owned(),
    })
}

fn path(input: &str, found: &str) -> Result<&'static str, CodeError> {
    Err(CodeError::PathCharacter {
        input: input.trim().to_owned(),
        found: found.to_owned(),
    })
}

fn control(input: &str, codepoint: u32) -> Result<&'static str, CodeError> {
    Err(CodeError::ControlCharacter {
        input: input.trim().to_owned(),
        codepoint,
    })
}

#[test]
fn accepted_forms() {
    for (input, expected) in [
        ("ABC-123", "ABC-123"),
        ("DEMO-001", "DEMO-001"),
        ("abc-123", "ABC-123"),
        ("abc123", "ABC-123"),
        ("AbC_123", "ABC-123"),
        ("ABC 123", "ABC-123"),
        ("ABC - 123", "ABC-123"),
        ("ABC--123", "ABC-123"),
        ("  ABC-123\t\n", "ABC-123"),
        ("\u{3000}ABC-123\u{3000}", "ABC-123"),
        ("ＡＢＣ－１２３", "ABC-123"),
        ("ａｂｃ＿１２３", "ABC-123"),
        ("ABC\u{3000}123", "ABC-123"),
        ("ABC\u{2010}123", "ABC-123"),
        ("ABC–123", "ABC-123"),
        ("ABC—123", "ABC-123"),
        ("ABC\u{2212}123", "ABC-123"),
        ("ABC\u{00A0}123", "ABC-123"),
        ("ABC_45", "ABC-045"),
        ("abc45", "ABC-045"),
        ("ABC-0123", "ABC-0123"),
        ("ABC-000001", "ABC-000001"),
        ("ABC-123456", "ABC-123456"),
        ("A-12", "A-012"),
        ("ABCDEFGHIJ-123", "ABCDEFGHIJ-123"),
        ("T28-123", "T28-123"),
        ("t28_045", "T28-045"),
        ("FC2-123456", "FC2-123456"),
        ("ABC123-456", "ABC123-456"),
        ("T28123", "T-28123"),
    ] {
        check(input, Ok(expected));
    }
}

#[test]
fn refused_forms() {
    let too_long = "A".repeat(33);
    let long_spaces = format!("  {}  ", "A".repeat(32));
    for input in [
        "ABC",
        "123",
        "ABC-",
        "-123",
        "-ABC-123",
        "ABC-123-",
        "ABC-1",
        "ABC-1234567",
        "ABCDEFGHIJK-123",
        "T2828-123",
        "ABC-123-C",
        "ABC-123C",
        "ABC123-",
        "A B C-123",
        "ABC.123",
        "%2e%2e%2f",
        "ABC%2F123",
        "ÀBC-123",
        "ABÇ-123",
        "АВС-123",
        "ı-123",
        "ABC-١٢٣",
        "ABC\u{200B}-123",
        "\u{FEFF}ABC-123",
        "ABC-123\u{202E}",
        "ABC\u{FFFD}123",
        "ABC-😀123",
        "ABC~123",
        "ABC+123",
    ] {
        check(input, unrecognised(input));
    }
    check("", Err(CodeError::Empty));
    check("   ", Err(CodeError::Empty));
    check("\u{3000}\t\n", Err(CodeError::Empty));
    check(&too_long, Err(CodeError::TooLong { chars: 33 }));
    check(&"Ａ".repeat(40), Err(CodeError::TooLong { chars: 40 }));
    check(&long_spaces, unrecognised(&long_spaces));
}

#[test]
fn path_and_control_characters() {
    for (input, found) in [
        ("../ABC-123", ".."),
        ("ABC/123", "/"),
        ("ABC\\123", "\\"),
        ("C:ABC-123", ":"),
        ("ABC\0-123", "\0"),
        ("ABC-123\0", "\0"),
        ("ABC／123", "／"),
        ("ABC＼123", "＼"),
        ("ABC：123", "："),
        ("ABC\u{2215}123", "\u{2215}"),
        ("ABC\u{2025}123", "\u{2025}"),
        ("..", ".."),
        ("ABC..123", ".."),
        ("．．ABC-123", ".."),
        ("ABC.．123", ".."),
        ("ABC\u{2024}\u{2024}123", ".."),
    ] {
        check(input, path(input, found));
    }
    for (input, codepoint) in [
        ("ABC\u{7}123", 0x07),
        ("ABC\t123", 0x09),
        ("ABC-12\r3", 0x0D),
        ("\u{1B}[31mABC-123", 0x1B),
        ("ABC\u{7F}-123", 0x7F),
        ("ABC\u{85}123", 0x85),
    ] {
        check(input, control(input, codepoint));
    }
}

#[test]
fn accessors_and_serde() {
    let code = normalize("t28_45").expect("valid");
    assert_eq!(code.to_string(), "T28-045");
    assert_eq!(
        serde_json::to_string(&code).expect("serialises"),
        "\"T28-045\""
    );
    let parsed: Code = serde_json::from_str("\"ｔ２８－０４５\"").expect("normalises");
    assert_eq!(parsed, code);
    assert!(serde_json::from_str::<Code>("\"../etc\"").is_err());
    assert_eq!("abc123".parse::<Code>(), normalize("ABC-123"));
}

/// SplitMix64: a tiny deterministic generator, so failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const PIECES: &[&str] = &[
    "a",
    "Z",
    "q",
    "0",
    "9",
    "5",
    "-",
    "_",
    " ",
    "\u{3000}",
    "Ａ",
    "ｚ",
    "０",
    "９",
    "－",
    "＿",
    "—",
    "–",
    "‐",
    ".",
    "..",
    "．",
    "/",
    "\\",
    ":",
    "\0",
    "\t",
    "\n",
    "\u{7}",
    "%",
    "é",
    "ß",
    "ı",
    "İ",
    "ﬀ",
    "\u{FEFF}",
    "\u{200B}",
    "\u{202E}",
    "ー",
    "／",
    "ABC",
    "DEMO",
    "123",
    "0001",
    "T28",
    "FC2",
    "PPV",
    "😀",
    "\u{10FFFF}",
    "\u{FFFD}",
    "Ⅻ",
    "①",
    "¹",
];

#[test]
fn arbitrary_inputs_are_idempotent_and_bounded() {
    let mut rng = Rng(0x6b75_7261);
    for _ in 0..50_000 {
        let n_pieces = 1 + rng.below(12);
        let input: String = (0..n_pieces).map(|_| rng.pick(PIECES)).collect();
        let Ok(code) = normalize(&input) else {
            continue;
        };
        assert!(code.as_str().len() <= MAX_CODE_LEN, "{input:?} -> {code}");
        assert!(
            code.as_str()
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
            "{input:?} -> {code}"
        );
        assert_eq!(normalize(code.as_str()), Ok(code.clone()), "{input:?}");
    }
}

#[test]
fn generated_valid_codes_normalise_to_their_canonical_form() {
    const SEPARATORS: &[&str] = &["-", "_", " ", "\u{3000}", "－", "＿", "—", "–", " - "];
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let n_letters = 1 + rng.below(MAX_PREFIX_LETTERS);
        let n_prefix_digits = rng.below(MAX_PREFIX_DIGITS + 1);
        let n_number = MIN_NUMBER_DIGITS + rng.below(MAX_NUMBER_DIGITS - 1);
        let letters: String = (0..n_letters)
            .map(|_| char::from(b'A' + rng.below(26) as u8))
            .collect();
        let prefix_digits: String = (0..n_prefix_digits)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        let number: String = (0..n_number)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        let separator = if n_prefix_digits == 0 && rng.below(3) == 0 {
            ""
        } else {
            rng.pick(SEPARATORS)
        };
        let typed: String = format!("{letters}{prefix_digits}{separator}{number}")
            .chars()
            .map(|c| disguise(c, &mut rng))
            .collect();
        let expected = format!("{letters}{prefix_digits}-{number:0>3}");
        check(&typed, Ok(expected.as_str()));
    }
}

/// Lower-cases or widens an ASCII letter or digit at random, as users paste them.
fn disguise(c: char, rng: &mut Rng) -> char {
    if !c.is_ascii_alphanumeric() {
        return c;
    }
    let widened = char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c);
    match rng.below(4) {
        0 => c.to_ascii_lowercase(),
        1 => widened,
        2 => widened.to_lowercase().next().unwrap_or(widened),
        _ => c,
    }
}
