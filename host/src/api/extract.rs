//! The API's extractors: a JSON body or a query string read as a type, where every
//! rejection (syntax, a field of the wrong type, an unknown field, a body over the limit,
//! a wrong content type) is the one `{code, message}` error.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

use super::error::{ApiError, ErrorCode};

/// A JSON body read as `T`; a bad one is `bad_body` (the message names the field),
/// `body_too_large` or `unsupported_media_type`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ApiJson<T>(pub T);

/// A JSON body that may be left out: no body at all reads as `T::default()`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct OptionalJson<T>(pub T);

/// A query string read as `T`; a bad one is `bad_request`.
#[derive(Debug, Clone, Default)]
pub(super) struct ApiQuery<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match read_json(request, state).await? {
            Some(value) => Ok(Self(value)),
            None => Err(ApiError::new(
                ErrorCode::BadBody,
                "the request needs a JSON body",
            )),
        }
    }
}

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Ok(Self(read_json(request, state).await?.unwrap_or_default()))
    }
}

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| {
                ApiError::with_status(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadRequest,
                    rejection.body_text(),
                )
            })
    }
}

/// The body as `T`, or `None` when there is none. A body needs a JSON content type.
async fn read_json<S, T>(request: Request, state: &S) -> Result<Option<T>, ApiError>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(is_json_type);
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|rejection| ApiError::body_rejection(rejection.status(), rejection.body_text()))?;
    // No body at all, sent without a JSON content type, is a body left out; with one it
    // must be JSON.
    if !is_json && bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if !is_json {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "a body must be sent as `Content-Type: application/json`",
        ));
    }
    let mut reader = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut reader).map_err(|error| {
        let message = crate::util::field_error(&error);
        ApiError::with_status(status_of(error.inner()), ErrorCode::BadBody, message)
    })?;
    reader.end().map_err(|error| {
        ApiError::with_status(status_of(&error), ErrorCode::BadBody, error.to_string())
    })?;
    Ok(Some(value))
}

/// 400 for text that is not JSON, 422 for JSON that does not fit the type (as axum's
/// own `Json` answers).
fn status_of(error: &serde_json::Error) -> StatusCode {
    match error.classify() {
        serde_json::error::Category::Data => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `application/json`, or an `application/...+json` type, parameters aside.
fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}
