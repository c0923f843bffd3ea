//! Title translation (N-C1..N-C6): a server speaking the Ollama API translates a
//! resource's title, the active cleaner plugin cleans the answer (N-C4), and the store
//! keeps the clean title with the profile, model and cleaner that made it.
//!
//! `ollama.rs` is the client (request bodies, answer parsing, which errors are worth a
//! retry); `prompt.rs` renders the template and names the cache key; `language.rs`
//! decides which titles need no translation. The `translate` task kind
//! (`tasks/translate_kind.rs`) and `kura translate` (`cli/translate.rs`) call
//! [`Translator::translate`].
//!
//! Raw answers are cached by (API, model, rendered prompt) and the source text, so
//! asking again costs no LLM call; the cache holds the raw answer, so the cleaner runs
//! every time and a new cleaner applies at once.

mod language;
mod ollama;
mod prompt;

use std::sync::Arc;

use serde::Serialize;

pub(crate) use ollama::{LlmError, OllamaClient, endpoint};

use language::skip_reason;
use prompt::{prompt_hash, render_prompt};

use crate::code::Code;
use crate::config::{FetchConfig, TranslatorProfile};
use crate::fetch::FetchError;
use crate::plugins::{CallError, PluginHost, PluginKind};
use crate::store::{Store, StoreError, TranslationRecord, TranslationSource, TranslationStatus};

/// Swaps of the cleaner during one clean after which its answer is taken anyway.
const MAX_CLEANER_SWAPS: usize = 2;

/// Why a title was not translated.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TranslateError {
    #[error("{0} is not in the library")]
    NotInLibrary(String),
    #[error("translator `{profile}`: {error}")]
    Llm { profile: String, error: LlmError },
    #[error("no enabled cleaner plugin to clean the answer")]
    NoCleaner,
    #[error("cleaner {plugin}@{version}: {error}")]
    Cleaner {
        plugin: String,
        version: String,
        error: CallError,
    },
    #[error("cleaner {plugin}@{version} left an empty title")]
    EmptyTitle { plugin: String, version: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TranslateError {
    /// Whether another attempt later may succeed.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            Self::NotInLibrary(_) => false,
            Self::Llm { error, .. } => error.retryable,
            // A cleaner may be dropped in, fixed or swapped; the LLM may answer better.
            Self::NoCleaner | Self::Cleaner { .. } | Self::EmptyTitle { .. } | Self::Store(_) => {
                true
            }
        }
    }
}

/// What a translation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// A new translated title was stored.
    Translated {
        code: String,
        source_text: String,
        title: String,
        /// The LLM's answer came from the cache.
        cached: bool,
        profile: String,
        model: String,
        cleaner: String,
        cleaner_version: String,
    },
    /// The title is empty or already in the target language.
    Skipped { code: String, reason: String },
    /// Already completed or skipped, and not forced: nothing was done.
    Unchanged {
        code: String,
        status: TranslationStatus,
    },
}

/// How one translation runs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TranslateOptions {
    /// Translate even a title already completed or skipped.
    pub(crate) force: bool,
    /// Ask the LLM even when the cache holds an answer (the new answer replaces it).
    pub(crate) skip_cache: bool,
    /// Another attempt follows a retryable failure: the status goes back to `pending`
    /// (with the reason) instead of `failed`.
    pub(crate) retry_follows: bool,
}

/// What a translation would do, without doing it (`kura translate --dry-run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    Skip(String),
    /// Answered from the cache.
    Cached,
    /// Asks the LLM.
    AskLlm,
}

/// The translator of the active profile: cheap to clone.
#[derive(Clone)]
pub(crate) struct Translator {
    inner: Arc<Inner>,
}

struct Inner {
    profile: TranslatorProfile,
    client: OllamaClient,
    store: Store,
    plugins: PluginHost,
}

/// The answer of the LLM (or the cache) once cleaned.
struct Cleaned {
    title: String,
    cached: bool,
    cleaner: String,
    cleaner_version: String,
}

