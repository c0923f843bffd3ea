//! The one table of stable error codes: their snake_case wire form, HTTP status and
//! meaning. The API answers with them and finished tasks carry them.

use http::StatusCode;
use serde::{Deserialize, Serialize};

/// Declares [`ErrorCode`] and its table from one list, so a code, its wire form, its
/// status and its description are written once.
macro_rules! error_codes {
    ($($variant:ident => $wire:literal, $status:ident, $meaning:literal;)+) => {
        /// A stable error code. The wire form never changes once released.
        ///
        /// Serde's snake_case of each variant is its wire form (a unit test checks it
        /// against the table), so the OpenAPI schema shows the same strings.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $(
                #[doc = $meaning]
                $variant,
            )+
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub(crate) const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The snake_case wire form.
            pub(crate) const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)+
                }
            }

            /// The HTTP status the API answers this code with, unless a route says
            /// otherwise (a framework rejection keeps its own status).
            pub(crate) const fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)+
                }
            }
        }
    };
}

error_codes! {
    BadRequest => "bad_request", BAD_REQUEST, "a query parameter or path segment is malformed or unknown";
    BadBody => "bad_body", BAD_REQUEST, "the request body is not the JSON (or file) the route takes";
    BodyTooLarge => "body_too_large", PAYLOAD_TOO_LARGE, "the request body is over the route's limit";
    UnsupportedMediaType => "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "the body's content type is not one the route takes";
    MethodNotAllowed => "method_not_allowed", METHOD_NOT_ALLOWED, "the route exists but not with this method";
    NotFound => "not_found", NOT_FOUND, "no such route or file";
    RequestTimeout => "request_timeout", REQUEST_TIMEOUT, "the request took longer than server.request_timeout_ms";
    BadCode => "bad_code", BAD_REQUEST, "the text is not a catalog code";
    BadCursor => "bad_cursor", BAD_REQUEST, "the list cursor is malformed, or was made for another sort or order";
    CodeNotFound => "code_not_found", NOT_FOUND, "no enabled source knows the code (every lookup is in the message or result)";
    ResourceNotFound => "resource_not_found", NOT_FOUND, "the code is not in the library";
    PersonNotFound => "person_not_found", NOT_FOUND, "no person has that id";
    NoCover => "no_cover", NOT_FOUND, "the resource has no stored cover";
    NoAvatar => "no_avatar", NOT_FOUND, "the person has no stored avatar";
    NoVideo => "no_video", NOT_FOUND, "the resource has no downloaded video on disk";
    NoSubtitles => "no_subtitles", NOT_FOUND, "the video has no saved subtitles of that tag";
    RangeNotSatisfiable => "range_not_satisfiable", RANGE_NOT_SATISFIABLE, "the requested byte range lies outside the file";
    PluginNotFound => "plugin_not_found", NOT_FOUND, "no plugin of that name is loaded";
    PluginRejected => "plugin_rejected", UNPROCESSABLE_ENTITY, "the uploaded component failed a check (manifest, WIT, imports, smoke test, golden cases)";
    PluginDisabled => "plugin_disabled", CONFLICT, "the plugin is switched off";
    WrongPluginKind => "wrong_plugin_kind", BAD_REQUEST, "the plugin is not of the kind the call needs";
    PluginError => "plugin_error", BAD_GATEWAY, "the plugin answered with an error";
    PluginTimeout => "plugin_timeout", GATEWAY_TIMEOUT, "the plugin call ran past its deadline";
    PluginCrashed => "plugin_crashed", BAD_GATEWAY, "the plugin trapped or hit its memory cap";
    NoPreviousVersion => "no_previous_version", CONFLICT, "there is no earlier version to roll back to";
    ReportNotFound => "report_not_found", NOT_FOUND, "no maintenance report has that name";
    UnknownTaskType => "unknown_task_type", BAD_REQUEST, "no task kind has that name";
    TaskTypeDisabled => "task_type_disabled", FORBIDDEN, "the task kind is switched off in the configuration";
    BadTaskData => "bad_task_data", BAD_REQUEST, "the task's data does not fit its kind (the message names the field)";
    TaskNotFound => "task_not_found", NOT_FOUND, "no task has that id";
    TaskActive => "task_active", CONFLICT, "the task is still pending or running";
    TaskFailed => "task_failed", BAD_GATEWAY, "the task failed (the message says why)";
    TaskCancelled => "task_cancelled", CONFLICT, "the task was cancelled";
    WebsocketRequired => "websocket_required", BAD_REQUEST, "the route speaks WebSocket only";
    ForbiddenHost => "forbidden_host", MISDIRECTED_REQUEST, "the request's Host or authority is not one this server answers to";
    ForbiddenOrigin => "forbidden_origin", FORBIDDEN, "the request's Origin is not allowed to change anything";
    Unauthorized => "unauthorized", UNAUTHORIZED, "a valid bearer token is required";
    BadSettingKey => "bad_setting_key", BAD_REQUEST, "a settings key is empty or longer than 128 bytes";
    TooManySettings => "too_many_settings", PAYLOAD_TOO_LARGE, "the settings would hold more than 256 keys";
    SettingsTooLarge => "settings_too_large", PAYLOAD_TOO_LARGE, "the settings would take more than 256 KiB";
    ShuttingDown => "shutting_down", SERVICE_UNAVAILABLE, "the server is stopping";
    IndexMalformed => "index_malformed", BAD_GATEWAY, "an index file is not the format it should be";
    IndexSignatureInvalid => "index_signature_invalid", BAD_GATEWAY, "an index or root file is not signed by enough of the keys it must be";
    IndexRollback => "index_rollback", BAD_GATEWAY, "an index or root offered is older than one already verified";
    IndexEquivocation => "index_equivocation", BAD_GATEWAY, "an index version was verified before with other bytes";
    IndexExpired => "index_expired", BAD_GATEWAY, "the index or its root has expired; updates wait for the publisher to sign it again";
    IndexUnreachable => "index_unreachable", BAD_GATEWAY, "an index file could not be fetched";
    IndexNotFound => "index_not_found", NOT_FOUND, "no index of that name is configured";
    ArtifactMismatch => "artifact_mismatch", BAD_GATEWAY, "a release's file differs from the length or sha256 the index lists";
    AuthorSignatureInvalid => "author_signature_invalid", BAD_GATEWAY, "a release is not signed by its plugin's author keys";
    ReleaseMismatch => "release_mismatch", BAD_GATEWAY, "a release's manifest differs from its index entry (name, version, kind, WIT, hosts)";
    ReleaseIncompatible => "release_incompatible", CONFLICT, "no release of the plugin runs on this host (the message names both versions)";
    ReleaseNotFound => "release_not_found", NOT_FOUND, "the index lists no such plugin or version";
    CanaryFailed => "canary_failed", UNPROCESSABLE_ENTITY, "a release failed its probes, offline or against the real site where the running version passed";
    CanaryInconclusive => "canary_inconclusive", SERVICE_UNAVAILABLE, "the site failed the release's live probes while the running version passed them; tried again later";
    ApprovalStale => "approval_stale", CONFLICT, "the approval does not match what is pending (the index changed meanwhile)";
    PublishRefused => "publish_refused", UNPROCESSABLE_ENTITY, "the index refuses the release (the message says which check failed)";
    Internal => "internal", INTERNAL_SERVER_ERROR, "the server failed; the message holds only an id that its log explains";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == text)
            .ok_or_else(|| format!("unknown error code `{text}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            let wire = code.as_str();
            assert!(seen.insert(wire), "{wire} twice");
            assert!(
                wire.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{wire}"
            );
            assert_eq!(serde_json::to_value(code).unwrap(), wire);
            assert_eq!(wire.parse::<ErrorCode>().unwrap(), *code);
            assert!(
                code.status().is_client_error() || code.status().is_server_error(),
                "{wire}"
            );
        }
    }

    /// ARCHITECTURE.md lists exactly the codes of the table.
    #[test]
    fn architecture_lists_every_code() {
        let doc = include_str!("../../ARCHITECTURE.md");
        let line = doc
            .lines()
            .find(|line| line.starts_with("- Error codes"))
            .expect("ARCHITECTURE.md has an `- Error codes` line");
        let listed: std::collections::BTreeSet<&str> = line
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|word| word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .collect();
        let table: std::collections::BTreeSet<&str> =
            ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(
            listed, table,
            "ARCHITECTURE.md's `- Error codes` line and ErrorCode differ"
        );
    }
}
