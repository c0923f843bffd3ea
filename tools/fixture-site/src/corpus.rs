//! A corpus of HLS streams shaped the way real packagers shape them, made by ffmpeg's own HLS muxer (muxed and
//! demuxed audio in two languages, WebVTT subtitles, fMP4, single-file byte ranges) and by hand around its output
//! (a discontinuity between two encodings, AES-128 key rotation, a gap, a live playlist, absolute URIs, a variant
//! in a codec MP4 cannot hold, SAMPLE-AES), each with what a download of it must hold. Written into a directory the
//! site serves at `/files/...` ([`crate::FixtureConfig::files`]).

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::process::Command;

use crate::crypto;

/// Seconds of every corpus stream (a discontinuity stream has two such parts).
pub const SECONDS: f64 = 6.0;

/// One stream of the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusStream {
    /// Its directory under the files directory, and its name in reports.
    pub name: &'static str,
    /// The playlist to download, relative to the files directory (`ts-demuxed/master.m3u8`).
    pub playlist: String,
    /// How it is packaged, in words.
    pub shape: &'static str,
    /// What a download of it (with every audio rendition and every subtitle) must hold.
    pub expect: Expect,
}

/// What a download of a corpus stream must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// The audio tracks, by language (`None`: not tagged), the video's own first, then each rendition's.
    pub audio: Vec<Option<&'static str>>,
    /// How many of them are renditions of their own (fetched beside the video, muxed in or kept beside it).
    pub audio_renditions: usize,
    /// Subtitle files saved beside the video.
    pub subtitles: usize,
    /// The duration of the result, in seconds (a download is within 1% of it).
    pub duration_seconds: f64,
    /// A live playlist (no `#EXT-X-ENDLIST`): downloaded as listed, with a warning.
    pub live: bool,
    /// The timestamps start over at a discontinuity: the segments joined as they are hold `duration_seconds` of
    /// pictures on a shorter timeline (what a probe's duration field shows); a remux makes one timeline of them.
    pub timestamps_restart: bool,
    /// The download is refused, with a reason containing this text.
    pub refused: Option<&'static str>,
}

impl Expect {
    /// Audio in two languages in renditions of their own (English and Japanese), with
    /// `subtitles` subtitle files.
    fn two_languages(subtitles: usize) -> Self {
        Self {
            audio: vec![Some("eng"), Some("jpn")],
            audio_renditions: 2,
            subtitles,
            ..Self::muxed()
        }
    }

    fn muxed() -> Self {
        Self {
            audio: vec![None],
            audio_renditions: 0,
            subtitles: 0,
            duration_seconds: SECONDS,
            live: false,
            timestamps_restart: false,
            refused: None,
        }
    }
}

/// SRT cues turned into WebVTT segments by ffmpeg.
const SUBTITLES: &str =
    "1\n00:00:00,500 --> 00:00:02,500\n第一句\n\n2\n00:00:03,000 --> 00:00:05,000\n第二句\n";

/// The AES-128 keys of the key-rotation stream (test data, not secrets).
const ROTATION_KEYS: [[u8; 16]; 2] = [[0x11; 16], [0x22; 16]];

