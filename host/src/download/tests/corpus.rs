//! Every stream of the fixture's corpus (the shapes real packagers produce, made by
//! ffmpeg) downloaded with every audio rendition, with and without ffmpeg's remux; the
//! result checked with ffprobe: the video, each expected audio track (inside the MP4, or
//! in its own file beside the joined stream), the subtitle files, the duration within 1%.
//! Prints the table of what was found.

use std::path::Path;

use fixture_site::corpus::{self, CorpusStream};
use fixture_site::{FixtureConfig, FixtureSite};
use serde_json::Value;

use super::*;
use crate::types::{AudioRule, SubtitleRule};

/// Seconds at which the cue holding `text` starts.
fn first_cue_start(vtt: &str, text: &str) -> f64 {
    let lines: Vec<&str> = vtt.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.contains(text))
        .expect("the cue's text");
    let timing = lines[..at]
        .iter()
        .rev()
        .find(|line| line.contains("-->"))
        .expect("a timing line before the cue's text");
    let start = timing.split("-->").next().unwrap_or_default().trim();
    let millis = super::super::webvtt::parse_time(start).expect("a WebVTT time");
    millis as f64 / 1000.0
}

/// What ffprobe finds in a file.
#[derive(Debug, Default)]
struct Probed {
    video: usize,
    /// The language tag of each audio stream (`None`: untagged or `und`).
    audio: Vec<Option<String>>,
    duration: f64,
}

