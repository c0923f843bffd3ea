//! Table tests of playlist parsing, key and map tracking, byte ranges and variant rules.

use super::*;

const BASE: &str = "https://cdn.example/v/1/index.m3u8?token=abc";

fn media(text: &str) -> Stream {
    let base = Url::parse(BASE).expect("valid base");
    match parse(text.as_bytes(), &base).expect("parses") {
        Playlist::Media(stream) => stream,
        Playlist::Master(_) => panic!("expected a media playlist"),
    }
}

/// One line per part in assembly order: name, URL, range, key URI and IV tail.
fn check(text: &str, expected: &[&str]) {
    let stream = media(text);
    let actual: Vec<String> = stream
        .order
        .iter()
        .map(|&index| {
            let part = &stream.parts[index];
            let mut line = format!("{} {}", part.name, part.url);
            if let Some(range) = part.range {
                line.push_str(&format!(" @{}+{}", range.offset, range.length));
            }
            if let Some(key) = &part.key {
                line.push_str(&format!(" key={} iv=..{:02x}", key.uri, key.iv[15]));
            }
            line
        })
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn relative_uris_keep_their_query() {
    check(
        "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg0.ts?site=alpha\n#EXTINF:4.0,\n/abs/seg1.ts\n#EXTINF:4.0,\nhttps://other.example/seg2.ts\n#EXT-X-ENDLIST\n",
        &[
            "seg-0 https://cdn.example/v/1/seg0.ts?site=alpha",
            "seg-1 https://cdn.example/abs/seg1.ts",
            "seg-2 https://other.example/seg2.ts",
        ],
    );
}

#[test]
fn keys_carry_forward_until_the_next_key_tag() {
    check(
        "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n\
         #EXTINF:4,\ns0.ts\n\
         #EXT-X-KEY:METHOD=AES-128,URI=\"k1.bin\"\n#EXTINF:4,\ns1.ts\n#EXTINF:4,\ns2.ts\n\
         #EXT-X-KEY:METHOD=AES-128,URI=\"../k2.bin\",IV=0x000000000000000000000000000000AB\n#EXTINF:4,\ns3.ts\n#EXTINF:4,\ns4.ts\n\
         #EXT-X-KEY:METHOD=NONE\n#EXTINF:4,\ns5.ts\n#EXT-X-ENDLIST\n",
        &[
            "seg-0 https://cdn.example/v/1/s0.ts",
            "seg-1 https://cdn.example/v/1/s1.ts key=https://cdn.example/v/1/k1.bin iv=..08",
            "seg-2 https://cdn.example/v/1/s2.ts key=https://cdn.example/v/1/k1.bin iv=..09",
            "seg-3 https://cdn.example/v/1/s3.ts key=https://cdn.example/v/k2.bin iv=..ab",
            "seg-4 https://cdn.example/v/1/s4.ts key=https://cdn.example/v/k2.bin iv=..ab",
            "seg-5 https://cdn.example/v/1/s5.ts",
        ],
    );
}

#[test]
fn byte_ranges_follow_on_without_offset() {
    check(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI=\"all.mp4\",BYTERANGE=\"700@0\"\n\
         #EXT-X-BYTERANGE:1000@700\n#EXTINF:4,\nall.mp4\n\
         #EXT-X-BYTERANGE:500\n#EXTINF:4,\nall.mp4\n\
         #EXT-X-BYTERANGE:300\n#EXTINF:4,\nother.mp4\n#EXT-X-ENDLIST\n",
        &[
            "init-0 https://cdn.example/v/1/all.mp4 @0+700",
            "seg-0 https://cdn.example/v/1/all.mp4 @700+1000",
            "seg-1 https://cdn.example/v/1/all.mp4 @1700+500",
            "seg-2 https://cdn.example/v/1/other.mp4 @0+300",
        ],
    );
    assert_eq!(
        media("#EXTM3U\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:4,\na.m4s\n").container,
        SourceContainer::Fmp4
    );
}

#[test]
fn init_sections_repeat_when_the_map_changes_back() {
    check(
        "#EXTM3U\n#EXT-X-MAP:URI=\"a.mp4\"\n#EXTINF:4,\n0.m4s\n#EXTINF:4,\n1.m4s\n\
         #EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"b.mp4\"\n#EXTINF:4,\n2.m4s\n\
         #EXT-X-MAP:URI=\"a.mp4\"\n#EXTINF:4,\n3.m4s\n#EXT-X-ENDLIST\n",
        &[
            "init-0 https://cdn.example/v/1/a.mp4",
            "seg-0 https://cdn.example/v/1/0.m4s",
            "seg-1 https://cdn.example/v/1/1.m4s",
            "init-1 https://cdn.example/v/1/b.mp4",
            "seg-2 https://cdn.example/v/1/2.m4s",
            "init-0 https://cdn.example/v/1/a.mp4",
            "seg-3 https://cdn.example/v/1/3.m4s",
        ],
    );
}

#[test]
fn unsupported_or_empty_playlists_are_refused() {
    let base = Url::parse(BASE).expect("valid");
    for (text, needle) in [
        (
            "#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\"\n#EXTINF:4,\na.ts\n",
            "SAMPLE-AES",
        ),
        ("#EXTM3U\n#EXT-X-ENDLIST\n", "no segment"),
        ("<html>nope</html>", "not an HLS playlist"),
        (
            "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=12\n#EXTINF:4,\na.ts\n",
            "0x",
        ),
    ] {
        let error = parse(text.as_bytes(), &base).expect_err(text);
        assert!(error.contains(needle), "{text:?} gave {error}");
    }
}

#[test]
fn live_playlists_and_durations() {
    let stream = media("#EXTM3U\n#EXTINF:4.5,\na.ts\n#EXTINF:2,\nb.ts\n");
    assert!(stream.live);
    assert_eq!(stream.n_segments, 2);
    assert!((stream.duration_seconds - 6.5).abs() < 1e-9);
}

#[test]
fn fingerprint_ignores_urls_but_not_content() {
    let a = media("#EXTM3U\n#EXTINF:4,\na.ts?t=1\n#EXTINF:4,\nb.ts?t=1\n#EXT-X-ENDLIST\n");
    let b = media("#EXTM3U\n#EXTINF:4,\na.ts?t=2\n#EXTINF:4,\nb.ts?t=2\n#EXT-X-ENDLIST\n");
    let c = media("#EXTM3U\n#EXTINF:4,\na.ts\n#EXTINF:5,\nb.ts\n#EXT-X-ENDLIST\n");
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_ne!(a.fingerprint, c.fingerprint);
}

fn variants(bandwidths: &[(u64, u64)]) -> Vec<Variant> {
    bandwidths
        .iter()
        .enumerate()
        .map(|(index, &(bandwidth, pixels))| Variant {
            url: Url::parse(&format!("https://cdn.example/{index}.m3u8")).expect("valid"),
            bandwidth,
            pixels,
            codecs: None,
            audio: None,
            subtitles: None,
        })
        .collect()
}

#[test]
fn variant_rules_pick() {
    let list = variants(&[(1_200_000, 1), (400_000, 1), (2_500_000, 1), (2_500_000, 9)]);
    for (rule, expected) in [
        (VariantRule::Best, Some(3)),
        (VariantRule::Worst, Some(1)),
        (VariantRule::MaxBandwidth(1_500_000), Some(0)),
        (VariantRule::MaxBandwidth(1_200_000), Some(0)),
        (VariantRule::MaxBandwidth(10), Some(1)),
    ] {
        let picked = choose(&list, rule).map(|v| list.iter().position(|x| x == v));
        assert_eq!(picked.flatten(), expected, "{rule}");
    }
    assert_eq!(choose(&[], VariantRule::Best), None);
}

#[test]
fn variant_rules_parse() {
    for (text, expected) in [
        ("best", Ok(VariantRule::Best)),
        ("WORST", Ok(VariantRule::Worst)),
        ("1200000", Ok(VariantRule::MaxBandwidth(1_200_000))),
    ] {
        assert_eq!(text.parse::<VariantRule>(), expected, "{text}");
    }
    assert!("fast".parse::<VariantRule>().is_err());
    assert!("-1".parse::<VariantRule>().is_err());
}

#[test]
fn master_playlists_resolve_variants_and_skip_i_frames() {
    let base = Url::parse("http://h/stream/X/master.m3u8?site=alpha").expect("valid");
    let text = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360\n0/index.m3u8?site=alpha\n\
                #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI=\"iframe.m3u8\"\n\
                #EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1920x1080\n2/index.m3u8?site=alpha\n";
    let Ok(Playlist::Master(master)) = parse(text.as_bytes(), &base) else {
        panic!("expected a master playlist");
    };
    let list = master.variants;
    let urls: Vec<&str> = list.iter().map(|v| v.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "http://h/stream/X/0/index.m3u8?site=alpha",
            "http://h/stream/X/2/index.m3u8?site=alpha"
        ]
    );
    assert_eq!(list[1].pixels, 1920 * 1080);
}