/// Builds the corpus in `dir` (which must exist) with ffmpeg; `files_url` is where the site serves `dir`
/// (`http://127.0.0.1:PORT/files`), for the stream with absolute URIs. Fails when ffmpeg is not installed.
pub fn build(dir: &Path, files_url: &str) -> io::Result<Vec<CorpusStream>> {
    std::fs::write(dir.join("subtitles.srt"), SUBTITLES)?;
    let mut corpus = Vec::new();

    ffmpeg(
        dir,
        &["-map", "0:v", "-map", "1:a"],
        &["-master_pl_name", "master.m3u8"],
        "ts-muxed/index.m3u8",
        &["-hls_segment_filename", "ts-muxed/seg%d.ts"],
    )?;
    corpus.push(stream(
        "ts-muxed",
        "ts-muxed/master.m3u8",
        "MPEG-TS, audio in the video segments",
        Expect::muxed(),
    ));

    ffmpeg(
        dir,
        &[
            "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s", "-c:s", "webvtt",
        ],
        &[
            "-master_pl_name",
            "master.m3u8",
            "-var_stream_map",
            "v:0,s:0,agroup:aud,sgroup:subs,name:video a:0,agroup:aud,language:en,name:en,default:yes \
             a:1,agroup:aud,language:ja,name:ja",
        ],
        "ts-demuxed/%v/index.m3u8",
        &["-hls_segment_filename", "ts-demuxed/%v/seg%d.ts"],
    )?;
    corpus.push(stream(
        "ts-demuxed",
        "ts-demuxed/master.m3u8",
        "MPEG-TS, audio in two languages in renditions of their own, WebVTT subtitles (ffmpeg -var_stream_map)",
        Expect::two_languages(1),
    ));

    ffmpeg(
        dir,
        &["-map", "0:v", "-map", "1:a", "-map", "2:a"],
        &[
            "-hls_segment_type",
            "fmp4",
            "-master_pl_name",
            "master.m3u8",
            "-var_stream_map",
            "v:0,agroup:aud,name:video a:0,agroup:aud,language:en,name:en,default:yes a:1,agroup:aud,language:ja,name:ja",
        ],
        "fmp4-demuxed/%v/index.m3u8",
        &["-hls_segment_filename", "fmp4-demuxed/%v/seg%d.m4s"],
    )?;
    corpus.push(stream(
        "fmp4-demuxed",
        "fmp4-demuxed/master.m3u8",
        "fMP4 with #EXT-X-MAP, audio in two languages in renditions of their own",
        Expect::two_languages(0),
    ));

    ffmpeg(
        dir,
        &["-map", "0:v", "-map", "1:a"],
        &[
            "-hls_flags",
            "single_file",
            "-master_pl_name",
            "master.m3u8",
        ],
        "ts-single-file/index.m3u8",
        &[],
    )?;
    corpus.push(stream(
        "ts-single-file",
        "ts-single-file/master.m3u8",
        "MPEG-TS in one file, #EXT-X-BYTERANGE slices (-hls_flags single_file)",
        Expect::muxed(),
    ));

    ffmpeg(
        dir,
        &["-map", "0:v", "-map", "1:a"],
        &[
            "-hls_segment_type",
            "fmp4",
            "-hls_flags",
            "single_file",
            "-master_pl_name",
            "master.m3u8",
        ],
        "fmp4-single-file/index.m3u8",
        &[],
    )?;
    corpus.push(stream(
        "fmp4-single-file",
        "fmp4-single-file/master.m3u8",
        "fMP4 in one file, the init section and the segments as byte ranges",
        Expect::muxed(),
    ));

    corpus.push(subtitle_map(dir)?);
    corpus.push(discontinuity(dir)?);
    corpus.push(key_rotation(dir)?);
    corpus.push(gap(dir)?);
    corpus.push(live(dir)?);
    corpus.push(absolute_uris(dir, files_url)?);
    corpus.push(codec_choice(dir)?);
    corpus.push(sample_aes(dir)?);
    Ok(corpus)
}

fn stream(name: &'static str, playlist: &str, shape: &'static str, expect: Expect) -> CorpusStream {
    CorpusStream {
        name,
        playlist: playlist.to_owned(),
        shape,
        expect,
    }
}

/// The test picture of most streams: 320×180, 25 fps, a key frame a second.
const PICTURE: Picture = Picture {
    source: "testsrc2=size=320x180:rate=25",
    gop: "25",
};

/// A lavfi test picture and its key frame interval.
#[derive(Debug, Clone, Copy)]
struct Picture {
    source: &'static str,
    gop: &'static str,
}

