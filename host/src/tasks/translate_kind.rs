//! `translate {code, force?, no_cache?}` (N-C1, N-C3): one resource's title through the
//! active translator profile, on the general lane, deduplicated by code. An LLM that is
//! down, slow or garbled is retried as the queue's rules say; after the last attempt the
//! task ends failed and the resource's status is `failed` with the reason.
//!
//! [`TranslationTasks`] is how the library asks for translations (after an add, on a
//! refresh with `retranslate`) without knowing the queue: it submits this kind through a
//! weak handle, since the queue owns the kinds that own the library.

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::WeakTaskQueue;
use super::kind::{Prepared, TaskContext, TaskFailure, TaskKind};
use crate::code::{Code, normalize};
use crate::library::TranslationRequests;
use crate::store::Priority;
use crate::translate::{TranslateError, TranslateOptions, Translator};

/// The kind's name.
pub const TRANSLATE_KIND: &str = "translate";

/// The translate task kind; disabled when no translator profile is active.
pub struct Translate {
    pub translator: Option<Translator>,
}

fn switch(payload: &Value, key: &str) -> Result<bool, String> {
    match &payload[key] {
        Value::Null => Ok(false),
        Value::Bool(value) => Ok(*value),
        _ => Err(format!("`{key}` must be true or false")),
    }
}

impl TaskKind for Translate {
    fn name(&self) -> &'static str {
        TRANSLATE_KIND
    }

    fn enabled(&self) -> bool {
        self.translator.is_some()
    }

    fn prepare(&self, payload: Value) -> Result<Prepared, String> {
        let text = payload["code"]
            .as_str()
            .ok_or("`code` (a string) is required")?;
        let code = normalize(text).map_err(|error| error.to_string())?;
        Ok(Prepared {
            payload: json!({
                "code": code.as_str(),
                "force": switch(&payload, "force")?,
                "no_cache": switch(&payload, "no_cache")?,
            }),
            dedup_key: Some(code.as_str().to_owned()),
        })
    }

    fn run(&self, context: TaskContext) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let translator = self.translator.clone();
        Box::pin(async move {
            let translator = translator.ok_or_else(|| {
                TaskFailure::Fatal("no translator profile is active (translator.active)".into())
            })?;
            let text = context.text("code")?;
            let code = normalize(&text).map_err(|error| TaskFailure::Fatal(error.to_string()))?;
            let payload = &context.task.payload;
            let options = TranslateOptions {
                force: switch(payload, "force").map_err(TaskFailure::Fatal)?,
                skip_cache: switch(payload, "no_cache").map_err(TaskFailure::Fatal)?,
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
            match outcome {
                Ok(outcome) => serde_json::to_value(outcome)
                    .map_err(|error| TaskFailure::Fatal(error.to_string())),
                Err(error) => Err(failure(error)),
            }
        })
    }
}

async fn release(translator: &Translator, code: &Code) {
    if let Err(error) = translator.release(code).await {
        tracing::warn!(code = %code, %error, "cancelled translation left as translating");
    }
}

/// A retryable error is retried; the stable error code leads a final one's message.
fn failure(error: TranslateError) -> TaskFailure {
    match &error {
        TranslateError::NotInLibrary(_) => {
            TaskFailure::Fatal(format!("resource_not_found: {error}"))
        }
        _ if error.is_retryable() => TaskFailure::Retry(error.to_string()),
        _ => TaskFailure::Fatal(error.to_string()),
    }
}

/// The library's translation requests, as `translate` tasks.
pub struct TranslationTasks {
    queue: WeakTaskQueue,
}

impl TranslationTasks {
    pub fn new(queue: WeakTaskQueue) -> Self {
        Self { queue }
    }
}

impl TranslationRequests for TranslationTasks {
    fn request<'a>(&'a self, code: &'a Code, force: bool) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let queue = self.queue.upgrade().ok_or("the task queue has stopped")?;
            let submitted = queue
                .submit(
                    TRANSLATE_KIND,
                    json!({ "code": code.as_str(), "force": force }),
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