fn probe(path: &Path) -> Probed {
    let output = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_entries"])
        .arg("stream=codec_type:stream_tags=language:format=duration")
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        output.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("ffprobe json");
    let mut probed = Probed {
        duration: json["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0.0),
        ..Probed::default()
    };
    for stream in json["streams"].as_array().into_iter().flatten() {
        match stream["codec_type"].as_str() {
            Some("video") => probed.video += 1,
            Some("audio") => probed.audio.push(
                stream["tags"]["language"]
                    .as_str()
                    .filter(|l| *l != "und")
                    .map(str::to_owned),
            ),
            _ => {}
        }
    }
    probed
}

/// Seconds of pictures in a file: the durations of its video packets, summed (whatever
/// its timestamps say).
fn picture_seconds(path: &Path) -> f64 {
    let output = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-of", "csv=p=0"])
        .args(["-show_entries", "packet=duration_time"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.trim().trim_end_matches(',').parse::<f64>().ok())
        .sum()
}

fn within_one_percent(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= expected * 0.01
}

/// Downloads one corpus stream into `dir`; the table row.
async fn check(site: &FixtureSite, stream: &CorpusStream, dir: &Path, remux: bool) -> String {
    let url = format!("{}/files/{}", site.base_url(), stream.playlist);
    let output = dir.join(if remux { "video.mp4" } else { "video.joined" });
    let mut request = DownloadRequest::new(
        &url,
        &output,
        work_dir_beside(&output),
        &config(true).download,
    );
    request.remux = remux;
    request.audio = AudioRule::All;
    request.subtitles = SubtitleRule::All;
    request.retries = 1;
    request.retry_delay = Duration::from_millis(5);
    let mode = if remux { "remux" } else { "joined" };
    let result = run(request).await;
    let expect = &stream.expect;
    if let Some(reason) = expect.refused {
        let error = result.expect_err("refused").to_string();
        assert!(error.contains(reason), "{}: {error}", stream.name);
        return format!("| {} | {mode} | refused: {error} | | |", stream.name);
    }
    let outcome = result.unwrap_or_else(|error| panic!("{} ({mode}): {error}", stream.name));
    let mut main = probe(&output);
    assert_eq!(main.video, 1, "{} ({mode}): one video stream", stream.name);
    if expect.timestamps_restart && !remux {
        // Joined as they are, the parts' timelines overlap: count the pictures instead.
        main.duration = picture_seconds(&output);
    }
    assert_eq!(outcome.remuxed, remux, "{}: {:?}", stream.name, outcome);
    // The audio tracks: inside the MP4, or the video's own plus one file per rendition.
    let mut audio: Vec<Option<String>> = main.audio.clone();
    let audio_tracks: Vec<&TrackOutcome> = outcome
        .tracks
        .iter()
        .filter(|t| t.kind == RenditionKind::Audio)
        .collect();
    assert_eq!(
        audio_tracks.len(),
        expect.audio_renditions,
        "{}",
        stream.name
    );
    let mut durations = vec![main.duration];
    for track in &audio_tracks {
        assert_eq!(track.muxed, remux, "{}: {track:?}", stream.name);
        if !remux {
            let file = track.file.as_ref().expect("its own file");
            let probed = probe(file);
            assert_eq!(
                (probed.video, probed.audio.len()),
                (0, 1),
                "{}",
                file.display()
            );
            durations.push(probed.duration);
            audio.push(track.language.clone());
        }
    }
    if !remux && expect.audio_renditions > 0 {
        assert!(
            outcome.warnings.iter().any(|w| w.contains("audio track")),
            "{}: {:?}",
            stream.name,
            outcome.warnings
        );
    }
    let normalize = |language: &Option<String>| match language.as_deref() {
        Some("en" | "eng") => Some("eng".to_owned()),
        Some("ja" | "jpn") => Some("jpn".to_owned()),
        other => other.map(str::to_owned),
    };
    let mut found: Vec<Option<String>> = audio.iter().map(normalize).collect();
    let mut expected: Vec<Option<String>> =
        expect.audio.iter().map(|l| l.map(str::to_owned)).collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "{} ({mode}): audio languages", stream.name);
    let subtitles: Vec<&TrackOutcome> = outcome
        .tracks
        .iter()
        .filter(|t| t.kind == RenditionKind::Subtitles && t.file.is_some())
        .collect();
    assert_eq!(subtitles.len(), expect.subtitles, "{}", stream.name);
    for track in &subtitles {
        let text = std::fs::read_to_string(track.file.as_ref().expect("file")).expect("vtt");
        assert!(text.starts_with("WEBVTT\n"), "{text}");
        assert_eq!(text.matches("WEBVTT").count(), 1, "one header: {text}");
        assert_eq!(text.matches("第一句").count(), 1, "{text}");
        assert_eq!(text.matches("第二句").count(), 1, "{text}");
        // The first cue is 0.5 s into the source: a player must show it there, whatever
        // clock the segments' cue times were written on.
        let start = first_cue_start(&text, "第一句");
        assert!(
            (0.4..0.7).contains(&start),
            "{} ({mode}): the first cue starts {start:.3} s into the video, expected 0.5 s: {text}",
            stream.name
        );
    }
    for duration in &durations {
        assert!(
            within_one_percent(*duration, expect.duration_seconds),
            "{} ({mode}): duration {duration:.3} s, expected {:.3} s",
            stream.name,
            expect.duration_seconds
        );
    }
    assert_eq!(
        outcome.warnings.iter().any(|w| w.contains("live")),
        expect.live,
        "{}: {:?}",
        stream.name,
        outcome.warnings
    );
    let shown: Vec<String> = found
        .iter()
        .map(|l| l.clone().unwrap_or_else(|| "und".to_owned()))
        .collect();
    format!(
        "| {} | {mode} | video, audio [{}]{} | {} | {} |",
        stream.name,
        shown.join(", "),
        if subtitles.is_empty() {
            String::new()
        } else {
            format!(", {} subtitle file(s)", subtitles.len())
        },
        durations
            .iter()
            .map(|d| format!("{d:.3}"))
            .collect::<Vec<_>>()
            .join(" / "),
        outcome.warnings.join("; ")
    )
}

/// The fixture site serving the stream corpus (made by ffmpeg), with its files
/// directory; `None` (and a printed reason) when ffmpeg or ffprobe is not installed.
async fn corpus_site() -> Option<(tempfile::TempDir, FixtureSite, Vec<CorpusStream>)> {
    if crate::util::find_program("ffmpeg").is_none()
        || crate::util::find_program("ffprobe").is_none()
    {
        eprintln!("ffmpeg or ffprobe is not installed: skipped");
        return None;
    }
    let files = tempfile::tempdir().expect("files dir");
    let site = FixtureSite::start(FixtureConfig {
        files: Some(files.path().to_owned()),
        ..FixtureConfig::default()
    })
    .await
    .expect("fixture site");
    let (root, files_url) = (
        files.path().to_owned(),
        format!("{}/files", site.base_url()),
    );
    let corpus = tokio::task::spawn_blocking(move || corpus::build(&root, &files_url))
        .await
        .expect("corpus task")
        .expect("corpus built");
    Some((files, site, corpus))
}

#[tokio::test]
async fn every_corpus_shape_downloads_whole_with_and_without_remux() {
    let Some((_files, site, corpus)) = corpus_site().await else {
        return;
    };
    let out = tempfile::tempdir().expect("out dir");
    let mut table = vec![
        "| stream | output | tracks found | duration (s) | warnings |".to_owned(),
        "|---|---|---|---|---|".to_owned(),
    ];
    for stream in &corpus {
        for remux in [true, false] {
            let dir = out.path().join(format!("{}-{remux}", stream.name));
            table.push(check(&site, stream, &dir, remux).await);
        }
    }
    println!("{}", table.join("\n"));
}

/// A download of the corpus's demuxed TS stream to `v.mp4` in `dir`, with the config's
/// defaults; the output path and the request.
fn demuxed_request(site: &FixtureSite, dir: &Path) -> (std::path::PathBuf, DownloadRequest) {
    let output = dir.join("v.mp4");
    let url = format!("{}/files/ts-demuxed/master.m3u8", site.base_url());
    let request = DownloadRequest::new(
        &url,
        &output,
        work_dir_beside(&output),
        &config(true).download,
    );
    (output, request)
}

#[tokio::test]
async fn the_default_audio_rule_takes_the_default_rendition_only() {
    let Some((_files, site, _)) = corpus_site().await else {
        return;
    };
    let out = tempfile::tempdir().expect("out dir");
    let (output, mut request) = demuxed_request(&site, out.path());
    request.subtitles = SubtitleRule::None;
    let (outcome, reports) = run_reporting(request).await;
    let languages: Vec<Option<&str>> = outcome
        .tracks
        .iter()
        .map(|t| t.language.as_deref())
        .collect();
    assert_eq!(languages, [Some("en")], "{:?}", outcome.tracks);
    assert!(outcome.tracks[0].muxed);
    assert_eq!(probe(&output).audio.len(), 1);
    // Progress counts the video's and the audio's segments.
    let last = reports.last().expect("a report");
    assert_eq!(last.segments_done, last.segments_total);
    assert_eq!(
        last.segments_total,
        outcome.segments + outcome.tracks[0].segments
    );
    assert!(outcome.tracks[0].segments > 0);
}

/// A download with its audio in renditions of their own, stopped while the Japanese
/// track's last segment hangs: each track keeps its completed segments in its own work
/// directory, and the next run fetches only what is missing.
#[tokio::test]
async fn every_track_resumes_from_its_own_work_directory() {
    let Some((_files, site, _)) = corpus_site().await else {
        return;
    };
    let hang = "/files/ts-demuxed/ja/seg3.ts";
    site.arm_fault(hang, fixture_site::Fault::Hang, fixture_site::FOREVER);
    let out = tempfile::tempdir().expect("out dir");
    let (output, mut request) = demuxed_request(&site, out.path());
    request.audio = AudioRule::All;
    request.subtitles = SubtitleRule::None;
    request.concurrency = 1;
    request.request_ahead = 0;
    let work_dir = request.work_dir.clone();
    // ffmpeg names the renditions audio_1 (en) and audio_2 (ja), in group group_aud.
    let english_dir = super::super::renditions::dir_name("audio", "group_aud", "audio_1");
    let japanese_dir = super::super::renditions::dir_name("audio", "group_aud", "audio_2");
    let (client, jar, cancel) = (client(), CookieJar::default(), CancellationToken::new());
    let cancel_at_the_hang = async {
        let reached = site.wait_for_hits(hang, 1, TEST_DEADLINE).await;
        // The other tracks finish while this one hangs: wait until their parts are saved.
        let deadline = tokio::time::Instant::now() + TEST_DEADLINE;
        let others_saved = loop {
            let video = saved_parts(&work_dir).len();
            let english = saved_parts(&work_dir.join(&english_dir)).len();
            if (video, english) == (3, 4) {
                break true;
            }
            if tokio::time::Instant::now() > deadline {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        cancel.cancel();
        reached && others_saved
    };
    let (result, reached) = tokio::join!(
        run_with(&client, &jar, request.clone(), None, cancel.clone()),
        cancel_at_the_hang
    );
    assert!(
        reached,
        "the hanging segment was asked for, the other tracks saved"
    );
    assert!(
        matches!(result, Err(DownloadError::Cancelled)),
        "{result:?}"
    );
    let japanese = saved_parts(&work_dir.join(&japanese_dir));
    assert_eq!(
        japanese,
        ["seg-0", "seg-1", "seg-2"].map(String::from).into(),
        "the Japanese track kept its three completed segments"
    );
    assert!(!output.exists());
    site.disarm_faults();
    let outcome = run_with(&client, &jar, request, None, CancellationToken::new())
        .await
        .expect("resumed");
    let reused: Vec<usize> = outcome.tracks.iter().map(|t| t.reused_segments).collect();
    assert_eq!(reused, [4, 3], "English whole, Japanese three of four");
    assert_eq!(outcome.reused_segments, 3, "the video was whole");
    assert_eq!(probe(&output).audio.len(), 2);
    assert_eq!(
        site.hits("/files/ts-demuxed/en/seg0.ts"),
        1,
        "not fetched again"
    );
}

/// A demuxed stream whose second audio rendition ffmpeg cannot read (its segments are
/// not audio): the video is remuxed with the English track, and the refused one is
/// kept in its own file beside it, the outcome saying so.
#[tokio::test]
async fn an_audio_track_ffmpeg_refuses_is_kept_beside_the_remuxed_video() {
    let Some((files, site, _)) = corpus_site().await else {
        return;
    };
    let dir = files.path().join("refused-audio");
    std::fs::create_dir_all(&dir).expect("stream dir");
    std::fs::write(
        dir.join("master.m3u8"),
        "#EXTM3U\n#EXT-X-VERSION:3\n\
         #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,URI=\"../ts-demuxed/en/index.m3u8\"\n\
         #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Noise\",LANGUAGE=\"ja\",DEFAULT=NO,URI=\"noise.m3u8\"\n\
         #EXT-X-STREAM-INF:BANDWIDTH=70400,CODECS=\"avc1.42c00c,mp4a.40.2\",AUDIO=\"aud\"\n\
         ../ts-demuxed/video/index.m3u8\n",
    )
    .expect("master");
    std::fs::write(
        dir.join("noise.m3u8"),
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n\
         #EXTINF:3.0,\nnoise0.aac\n#EXTINF:3.0,\nnoise1.aac\n#EXT-X-ENDLIST\n",
    )
    .expect("noise playlist");
    for index in 0..2 {
        let noise: Vec<u8> = (0..4096u32)
            .map(|byte| (byte.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x01)
            .collect();
        std::fs::write(dir.join(format!("noise{index}.aac")), noise).expect("noise");
    }
    let out = tempfile::tempdir().expect("out dir");
    let output = out.path().join("v.mp4");
    let url = format!("{}/files/refused-audio/master.m3u8", site.base_url());
    let mut request = DownloadRequest::new(
        &url,
        &output,
        work_dir_beside(&output),
        &config(true).download,
    );
    request.audio = AudioRule::All;
    request.subtitles = SubtitleRule::None;
    let (outcome, _) = run_reporting(request).await;
    assert!(outcome.remuxed, "{outcome:?}");
    let placed: Vec<(Option<&str>, bool, bool)> = outcome
        .tracks
        .iter()
        .map(|track| {
            (
                track.language.as_deref(),
                track.muxed,
                track.file.as_ref().is_some_and(|file| file.is_file()),
            )
        })
        .collect();
    assert_eq!(
        placed,
        [(Some("en"), true, false), (Some("ja"), false, true)],
        "English muxed, the refused track in its own file: {outcome:?}"
    );
    let probed = probe(&output);
    assert_eq!((probed.video, probed.audio.len()), (1, 1), "{probed:?}");
    assert!(
        outcome
            .warnings
            .iter()
            .any(|warning| warning.contains("refused") && warning.contains("Noise")),
        "{:?}",
        outcome.warnings
    );
}