/// As ffmpeg's HLS muxer writes a stream with its audio in renditions of their own
/// (`-var_stream_map "v:0,agroup:aud a:0,agroup:aud,language:en a:1,agroup:aud,language:ja"`)
/// plus a subtitle group and a closed-caption line that is not fetched.
#[test]
fn master_playlists_list_audio_and_subtitle_renditions() {
    let base = Url::parse("http://h/c/master.m3u8").expect("valid");
    let text = "#EXTM3U\n#EXT-X-VERSION:6\n\
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"group_aud\",NAME=\"audio_1\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,URI=\"stream_1.m3u8\"\n\
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"group_aud\",NAME=\"audio_2\",LANGUAGE=\"ja\",DEFAULT=NO,URI=\"stream_2.m3u8\"\n\
        #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"中文\",LANGUAGE=\"zh-Hans\",URI=\"/s/zh.m3u8\"\n\
        #EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID=\"cc\",NAME=\"CC1\",INSTREAM-ID=\"CC1\"\n\
        #EXT-X-STREAM-INF:BANDWIDTH=1140800,RESOLUTION=640x360,CODECS=\"avc1.64001e,mp4a.40.2\",AUDIO=\"group_aud\",SUBTITLES=\"subs\"\n\
        stream_0.m3u8\n";
    let Ok(Playlist::Master(master)) = parse(text.as_bytes(), &base) else {
        panic!("expected a master playlist");
    };
    let variant = &master.variants[0];
    assert_eq!(variant.audio.as_deref(), Some("group_aud"));
    assert_eq!(variant.subtitles.as_deref(), Some("subs"));
    let lines: Vec<String> = master
        .renditions
        .iter()
        .map(|r| {
            format!(
                "{:?} {} {} {:?} {} {}",
                r.kind,
                r.group,
                r.name,
                r.language,
                r.default,
                r.url.as_ref().map_or("-", Url::as_str)
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "Audio group_aud audio_1 Some(\"en\") true http://h/c/stream_1.m3u8",
            "Audio group_aud audio_2 Some(\"ja\") false http://h/c/stream_2.m3u8",
            "Subtitles subs 中文 Some(\"zh-Hans\") false http://h/s/zh.m3u8",
        ]
    );
}

#[test]
fn variants_ffmpeg_cannot_put_in_mp4_are_passed_over() {
    let mut list = variants(&[(3_000_000, 1), (2_000_000, 1), (1_000_000, 1)]);
    list[0].codecs = Some("vp8,vorbis".into());
    list[1].codecs = Some("avc1.64001f,mp4a.40.2".into());
    list[2].codecs = Some("hvc1.1.6.L93.B0,ec-3".into());
    let best = choose(&list, VariantRule::Best).expect("one");
    assert_eq!(best.bandwidth, 2_000_000);
    // Only unknown codecs: still a choice rather than none.
    let odd = &list[..1];
    assert_eq!(
        choose(odd, VariantRule::Best).map(|v| v.bandwidth),
        Some(3_000_000)
    );
}

#[test]
fn gap_segments_are_listed_but_not_fetched() {
    let stream = media(
        "#EXTM3U\n#EXT-X-VERSION:8\n#EXTINF:2,\na.ts\n#EXT-X-GAP\n#EXTINF:2,\nmissing.ts\n#EXTINF:2,\nc.ts\n#EXT-X-ENDLIST\n",
    );
    let names: Vec<&str> = stream.parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["seg-0", "seg-2"]);
    assert_eq!((stream.n_segments, stream.gaps), (2, 1));
    assert!((stream.duration_seconds - 6.0).abs() < 1e-9);
    let base = Url::parse(BASE).expect("valid base");
    assert!(
        parse(
            b"#EXTM3U\n#EXT-X-GAP\n#EXTINF:2,\nx.ts\n#EXT-X-ENDLIST\n",
            &base
        )
        .is_err()
    );
}

#[test]
fn a_gap_in_a_single_file_still_places_the_next_range() {
    check(
        "#EXTM3U\n#EXT-X-VERSION:8\n#EXTINF:2,\n#EXT-X-BYTERANGE:100@0\nall.ts\n\
         #EXT-X-GAP\n#EXTINF:2,\n#EXT-X-BYTERANGE:50\nall.ts\n\
         #EXTINF:2,\n#EXT-X-BYTERANGE:70\nall.ts\n#EXT-X-ENDLIST\n",
        &[
            "seg-0 https://cdn.example/v/1/all.ts @0+100",
            "seg-2 https://cdn.example/v/1/all.ts @150+70",
        ],
    );
}