impl Translator {
    /// A translator for `profile`, reaching its server with the settings of `fetch`.
    pub(crate) fn new(
        profile: TranslatorProfile,
        fetch: &FetchConfig,
        store: Store,
        plugins: PluginHost,
    ) -> Result<Self, FetchError> {
        let client = OllamaClient::new(&profile, fetch)?;
        Ok(Self {
            inner: Arc::new(Inner {
                profile,
                client,
                store,
                plugins,
            }),
        })
    }

    /// Translates `code`'s title: pending -> translating -> completed, or skipped when
    /// there is nothing to translate; a failure is recorded with its reason (`failed`,
    /// or `pending` when `options.retry_follows` and it is worth a retry) and returned.
    pub(crate) async fn translate(
        &self,
        code: &Code,
        options: TranslateOptions,
    ) -> Result<Outcome, TranslateError> {
        let store = &self.inner.store;
        let source = store
            .translation_source(code.as_str())
            .await?
            .ok_or_else(|| TranslateError::NotInLibrary(code.to_string()))?;
        if !options.force
            && matches!(
                source.status,
                TranslationStatus::Completed | TranslationStatus::Skipped
            )
        {
            return Ok(Outcome::Unchanged {
                code: code.to_string(),
                status: source.status,
            });
        }
        let text = source.text().to_owned();
        if let Some(reason) = skip_reason(&text, &self.inner.profile.target_language) {
            store.skip_translation(code.as_str()).await?;
            tracing::info!(code = %code, %reason, "translation skipped");
            return Ok(Outcome::Skipped {
                code: code.to_string(),
                reason,
            });
        }
        store.start_translation(code.as_str()).await?;
        let profile = &self.inner.profile;
        let done = async {
            let cleaned = self.ask_and_clean(code, &text, options.skip_cache).await?;
            let record = TranslationRecord {
                title: &cleaned.title,
                profile: &profile.name,
                model: &profile.model,
                cleaner: &cleaned.cleaner,
                cleaner_version: &cleaned.cleaner_version,
            };
            store.finish_translation(code.as_str(), &record).await?;
            Ok::<_, TranslateError>(cleaned)
        };
        match done.await {
            Ok(cleaned) => {
                tracing::info!(
                    code = %code, title = %cleaned.title, cached = cleaned.cached,
                    cleaner = %cleaned.cleaner, version = %cleaned.cleaner_version, "title translated"
                );
                Ok(Outcome::Translated {
                    code: code.to_string(),
                    source_text: text,
                    title: cleaned.title,
                    cached: cleaned.cached,
                    profile: profile.name.clone(),
                    model: profile.model.clone(),
                    cleaner: cleaned.cleaner,
                    cleaner_version: cleaned.cleaner_version,
                })
            }
            Err(error) => {
                let status = if options.retry_follows && error.is_retryable() {
                    TranslationStatus::Pending
                } else {
                    TranslationStatus::Failed
                };
                let reason = error.to_string();
                tracing::warn!(code = %code, %status, %reason, "translation failed");
                if let Err(store_error) =
                    store.fail_translation(code.as_str(), status, &reason).await
                {
                    tracing::warn!(code = %code, %store_error, "translation failure not recorded");
                }
                Err(error)
            }
        }
    }

    /// Puts a translation that was stopped midway back to `pending`.
    pub(crate) async fn release(&self, code: &Code) -> Result<(), StoreError> {
        self.inner
            .store
            .release_translation(code.as_str())
            .await
            .map(drop)
    }

    /// What [`Self::translate`] would do for `source` with `options`, without an LLM call
    /// or a write: skip, answer from the cache, or ask the LLM. None: nothing to do
    /// (already done and not forced).
    pub(crate) async fn plan(
        &self,
        source: &TranslationSource,
        options: TranslateOptions,
    ) -> Result<Option<Plan>, StoreError> {
        if !options.force
            && matches!(
                source.status,
                TranslationStatus::Completed | TranslationStatus::Skipped
            )
        {
            return Ok(None);
        }
        let text = source.text();
        if let Some(reason) = skip_reason(text, &self.inner.profile.target_language) {
            return Ok(Some(Plan::Skip(reason)));
        }
        if options.skip_cache {
            return Ok(Some(Plan::AskLlm));
        }
        let (key, _) = self.request(&source.code, text);
        let cached = self.inner.store.cached_answer(&key, text).await?;
        Ok(Some(if cached.is_some() {
            Plan::Cached
        } else {
            Plan::AskLlm
        }))
    }

