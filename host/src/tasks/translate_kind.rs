//! `translate {code, force?, no_cache?}` (N-C1, N-C3): one resource's title through the
//! active translator profile, on the general lane, deduplicated by code. An LLM that is
//! down, slow or garbled is retried as the queue's rules say; after the last attempt the
//! task ends failed and the resource's status is `failed` with the reason.
//!
//! [`TranslationTasks`] is how the library asks for translations (after an add, on a
//! refresh with `retranslate`) without knowing the queue: it submits this kind through a
//! weak handle, since the queue owns the kinds that own the library.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::WeakTaskQueue;
use super::kind::{TaskContext, TaskFailure, TaskKind};
use crate::code::Code;
use crate::error_code::ErrorCode;
use crate::library::{TranslationRequest, TranslationRequests};
use crate::store::Priority;
use crate::translate::{Outcome, TranslateError, TranslateOptions, Translator};

/// The kind's name.
pub(crate) const TRANSLATE_KIND: &str = "translate";

/// The translate task kind; disabled when no translator profile is active.
pub(crate) struct Translate {
    pub(crate) translator: Option<Translator>,
}

/// `translate {code, force?, no_cache?}`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TranslatePayload {
    #[schema(value_type = String, example = "DEMO-001")]
    pub(crate) code: Code,
    /// Translate even a title already translated (default false).
    #[serde(default)]
    pub(crate) force: bool,
    /// Ask the LLM again instead of using a cached answer (default false).
    #[serde(default)]
    pub(crate) no_cache: bool,
}

impl TaskKind for Translate {
    type Payload = TranslatePayload;
    type Output = Outcome;

    fn name(&self) -> &'static str {
        TRANSLATE_KIND
    }

    fn enabled(&self) -> bool {
        self.translator.is_some()
    }

    fn dedup_key(&self, payload: &TranslatePayload) -> Option<String> {
        Some(payload.code.as_str().to_owned())
    }

    fn run(
        &self,
        payload: TranslatePayload,
        context: TaskContext,
    ) -> BoxFuture<'static, Result<Outcome, TaskFailure>> {
        let translator = self.translator.clone();
        Box::pin(async move {
            let translator = translator.ok_or_else(|| {
                TaskFailure::fatal("no translator profile is active (translator.active)")
            })?;
            let code = payload.code;
            let options = TranslateOptions {
                force: payload.force,
                skip_cache: payload.no_cache,
                retry_follows: context.task.attempts < context.task.max_attempts,
            };
            context.progress(json!({ "code": code.as_str(), "step": "translating" }));
            let outcome = tokio::select! {
                outcome = translator.translate(&code, options) => outcome,
                () = context.cancel.cancelled() => {
                    release(&translator, &code).await;
                    return Err(TaskFailure::Cancelled);
                }
            };
            outcome.map_err(failure)
        })
    }
}

async fn release(translator: &Translator, code: &Code) {
    if let Err(error) = translator.release(code).await {
        tracing::warn!(code = %code, %error, "cancelled translation left as translating");
    }
}

/// A retryable error is retried; a missing resource has its own code.
fn failure(error: TranslateError) -> TaskFailure {
    match &error {
        TranslateError::NotInLibrary(_) => TaskFailure::Fatal {
            code: ErrorCode::ResourceNotFound,
            message: error.to_string(),
        },
        _ if error.is_retryable() => TaskFailure::retry(error.to_string()),
        _ => TaskFailure::fatal(error.to_string()),
    }
}

/// The library's translation requests, as `translate` tasks.
pub(crate) struct TranslationTasks {
    queue: WeakTaskQueue,
}

impl TranslationTasks {
    pub(crate) fn new(queue: WeakTaskQueue) -> Self {
        Self { queue }
    }
}

impl TranslationRequests for TranslationTasks {
    fn request<'a>(
        &'a self,
        code: &'a Code,
        how: TranslationRequest,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let queue = self.queue.upgrade().ok_or("the task queue has stopped")?;
            // A re-translation is a fresh answer; a re-clean reads the cached one.
            let (force, no_cache) = match how {
                TranslationRequest::New => (false, false),
                TranslationRequest::Retranslate => (true, true),
                TranslationRequest::Reclean => (true, false),
            };
            let submitted = queue
                .submit(
                    TRANSLATE_KIND,
                    json!({ "code": code.as_str(), "force": force, "no_cache": no_cache }),
                    Priority::Normal,
                )
                .await
                .map_err(|error| error.to_string())?;
            tracing::debug!(
                code = %code, task_id = submitted.task.id, deduplicated = submitted.deduplicated,
                "translation queued"
            );
            Ok(())
        })
    }
}
