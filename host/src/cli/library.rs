//! Library commands of the CLI: `fix-codes`, `thumbnails`, `seed`. They open the store
//! and the media directory directly (no plugins, no server), so they also work while a
//! server runs on the same data directory.

use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::media::MediaStore;
use crate::store::Store;

/// The database, refused when its schema is out of date (see
/// [`super::database::open_current_or_new`]).
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    super::database::open_current_or_new(config).await
}

pub(super) fn open_media(config: &Config) -> anyhow::Result<MediaStore> {
    MediaStore::new(config.media_dir()).with_context(|| {
        format!(
            "cannot open the media directory {}",
            config.media_dir().display()
        )
    })
}

fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, eta {{eta}})"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// `kura fix-codes [--stats | --execute]`
pub(super) async fn fix_codes(config: &Config, execute: bool) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let media = open_media(config)?;
    let report = crate::library::fix_codes(&store, &media, execute).await?;
    store.close().await;
    println!(
        "{} codes: {} canonical, {} {}, {} conflicts, {} invalid",
        report.total,
        report.canonical,
        report.renames.len(),
        if execute { "renamed" } else { "to rename" },
        report.conflicts.len(),
        report.invalid.len()
    );
    for (stored, canonical) in &report.renames {
        println!("  rename   {stored} -> {canonical}");
    }
    for (stored, canonical) in &report.conflicts {
        println!("  conflict {stored} -> {canonical} (taken by another resource; left as is)");
    }
    for (stored, reason) in &report.invalid {
        println!("  invalid  {stored}: {reason}");
    }
    if !execute && !report.renames.is_empty() {
        println!("run with --execute to rename");
    }
    Ok(
        if report.conflicts.is_empty() && report.invalid.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        },
    )
}

/// `kura thumbnails [--force]`
pub(super) async fn thumbnails(config: &Config, force: bool) -> anyhow::Result<ExitCode> {
    let media = open_media(config)?;
    let report = crate::media::offload(move || {
        let progress = bar(0, "covers");
        let report = media.regenerate_thumbnails(force, |done, total| {
            progress.set_length(total as u64);
            progress.set_position(done as u64);
        });
        progress.finish_and_clear();
        report
    })
    .await??;
    println!(
        "{} covers: {} thumbnails generated, {} up to date, {} failed",
        report.covers,
        report.generated,
        report.skipped,
        report.failed.len()
    );
    for failure in &report.failed {
        println!("  failed {}: {}", failure.file, failure.reason);
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `kura seed --count N --from F [--jobs J]`
pub(super) async fn seed(
    config: &Config,
    from: u64,
    count: u64,
    jobs: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let progress = bar(count, "resources");
    let jobs = jobs.map_or_else(default_jobs, |jobs| jobs as usize);
    let report = crate::library::seed(&store, from, count, jobs, |done, _| {
        progress.set_position(done)
    })
    .await?;
    progress.finish_and_clear();
    store.close().await;
    println!(
        "seeded {} resources ({} with a video) in {} ms",
        report.resources, report.with_video, report.elapsed_ms
    );
    Ok(ExitCode::SUCCESS)
}

/// Batches `kura seed` writes at once by default: all cores but one, which a server
/// beside it keeps for its requests (with two PostgreSQL backends writing on two cores,
/// a list's p99 beside the import was 1.1 s, with one 84 to 151 ms in two runs).
fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |cores| cores.get().saturating_sub(1))
        .clamp(1, crate::store::MOST_LANES)
}