    /// The cache key and the prompt for `text` of `code`.
    fn request(&self, code: &str, text: &str) -> (String, String) {
        let profile = &self.inner.profile;
        let prompt = render_prompt(&profile.prompt, text, code);
        let key = prompt_hash(profile.api, &profile.model, &prompt);
        (key, prompt)
    }

    /// The raw answer (cached, or from the LLM), cleaned by the active cleaner. A raw
    /// answer is cached once a cleaner made a title of it; a cached one no cleaner can
    /// use is dropped, so the next attempt asks the LLM again.
    async fn ask_and_clean(
        &self,
        code: &Code,
        text: &str,
        skip_cache: bool,
    ) -> Result<Cleaned, TranslateError> {
        let store = &self.inner.store;
        let profile = &self.inner.profile;
        let (key, prompt) = self.request(code.as_str(), text);
        let cached = if skip_cache {
            None
        } else {
            store.cached_answer(&key, text).await?
        };
        let (raw, from_cache) = match cached {
            Some(raw) => (raw, true),
            None => {
                let raw = self.inner.client.complete(&prompt).await.map_err(|error| {
                    TranslateError::Llm {
                        profile: profile.name.clone(),
                        error,
                    }
                })?;
                (raw, false)
            }
        };
        match self.clean(&raw).await {
            Ok((title, cleaner, cleaner_version)) => {
                if !from_cache
                    && let Err(error) = store.cache_answer(&key, text, &profile.model, &raw).await
                {
                    tracing::warn!(code = %code, %error, "translation answer not cached");
                }
                Ok(Cleaned {
                    title,
                    cached: from_cache,
                    cleaner,
                    cleaner_version,
                })
            }
            Err(error) => {
                if from_cache
                    && matches!(
                        error,
                        TranslateError::Cleaner { .. } | TranslateError::EmptyTitle { .. }
                    )
                {
                    store.forget_answer(&key, text).await?;
                }
                Err(error)
            }
        }
    }

    /// Cleans `raw` with the enabled cleaner of the highest weight; returns the title and
    /// the cleaner's name and version. When the cleaner is swapped during the call, the
    /// call is made again (a few times at most), so the version recorded is the one that
    /// cleaned.
    async fn clean(&self, raw: &str) -> Result<(String, String, String), TranslateError> {
        let registry = self.inner.plugins.registry();
        let mut swaps_seen = 0;
        loop {
            let cleaner = registry
                .enabled_by_weight(PluginKind::Cleaner)
                .into_iter()
                .next()
                .ok_or(TranslateError::NoCleaner)?;
            let (plugin, version) = (cleaner.name().to_owned(), cleaner.version().to_owned());
            let cleaned = self.inner.plugins.clean(&plugin, raw).await;
            let swapped = registry
                .current(&plugin)
                .is_none_or(|current| current.sha256 != cleaner.sha256);
            if swapped && swaps_seen < MAX_CLEANER_SWAPS {
                swaps_seen += 1;
                continue;
            }
            let title = match cleaned {
                Ok(title) => title.trim().to_owned(),
                Err(error) => {
                    return Err(TranslateError::Cleaner {
                        plugin,
                        version,
                        error,
                    });
                }
            };
            if title.is_empty() {
                return Err(TranslateError::EmptyTitle { plugin, version });
            }
            return Ok((title, plugin, version));
        }
    }
}

/// The translator of the configured active profile, or None when translation is off.
pub(crate) fn from_config(
    config: &crate::config::Config,
    store: Store,
    plugins: PluginHost,
) -> Result<Option<Translator>, FetchError> {
    config
        .translator
        .active_profile()
        .map(|profile| Translator::new(profile.clone(), &config.fetch, store, plugins))
        .transpose()
}
