//! The error policy and its one mapping to HTTP.
//!
//! Handlers answer `Result<HttpResponse, AppError>`. A user's mistake on a form is handled in
//! the handler (the form is shown again with the message beside its field); whatever reaches
//! this module becomes an error page: 303 to sign-in, 403 with the reason, 404 that says
//! nothing of what exists, 429 with the wait, or an opaque 500 whose cause goes to the log
//! only. Under `/api/` the same errors answer JSON `{"message", "code"}`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::services::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in: go to `/login`, or `/setup` while no account exists.
    #[error("sign-in required")]
    SignIn { setup_needed: bool },
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { message, .. } => AppError::BadRequest(message),
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Forbidden(message) => AppError::Forbidden(message),
            ServiceError::RateLimited { message, retry_after_secs } => {
                AppError::RateLimited { message, retry_after_secs }
            }
            ServiceError::Internal(e) => AppError::Internal(e),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::SignIn { .. } => StatusCode::SEE_OTHER,
            AppError::Csrf | AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let AppError::SignIn { setup_needed } = self {
            let to = if *setup_needed { "/setup" } else { "/login" };
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .insert_header(("HX-Redirect", to))
                .finish();
        }
        let (title, message) = match self {
            AppError::Csrf => (
                "Request refused",
                "This form has expired or did not come from keyhook. Go back, reload the page and try again.",
            ),
            AppError::BadRequest(m) => ("Something is not right", m.as_str()),
            AppError::Forbidden(m) => ("Not allowed", m.as_str()),
            AppError::NotFound => ("Page not found", "There is nothing here, or you do not have access to it."),
            AppError::RateLimited { message, .. } => ("Too many requests", message.as_str()),
            AppError::Internal(cause) => {
                // The only place an internal error's cause is recorded; the answer stays opaque.
                tracing::error!(error = ?cause, "request failed");
                ("Something went wrong", "keyhook could not finish this request. It has been logged; please try again.")
            }
            AppError::SignIn { .. } => unreachable_sign_in(),
        };
        let page = ErrorPage { status: status.as_u16(), title, message };
        let mut response = HttpResponse::build(status);
        if let AppError::RateLimited { retry_after_secs, .. } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        match page.render() {
            Ok(html) => response.content_type("text/html; charset=utf-8").body(html),
            Err(e) => {
                tracing::error!(error = %e, "cannot render the error page");
                response.content_type("text/plain; charset=utf-8").body(message.to_owned())
            }
        }
    }
}

/// Handled before the match above; kept as a function so the match stays exhaustive
/// without a panic in the error path.
fn unreachable_sign_in() -> (&'static str, &'static str) {
    ("Sign in", "Sign in to continue.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(error: &AppError) -> String {
        let bytes = error.error_response().into_body().try_into_bytes().unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn internal_errors_are_opaque() {
        let error = AppError::Internal(anyhow::anyhow!("connection to db-7 refused: password=hunter2"));
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(&error);
        assert!(body.contains("Something went wrong"));
        assert!(!body.contains("hunter2") && !body.contains("db-7"));
    }

    #[test]
    fn each_error_has_its_status_and_page() {
        assert_eq!(AppError::NotFound.status_code(), StatusCode::NOT_FOUND);
        assert!(body_of(&AppError::NotFound).contains("Page not found"));
        let forbidden = AppError::Forbidden("Only the workspace's Owner can do this.".into());
        assert_eq!(forbidden.status_code(), StatusCode::FORBIDDEN);
        assert!(body_of(&forbidden).contains("Only the workspace&#39;s Owner can do this."));
        let limited = AppError::RateLimited { message: "Wait.".into(), retry_after_secs: 30 };
        assert_eq!(limited.error_response().headers().get("retry-after").map(|v| v.as_bytes()), Some(&b"30"[..]));
        let sign_in = AppError::SignIn { setup_needed: true }.error_response();
        assert_eq!(sign_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(sign_in.headers().get("location").map(|v| v.as_bytes()), Some(&b"/setup"[..]));
    }
}
