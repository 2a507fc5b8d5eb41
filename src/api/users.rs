//! `GET /api/v1/user`: the caller.

use actix_web::{web, HttpResponse};

use super::auth::ApiCaller;
use super::error::ApiError;
use crate::dto::{ErrorDto, UserDto};
use crate::services::directory;
use crate::state::AppState;

/// The user the API key acts as, with every workspace membership and their settings.
#[utoipa::path(
    get, operation_id = "getCurrentUser",
    path = "/api/v1/user",
    tag = "users",
    responses(
        (status = 200, description = "The caller", body = UserDto),
        (status = 401, description = "No key, a malformed, unknown or expired key", body = ErrorDto),
        (status = 429, description = "Over the key's rate limit", body = ErrorDto),
    ),
    security(("ApiKeyAuth" = []))
)]
pub async fn current_user(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.own_user()?;
    let user = state.db.read(move |conn| directory::current_user(conn, user_id)).await?;
    Ok(HttpResponse::Ok().json(user))
}
