//! `kura translate [--dry-run | --execute] [--force | --reclean] [--no-cache] [--profile NAME]`
//! (N-C5): titles through a translator profile, one after the other, in this process. It
//! opens the store and loads the plugins itself (no server needed, and a running one on
//! the same data directory is no obstacle); answers already cached cost no LLM call.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::store::{Store, TranslationSource, TranslationStatus};
use crate::translate::{Outcome, Plan, TranslateOptions, Translator};

/// Failures listed one by one; past this many only the count is printed.
const MAX_LISTED_FAILURES: usize = 20;

#[derive(Debug, Args)]
pub(crate) struct TranslateArgs {
    /// Only count what would be translated and how much the cache answers (the
    /// default): no LLM call, no change.
    #[arg(long, conflicts_with = "execute")]
    pub(crate) dry_run: bool,
    /// Translate the titles that are pending or failed.
    #[arg(long)]
    pub(crate) execute: bool,
    /// Every title, whatever its status (completed and skipped ones too), translated
    /// again: the LLM is asked afresh (its new answers replace the cached ones); unless
    /// --dry-run is given.
    #[arg(long, conflicts_with = "reclean")]
    pub(crate) force: bool,
    /// Every title, whatever its status, from the cached LLM answers cleaned again (after
    /// a cleaner update); only titles without a cached answer ask the LLM. Unless
    /// --dry-run is given.
    #[arg(long)]
    pub(crate) reclean: bool,
    /// Ask the LLM even when the cache holds an answer; the new answer replaces it.
    #[arg(long)]
    pub(crate) no_cache: bool,
    /// The translator profile to use instead of `translator.active`.
    #[arg(long)]
    pub(crate) profile: Option<String>,
}

/// Runs `kura translate`.
pub(super) async fn run(config: &Config, args: TranslateArgs) -> anyhow::Result<ExitCode> {
    let profile = match &args.profile {
        Some(name) => config.translator.profiles.get(name).with_context(|| {
            let known: Vec<&str> = config
                .translator
                .profiles
                .keys()
                .map(String::as_str)
                .collect();
            format!(
                "no translator profile `{name}` in the config (known: {})",
                known.join(", ")
            )
        })?,
        None => config.translator.active_profile().context(
            "no translator profile is active: set translator.active in the config or pass --profile",
        )?,
    };
    let store = super::database::open_current_or_new(config).await?;
    let plugins = super::offline_host(config).await?;
    let translator = Translator::new(profile.clone(), &config.fetch, store.clone(), plugins)
        .context("cannot set up the translator")?;
    let every = args.force || args.reclean;
    let options = TranslateOptions {
        force: every,
        // A forced translation is a fresh answer; a re-clean reads the cache.
        skip_cache: args.no_cache || args.force,
        retry_follows: false,
    };
    let statuses = [TranslationStatus::Pending, TranslationStatus::Failed];
    let sources = store
        .translation_sources((!every).then_some(&statuses[..]))
        .await?;
    println!(
        "profile {}: model {} at {}",
        profile.name,
        profile.model,
        crate::translate::endpoint(&profile.url, profile.api)
    );
    print_counts(&store).await?;
    let code = if (args.execute || every) && !args.dry_run {
        execute(&translator, &sources, options).await
    } else {
        dry_run(&translator, &sources, options, &profile.target_language).await?;
        ExitCode::SUCCESS
    };
    store.close().await;
    Ok(code)
}

async fn print_counts(store: &Store) -> anyhow::Result<()> {
    let counts = store.translation_counts().await?;
    let count = |status| {
        counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    };
    let parts: Vec<String> = TranslationStatus::ALL
        .iter()
        .map(|status| format!("{} {status}", count(*status)))
        .collect();
    println!("titles: {}", parts.join(", "));
    Ok(())
}

async fn dry_run(
    translator: &Translator,
    sources: &[TranslationSource],
    options: TranslateOptions,
    target_language: &str,
) -> anyhow::Result<()> {
    let (mut cached, mut ask, mut skip) = (0, 0, 0);
    for source in sources {
        match translator.plan(source, options).await? {
            Some(Plan::Cached) => cached += 1,
            Some(Plan::AskLlm) => ask += 1,
            Some(Plan::Skip(_)) => skip += 1,
            None => {}
        }
    }
    println!(
        "would translate {}: {cached} from the cache, {ask} by the LLM; would skip {skip} \
         (empty, or already in {target_language})",
        cached + ask
    );
    println!(
        "dry run: nothing changed; --execute translates pending and failed titles, --force every title afresh, --reclean every title from the cached answers"
    );
    Ok(())
}

async fn execute(
    translator: &Translator,
    sources: &[TranslationSource],
    options: TranslateOptions,
) -> ExitCode {
    let progress = ProgressBar::new(sources.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} titles ({per_sec}, eta {eta}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut translated, mut cached, mut skipped, mut unchanged) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for source in sources {
        progress.set_message(source.code.clone());
        let outcome = match crate::code::normalize(&source.code) {
            Ok(code) => translator
                .translate(&code, options)
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(format!("{error} (run `kura fix-codes`)")),
        };
        match outcome {
            Ok(Outcome::Translated { cached: hit, .. }) => {
                translated += 1;
                cached += usize::from(hit);
            }
            Ok(Outcome::Skipped { .. }) => skipped += 1,
            Ok(Outcome::Unchanged { .. }) => unchanged += 1,
            Err(reason) => failures.push((source.code.clone(), reason)),
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!(
        "{} titles: {translated} translated ({cached} from the cache), {skipped} skipped, \
         {unchanged} unchanged, {} failed",
        sources.len(),
        failures.len()
    );
    for (code, reason) in failures.iter().take(MAX_LISTED_FAILURES) {
        println!("  failed {code}: {reason}");
    }
    if failures.len() > MAX_LISTED_FAILURES {
        println!("  ... and {} more", failures.len() - MAX_LISTED_FAILURES);
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