/// [`encode`] with [`PICTURE`].
fn ffmpeg(
    dir: &Path,
    maps: &[&str],
    hls: &[&str],
    output: &str,
    segment_args: &[&str],
) -> io::Result<()> {
    encode(dir, PICTURE, maps, hls, output, segment_args)
}

/// Runs ffmpeg in `dir` on 6 s of `picture` (input 0), two sine tones (440 and 660 Hz, inputs 1 and 2) and the
/// subtitles (input 3), writing HLS with 2 s segments to `output` (its directories are made first).
fn encode(
    dir: &Path,
    picture: Picture,
    maps: &[&str],
    hls: &[&str],
    output: &str,
    segment_args: &[&str],
) -> io::Result<()> {
    for path in [output].iter().chain(segment_args.iter().skip(1)) {
        if let Some(parent) = Path::new(path).parent() {
            // `%v` directories are made by ffmpeg from the stream map; make the fixed ones.
            if !parent.to_string_lossy().contains("%v") {
                std::fs::create_dir_all(dir.join(parent))?;
            }
        }
    }
    let made = Command::new("ffmpeg")
        .current_dir(dir)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(["-f", "lavfi", "-i", picture.source])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args(["-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000"])
        .args(["-i", "subtitles.srt"])
        .args(maps)
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            picture.gop,
            "-c:a",
            "aac",
            "-b:a",
            "64k",
        ])
        .args([
            "-t",
            "6",
            "-f",
            "hls",
            "-hls_time",
            "2",
            "-hls_playlist_type",
            "vod",
        ])
        .args(hls)
        .args(segment_args)
        .arg(output)
        .output()?;
    if !made.status.success() {
        return Err(io::Error::other(format!(
            "ffmpeg could not make {output}: {}",
            String::from_utf8_lossy(&made.stderr).trim()
        )));
    }
    Ok(())
}

/// The `(duration, uri)` segment lines of a media playlist.
fn segments(playlist: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut duration = None;
    for line in playlist.lines() {
        if let Some(rest) = line.strip_prefix("#EXTINF:") {
            duration = Some(rest.trim_end_matches(',').to_owned());
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            out.push((duration.take().unwrap_or_default(), line.trim().to_owned()));
        }
    }
    out
}

/// A media playlist's first lines, with its protocol `version`.
fn media_header(version: u8) -> String {
    format!("#EXTM3U\n#EXT-X-VERSION:{version}\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n")
}

/// How far `subtitle_map`'s cue times are written past the video's start: its `X-TIMESTAMP-MAP` says so.
const MAPPED_LOCAL_SECONDS: u64 = 10;

/// `ts-demuxed` with its subtitle segments written the way Apple's segmenter writes them: each header maps a cue
/// time (`LOCAL`, here 10 s) onto the video's first timestamp (`MPEGTS`), and the cues are timed from that local
/// time; a player shows them as early in the video as `ts-demuxed`'s.
fn subtitle_map(dir: &Path) -> io::Result<CorpusStream> {
    let source = dir.join("ts-demuxed");
    let out_dir = dir.join("subtitle-map");
    std::fs::create_dir_all(&out_dir)?;
    let video_start = start_ticks(&source.join("video/seg0.ts"))?;
    // The video and audio playlists are ts-demuxed's; the subtitles' are this stream's own.
    let master = std::fs::read_to_string(source.join("master.m3u8"))?
        .replace("URI=\"", "URI=\"../ts-demuxed/")
        .replace(
            "URI=\"../ts-demuxed/video/index_vtt.m3u8\"",
            "URI=\"vtt.m3u8\"",
        )
        .replace("\nvideo/index.m3u8", "\n../ts-demuxed/video/index.m3u8");
    std::fs::write(out_dir.join("master.m3u8"), master)?;
    let playlist = std::fs::read_to_string(source.join("video/index_vtt.m3u8"))?;
    for (_, uri) in segments(&playlist) {
        let cues = std::fs::read_to_string(source.join("video").join(&uri))?;
        let mapped = format!(
            "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:{video_start},LOCAL:00:00:{MAPPED_LOCAL_SECONDS:02}.000\n{}",
            later_cues(
                cues.trim_start_matches("WEBVTT"),
                MAPPED_LOCAL_SECONDS * 1000
            )
        );
        std::fs::write(out_dir.join(&uri), mapped)?;
    }
    std::fs::write(out_dir.join("vtt.m3u8"), playlist)?;
    Ok(stream(
        "subtitle-map",
        "subtitle-map/master.m3u8",
        "ts-demuxed with WebVTT segments timed by X-TIMESTAMP-MAP (cue times from 10 s, mapped onto the video's \
         first timestamp)",
        Expect::two_languages(1),
    ))
}

