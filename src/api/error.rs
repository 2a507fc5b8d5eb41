//! Errors of the REST API: JSON `{"message", "code"}` with Clockify's codes where it has them
//! (1000 no or two credentials, 4003 a key that does not work, 501 a validation error, 3000 an
//! unknown route), and the HTTP status as the code otherwise.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::dto::ErrorDto;
use crate::services::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: u32,
    message: String,
    retry_after_secs: Option<u64>,
    limit: Option<u32>,
    /// The methods a path takes, sent as `Allow` with a 405.
    allow: Option<String>,
    cause: Option<anyhow::Error>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl ApiError {
    fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after_secs: None, limit: None, allow: None, cause: None }
    }

    pub fn no_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            1000,
            "Multiple or none auth tokens present. Send one X-Api-Key (or X-Addon-Token) header.",
        )
    }

    pub fn malformed_key() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 4003, "The API key is malformed: check that it was copied whole.")
    }

    pub fn unknown_key() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 4003, "Api key does not exist: the API key is not valid.")
    }

    pub fn expired_key() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 4003, "The API key has expired.")
    }

    pub fn invalid_addon_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 4017, "Token is not valid: the add-on token is unknown or was uninstalled.")
    }

    pub fn addon_not_allowed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            403,
            "An add-on token acts in its own workspace only; this endpoint needs an X-Api-Key.",
        )
    }

    pub fn key_in_query() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 400, "Send the API key in the X-Api-Key header, never in the address.")
    }

    pub fn too_many_requests(limit: u32, retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            limit: Some(limit),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, 429, "Too many requests")
        }
    }

    /// A path the API does not have: said with the method and the path, ids written as
    /// `{id}` (and a long path cut), so a client sees which call it got wrong.
    pub fn unknown_route(method: &str, path: &str) -> Self {
        let templated: Vec<&str> = path
            .split('/')
            .map(|segment| if crate::domain::is_public_id(segment) { "{id}" } else { segment })
            .collect();
        let mut shown = templated.join("/");
        if shown.chars().count() > 200 {
            shown = shown.chars().take(200).collect::<String>() + "…";
        }
        Self::new(
            StatusCode::NOT_FOUND,
            3000,
            format!("No such endpoint: {method} {shown}. The endpoints are listed in /api/openapi.json."),
        )
    }

    /// A method the path does not take; `allowed` are those it does.
    pub fn method_not_allowed(method: &str, allowed: &[&str]) -> Self {
        let allow = allowed.iter().map(|m| m.to_ascii_uppercase()).collect::<Vec<_>>().join(", ");
        Self {
            allow: Some(allow.clone()),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                3000,
                format!("Request method '{method}' is not supported here; use {allow}."),
            )
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 501, message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, 413, message)
    }

    pub fn internal(cause: anyhow::Error) -> Self {
        Self {
            cause: Some(cause),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, 500, "Internal error. It has been logged.")
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { field, message } => Self::bad_request(format!("{field}: {message}")),
            ServiceError::NotFound => Self::new(StatusCode::NOT_FOUND, 404, "Not found."),
            ServiceError::Forbidden(message) => Self::new(StatusCode::FORBIDDEN, 403, message),
            ServiceError::RateLimited { message, retry_after_secs } => Self {
                retry_after_secs: Some(retry_after_secs),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, 429, message)
            },
            ServiceError::Internal(cause) => Self::internal(cause),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(e)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(error = ?cause, "API request failed");
        }
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        if let Some(limit) = self.limit {
            response.insert_header(("X-RateLimit-Limit", limit.to_string()));
            response.insert_header(("X-RateLimit-Remaining", "0"));
        }
        response.json(ErrorDto { message: self.message.clone(), code: self.code })
    }
}
