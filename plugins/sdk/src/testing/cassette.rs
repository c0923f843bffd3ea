//! The cassette file: recorded request/answer pairs as JSON.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::http::{FetchError, Response};

/// A list of interactions, in the order they happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cassette {
    /// The interactions.
    pub interactions: Vec<Interaction>,
}

/// One request and what came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interaction {
    /// What the plugin asked for.
    pub request: RecordedRequest,
    /// The answer, when the fetch succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<RecordedResponse>,
    /// The fetch error, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RecordedError>,
}

/// The matched part of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The absolute URL as the plugin passed it.
    pub url: String,
}

/// A recorded answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers as name/value pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body, as text or base64 (see `encoding`).
    #[serde(default)]
    pub body: String,
    /// `utf-8` (the default) or `base64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The URL of the last hop.
    pub final_url: String,
}

/// A recorded fetch error: `kind` is a WIT `fetch-error` case name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedError {
    /// `denied`, `invalid-url`, `timeout`, `too-large`, `too-many-redirects`,
    /// `budget-exhausted` or `network`.
    pub kind: String,
    /// The case's payload (text, or the size cap for `too-large`).
    #[serde(default)]
    pub detail: String,
}

impl Cassette {
    /// Reads a cassette file.
    pub fn load(path: &Path) -> Result<Cassette, String> {
        let text = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
        serde_json::from_str(&text).map_err(|error| error.to_string())
    }

    /// Writes the cassette, pretty-printed, creating parent directories.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| error.to_string())?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(|error| error.to_string())?;
        text.push('\n');
        std::fs::write(path, text).map_err(|error| error.to_string())
    }
}

impl Interaction {
    /// What the fetch returns for this interaction.
    pub fn outcome(&self) -> Result<Response, FetchError> {
        match (&self.response, &self.error) {
            (Some(response), _) => response.to_response(),
            (None, Some(error)) => Err(error.to_fetch_error()),
            (None, None) => Err(FetchError::Network(
                "cassette entry has neither response nor error".to_string(),
            )),
        }
    }

    /// Records an outcome.
    pub fn new(method: &str, url: &str, outcome: &Result<Response, FetchError>) -> Interaction {
        let request = RecordedRequest {
            method: method.to_string(),
            url: url.to_string(),
        };
        match outcome {
            Ok(response) => Interaction {
                request,
                response: Some(RecordedResponse::from_response(response)),
                error: None,
            },
            Err(error) => Interaction {
                request,
                response: None,
                error: Some(RecordedError::from_fetch_error(error)),
            },
        }
    }
}

impl RecordedResponse {
    fn to_response(&self) -> Result<Response, FetchError> {
        let body = match self.encoding.as_deref() {
            None | Some("utf-8") => self.body.clone().into_bytes(),
            Some("base64") => BASE64
                .decode(&self.body)
                .map_err(|error| FetchError::Network(format!("cassette base64: {error}")))?,
            Some(other) => {
                return Err(FetchError::Network(format!("cassette encoding `{other}`")));
            }
        };
        Ok(Response {
            status: self.status,
            headers: self.headers.clone(),
            body,
            final_url: self.final_url.clone(),
        })
    }

    fn from_response(response: &Response) -> RecordedResponse {
        let (body, encoding) = match String::from_utf8(response.body.clone()) {
            Ok(text) => (text, None),
            Err(_) => (BASE64.encode(&response.body), Some("base64".to_string())),
        };
        RecordedResponse {
            status: response.status,
            headers: response.headers.clone(),
            body,
            encoding,
            final_url: response.final_url.clone(),
        }
    }
}

impl RecordedError {
    fn to_fetch_error(&self) -> FetchError {
        let detail = self.detail.clone();
        match self.kind.as_str() {
            "denied" => FetchError::Denied(detail),
            "invalid-url" => FetchError::InvalidUrl(detail),
            "timeout" => FetchError::Timeout,
            "too-large" => FetchError::TooLarge(detail.parse().unwrap_or_default()),
            "too-many-redirects" => FetchError::TooManyRedirects,
            "budget-exhausted" => FetchError::BudgetExhausted,
            _ => FetchError::Network(detail),
        }
    }

    fn from_fetch_error(error: &FetchError) -> RecordedError {
        let detail = match error {
            FetchError::Denied(detail)
            | FetchError::InvalidUrl(detail)
            | FetchError::Network(detail) => detail.clone(),
            FetchError::TooLarge(cap) => cap.to_string(),
            FetchError::Timeout | FetchError::TooManyRedirects | FetchError::BudgetExhausted => {
                String::new()
            }
        };
        RecordedError {
            kind: error.kind().to_string(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_bodies_round_trip_as_base64() {
        let response = Response {
            status: 200,
            headers: vec![("content-type".into(), "image/jpeg".into())],
            body: vec![0xff, 0xd8, 0xff, 0x00],
            final_url: "http://127.0.0.1:8399/x.jpg".into(),
        };
        let interaction =
            Interaction::new("GET", "http://127.0.0.1:8399/x.jpg", &Ok(response.clone()));
        assert_eq!(
            interaction
                .response
                .as_ref()
                .and_then(|recorded| recorded.encoding.as_deref()),
            Some("base64")
        );
        assert_eq!(interaction.outcome(), Ok(response));
    }

    #[test]
    fn errors_round_trip() {
        for error in [
            FetchError::Denied("host not allowed".into()),
            FetchError::Timeout,
            FetchError::TooLarge(1024),
            FetchError::BudgetExhausted,
        ] {
            let interaction = Interaction::new("GET", "http://a.test/", &Err(error.clone()));
            assert_eq!(interaction.outcome(), Err(error));
        }
    }
}