/// The first timestamp of an MPEG-TS file in the 90 kHz clock, from ffprobe.
fn start_ticks(path: &Path) -> io::Result<u64> {
    let probed = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=start_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()?;
    let text = String::from_utf8_lossy(&probed.stdout);
    let seconds: f64 = text.trim().parse().map_err(|_| {
        io::Error::other(format!(
            "ffprobe gave no start time for {}: {text}",
            path.display()
        ))
    })?;
    Ok((seconds * 90_000.0).round() as u64)
}

/// WebVTT cues with every timing line `ms` later. The fixture reads and writes the times itself, not with Kura's
/// code: the corpus is what Kura's merge is checked against.
fn later_cues(cues: &str, ms: u64) -> String {
    cues.lines()
        .map(|line| match line.split_once(" --> ") {
            Some((start, rest)) => {
                // The end time, then any cue settings (`line:90%`), kept as they are.
                let (end, settings) = rest.split_once(' ').unwrap_or((rest, ""));
                match (cue_ms(start), cue_ms(end)) {
                    (Some(start), Some(end)) => {
                        let timing = format!("{} --> {}", cue_time(start + ms), cue_time(end + ms));
                        [timing.as_str(), settings].join(" ").trim_end().to_owned()
                    }
                    _ => line.to_owned(),
                }
            }
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Milliseconds of `mm:ss.ttt` or `hh:mm:ss.ttt`.
fn cue_ms(time: &str) -> Option<u64> {
    let (clock, millis) = time.trim().split_once('.')?;
    let seconds = clock.split(':').try_fold(0u64, |total, part| {
        Some(total * 60 + part.parse::<u64>().ok()?)
    })?;
    Some(seconds * 1000 + millis.parse::<u64>().ok()?)
}

fn cue_time(ms: u64) -> String {
    let seconds = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        ms % 1000
    )
}

/// Two encodings (another size and frame rate, timestamps starting over) joined by `#EXT-X-DISCONTINUITY`, as an
/// inserted clip is.
fn discontinuity(dir: &Path) -> io::Result<CorpusStream> {
    ffmpeg(
        dir,
        &["-map", "0:v", "-map", "1:a"],
        &[],
        "discontinuity/a/index.m3u8",
        &["-hls_segment_filename", "discontinuity/a/seg%d.ts"],
    )?;
    // Another picture, frame rate and tone; its timestamps start over.
    let other = Picture {
        source: "testsrc=size=320x180:rate=30",
        gop: "30",
    };
    encode(
        dir,
        other,
        &["-map", "0:v", "-map", "2:a"],
        &[],
        "discontinuity/b/index.m3u8",
        &["-hls_segment_filename", "discontinuity/b/seg%d.ts"],
    )?;
    let mut out = format!("{}#EXT-X-PLAYLIST-TYPE:VOD\n", media_header(3));
    for (part, text) in ["a", "b"].iter().enumerate() {
        if part > 0 {
            out.push_str("#EXT-X-DISCONTINUITY\n");
        }
        let playlist =
            std::fs::read_to_string(dir.join(format!("discontinuity/{text}/index.m3u8")))?;
        for (duration, uri) in segments(&playlist) {
            let _ = write!(out, "#EXTINF:{duration},\n{text}/{uri}\n");
        }
    }
    out.push_str("#EXT-X-ENDLIST\n");
    std::fs::write(dir.join("discontinuity/index.m3u8"), out)?;
    Ok(stream(
        "discontinuity",
        "discontinuity/index.m3u8",
        "two encodings (sizes, frame rates, timestamps) joined by #EXT-X-DISCONTINUITY",
        Expect {
            duration_seconds: 2.0 * SECONDS,
            timestamps_restart: true,
            ..Expect::muxed()
        },
    ))
}

/// The muxed MPEG-TS segments encrypted with AES-128 under two keys: the first with an explicit IV, the second
/// with the media sequence number as IV (what each `#EXT-X-KEY` line says).
fn key_rotation(dir: &Path) -> io::Result<CorpusStream> {
    let out_dir = dir.join("key-rotation");
    std::fs::create_dir_all(&out_dir)?;
    for (index, key) in ROTATION_KEYS.iter().enumerate() {
        std::fs::write(out_dir.join(format!("key{index}.bin")), key)?;
    }
    let source = std::fs::read_to_string(dir.join("ts-muxed/index.m3u8"))?;
    let explicit_iv = [0xA5; 16];
    let mut out = format!("{}#EXT-X-PLAYLIST-TYPE:VOD\n", media_header(3));
    for (index, (duration, uri)) in segments(&source).into_iter().enumerate() {
        let plain = std::fs::read(dir.join("ts-muxed").join(&uri))?;
        let (key, iv) = if index == 0 {
            out.push_str("#EXT-X-KEY:METHOD=AES-128,URI=\"key0.bin\",IV=0xA5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5\n");
            (&ROTATION_KEYS[0], explicit_iv)
        } else {
            if index == 1 {
                out.push_str("#EXT-X-KEY:METHOD=AES-128,URI=\"key1.bin\"\n");
            }
            (&ROTATION_KEYS[1], u128::from(index as u64).to_be_bytes())
        };
        std::fs::write(out_dir.join(&uri), crypto::encrypt(key, &iv, &plain))?;
        let _ = write!(out, "#EXTINF:{duration},\n{uri}\n");
    }
    out.push_str("#EXT-X-ENDLIST\n");
    std::fs::write(out_dir.join("index.m3u8"), out)?;
    Ok(stream(
        "key-rotation",
        "key-rotation/index.m3u8",
        "AES-128, the key rotating after the first segment (explicit IV, then sequence-number IVs)",
        Expect::muxed(),
    ))
}

/// Writes `{name}/index.m3u8`: the muxed stream's segments, each written by `line(index, duration, uri)` (URIs
/// relative to `ts-muxed/`), after the media header of `version` and `extra` tags, ended by `#EXT-X-ENDLIST` when `ended`.
fn muxed_variant(
    dir: &Path,
    name: &str,
    version: u8,
    extra: &str,
    ended: bool,
    line: impl Fn(usize, &str, &str) -> String,
) -> io::Result<()> {
    let source = std::fs::read_to_string(dir.join("ts-muxed/index.m3u8"))?;
    let mut out = format!("{}{extra}", media_header(version));
    for (index, (duration, uri)) in segments(&source).into_iter().enumerate() {
        out.push_str(&line(index, &duration, &uri));
    }
    if ended {
        out.push_str("#EXT-X-ENDLIST\n");
    }
    std::fs::create_dir_all(dir.join(name))?;
    std::fs::write(dir.join(name).join("index.m3u8"), out)
}

/// The muxed stream with its middle segment marked `#EXT-X-GAP` (its URI answers 404, as a gap's may).
fn gap(dir: &Path) -> io::Result<CorpusStream> {
    // `#EXT-X-GAP` came with protocol version 8.
    muxed_variant(
        dir,
        "gap",
        8,
        "#EXT-X-PLAYLIST-TYPE:VOD\n",
        true,
        |index, duration, uri| {
            if index == 1 {
                format!("#EXT-X-GAP\n#EXTINF:{duration},\nmissing.ts\n")
            } else {
                format!("#EXTINF:{duration},\n../ts-muxed/{uri}\n")
            }
        },
    )?;
    Ok(stream(
        "gap",
        "gap/index.m3u8",
        "a segment marked #EXT-X-GAP (not fetched; the time it covers stays empty)",
        Expect::muxed(),
    ))
}

/// The muxed stream's media playlist without `#EXT-X-ENDLIST` or a playlist type: a live playlist.
fn live(dir: &Path) -> io::Result<CorpusStream> {
    muxed_variant(dir, "live", 3, "", false, |_, duration, uri| {
        format!("#EXTINF:{duration},\n../ts-muxed/{uri}\n")
    })?;
    Ok(stream(
        "live",
        "live/index.m3u8",
        "a live playlist (no #EXT-X-ENDLIST): the segments listed now",
        Expect {
            live: true,
            ..Expect::muxed()
        },
    ))
}

/// A master and a media playlist whose URIs are absolute URLs (`http://...`) and absolute paths (`/files/...`).
fn absolute_uris(dir: &Path, files_url: &str) -> io::Result<CorpusStream> {
    // `http://127.0.0.1:PORT/files` -> `/files`.
    let files_path = files_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or("/files");
    muxed_variant(
        dir,
        "absolute-uris",
        3,
        "#EXT-X-PLAYLIST-TYPE:VOD\n",
        true,
        |index, duration, uri| {
            let base = if index % 2 == 0 {
                files_url
            } else {
                files_path
            };
            format!("#EXTINF:{duration},\n{base}/ts-muxed/{uri}\n")
        },
    )?;
    std::fs::write(
        dir.join("absolute-uris/master.m3u8"),
        format!(
            "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=320x180,CODECS=\"avc1.42c00c,mp4a.40.2\"\n{files_url}/absolute-uris/index.m3u8\n"
        ),
    )?;
    Ok(stream(
        "absolute-uris",
        "absolute-uris/master.m3u8",
        "absolute URLs and absolute paths in the master and media playlists",
        Expect::muxed(),
    ))
}

/// A master whose two variants differ only in codecs: the one MP4 cannot hold (VP8 and Vorbis, listed with the
/// higher bandwidth, and not even served) must be passed over.
fn codec_choice(dir: &Path) -> io::Result<CorpusStream> {
    std::fs::create_dir_all(dir.join("codec-choice"))?;
    std::fs::write(
        dir.join("codec-choice/master.m3u8"),
        "#EXTM3U\n\
         #EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=320x180,CODECS=\"vp8,vorbis\"\nwebm/index.m3u8\n\
         #EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=320x180,CODECS=\"avc1.42c00c,mp4a.40.2\"\n../ts-muxed/index.m3u8\n",
    )?;
    Ok(stream(
        "codec-choice",
        "codec-choice/master.m3u8",
        "variants differing only in codecs, the richer one in codecs MP4 cannot hold",
        Expect::muxed(),
    ))
}

/// A SAMPLE-AES stream (DRM-style encryption of the samples): refused with a reason.
fn sample_aes(dir: &Path) -> io::Result<CorpusStream> {
    std::fs::create_dir_all(dir.join("sample-aes"))?;
    std::fs::write(
        dir.join("sample-aes/index.m3u8"),
        format!(
            "{}#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://key\",KEYFORMAT=\"com.apple.streamingkeydelivery\"\n\
             #EXTINF:2.0,\n../ts-muxed/seg0.ts\n#EXT-X-ENDLIST\n",
            media_header(5)
        ),
    )?;
    Ok(stream(
        "sample-aes",
        "sample-aes/index.m3u8",
        "SAMPLE-AES (FairPlay-style DRM)",
        Expect {
            refused: Some("SAMPLE-AES"),
            ..Expect::muxed()
        },
    ))
}
