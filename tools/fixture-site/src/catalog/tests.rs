//! Table-driven checks of the catalog rules against the README.

use super::*;
use std::collections::HashSet;

/// (n, on alpha, on beta, has metadata, stream kind)
fn check(n: u32, alpha: bool, beta: bool, metadata: bool, kind: StreamKind) {
    assert_eq!(on_alpha(n), alpha, "{} on alpha", code(n));
    assert_eq!(on_beta(n), beta, "{} on beta", code(n));
    assert_eq!(has_metadata(n), metadata, "{} has metadata", code(n));
    assert_eq!(stream_kind(n), kind, "{} stream kind", code(n));
}

#[test]
fn catalog_rules() {
    use StreamKind::*;
    check(1, true, true, true, Ts);
    check(2, true, false, true, Ts);
    check(3, false, true, true, Ts);
    check(6, false, true, true, Ts);
    check(7, true, true, true, TsAes128);
    check(11, true, true, true, Fmp4);
    check(17, true, true, true, TsAes128);
    check(21, false, true, true, Fmp4);
    check(25, true, true, false, Ts);
    check(30, false, false, false, Ts);
    check(50, true, false, false, Ts);
    check(60, false, false, false, Ts);
    check(120, false, false, false, Ts);
    check(0, false, false, false, Ts);
    check(121, false, false, false, Fmp4);
}

#[test]
fn every_code_outside_multiples_of_30_is_somewhere() {
    for n in all() {
        assert_eq!(is_known(n), n % 30 != 0, "{}", code(n));
    }
}

#[test]
fn codes_parse_and_format() {
    for (text, expected) in [
        ("DEMO-001", Some(1)),
        ("demo-120", Some(120)),
        ("DEMO007", Some(7)),
        (" DEMO-030 ", Some(30)),
        ("DEMO-121", None),
        ("DEMO-000", None),
        ("DEMO-1", None),
        ("ABC-001", None),
        ("", None),
    ] {
        assert_eq!(parse_code(text), expected, "{text:?}");
    }
    assert_eq!(code(7), "DEMO-007");
}

#[test]
fn titles_are_unique_and_never_contain_each_other() {
    assert_eq!(title_ja(1), "夏の海辺");
    assert_eq!(title_en(1), "Summer Seaside");
    let titles: Vec<String> = all().map(title_ja).collect();
    assert_eq!(titles.iter().collect::<HashSet<_>>().len(), titles.len());
    assert_eq!(
        all().map(title_en).collect::<HashSet<_>>().len(),
        titles.len()
    );
    for a in &titles {
        for b in &titles {
            assert!(a == b || !a.contains(b.as_str()), "{a} contains {b}");
        }
    }
}

#[test]
fn people_pool_has_aliases_and_one_nested() {
    let names: Vec<&str> = all_people().map(|person| person.name).collect();
    assert_eq!(names.len(), 40);
    assert!(names.iter().filter(|name| name.contains('（')).count() >= 5);
    assert_eq!(
        names
            .iter()
            .filter(|name| name.matches('（').count() == 2)
            .count(),
        1
    );
    assert_eq!(
        person(10).map(|person| person.name),
        Some("葉月野 みお（ミオ（みおりん））")
    );
    assert_eq!(person(0), None);
    assert_eq!(person(41), None);
    for (id, avatar) in [
        (1, true),
        (3, false),
        (4, true),
        (7, false),
        (40, true),
        (41, false),
    ] {
        assert_eq!(person_has_avatar(id), avatar, "person {id}");
    }
}

#[test]
fn casts_and_tags_are_distinct() {
    for n in all() {
        let cast = people(n);
        assert_eq!(cast.len() as u32, 1 + n % 4);
        assert_eq!(cast.iter().collect::<HashSet<_>>().len(), cast.len());
        let genres = tags(n);
        assert_eq!(genres.iter().collect::<HashSet<_>>().len(), genres.len());
    }
}

#[test]
fn dates_and_durations() {
    assert_eq!(civil_from_days(DAYS_2019_01_01), (2019, 1, 1));
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    assert_eq!(release_date(1), "2019-01-12");
    for n in all() {
        assert!((45..=144).contains(&duration_minutes(n)));
    }
}

#[test]
fn cover_rules() {
    for (n, once, always) in [
        (13, true, false),
        (26, false, true),
        (39, true, false),
        (52, false, true),
        (1, false, false),
    ] {
        assert_eq!(cover_forbidden_once(n), once, "{n}");
        assert_eq!(cover_always_forbidden(n), always, "{n}");
    }
}

#[test]
fn search_matches_code_and_title() {
    assert_eq!(search(Site::Alpha, "DEMO-001"), vec![1]);
    assert_eq!(search(Site::Alpha, "demo001"), vec![1]);
    assert_eq!(search(Site::Alpha, "DEMO-003"), Vec::<u32>::new());
    assert_eq!(search(Site::Beta, "DEMO-003"), vec![3]);
    assert_eq!(search(Site::Beta, "夏の海辺"), vec![1]);
    assert_eq!(search(Site::Beta, "  "), Vec::<u32>::new());
    assert!(search(Site::Alpha, "海辺").len() > 5);
    assert_eq!(search_people("コトネ").len(), 1);
    assert_eq!(
        search_people("みおりん").first().map(|person| person.id),
        Some(10)
    );
}

#[test]
fn streams_are_deterministic_and_sized() {
    let size = 8 * 1024;
    assert_eq!(segment_bytes(1, 2, 3, size), segment_bytes(1, 2, 3, size));
    assert_ne!(segment_bytes(1, 2, 3, size), segment_bytes(1, 2, 4, size));
    assert_ne!(segment_bytes(1, 1, 3, size), segment_bytes(1, 2, 3, size));
    assert_eq!(segment_bytes(1, 0, 0, size)[0], 0x47);
    let full = full_stream(2, 1, size);
    let concatenated: Vec<u8> = (0..segment_count(2))
        .flat_map(|index| segment_bytes(2, 1, index, size))
        .collect();
    assert_eq!(full, concatenated);
    let fmp4 = full_stream(11, 0, size);
    assert_eq!(&fmp4[4..8], b"ftyp");
    assert!(init_segment(1, 0).is_none());
}

#[test]
fn aes_streams_decrypt_to_the_plaintext() {
    let size = 4 * 1024;
    let served = served_segment(7, 1, 2, size);
    assert_ne!(served, segment_bytes(7, 1, 2, size));
    assert_eq!(served.len() % 16, 0);
    let decrypted = decrypt_segment(&aes_key(7), &aes_iv(7, 1), &served);
    assert_eq!(decrypted, Some(segment_bytes(7, 1, 2, size)));
    assert_ne!(aes_key(7), aes_key(17));
    assert_eq!(served_segment(1, 1, 2, size), segment_bytes(1, 1, 2, size));
}

#[test]
fn ts_streams_are_continuous_across_segments() {
    for (n, variant) in [(1, 0), (2, 2), (7, 1)] {
        let segments: Vec<Vec<u8>> = (0..segment_count(n))
            .map(|index| segment_bytes(n, variant, index, 6 * 1024))
            .collect();
        crate::ts::tests::check_stream(&segments);
    }
}
