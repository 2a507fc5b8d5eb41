//! `X-Api-Key` authentication and the per-key rate limit, in front of every `/api/v1` route.
//! A key is checked for shape and checksum before anything else, then looked up through a
//! short-lived cache; the caller then acts as the key's user, with that user's roles.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use super::error::ApiError;
use super::rate_limit::Allowance;
use crate::domain::ApiKeySecret;
use crate::services::api_keys::{self, Verdict};
use crate::services::{now_ms, ServiceError};
use crate::state::AppState;

pub const API_KEY_HEADER: &str = "X-Api-Key";
const ADDON_TOKEN_HEADER: &str = "X-Addon-Token";
/// Query parameters that would carry a key in the address, where logs and proxies keep it.
const KEY_PARAMS: [&str; 5] = ["api-key", "api_key", "apikey", "x-api-key", "key"];

/// Who is calling: the key and the user it acts as. Handlers take it as `web::ReqData`.
#[derive(Debug, Clone, Copy)]
pub struct ApiCaller {
    pub user_id: i64,
    pub key_id: i64,
}

pub async fn require_api_key(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState is not registered")))?;
    if key_in_query(req.query_string()) {
        return Err(ApiError::key_in_query().into());
    }
    let secret = presented_key(req.headers())?;
    let caller = authenticate(&state, &secret).await?;
    let allowance = state.api.limiter.check(caller.key_id, Instant::now());
    if let Allowance::Limited { limit, retry_after_secs } = allowance {
        return Err(ApiError::too_many_requests(limit, retry_after_secs).into());
    }
    record_use(&state, caller.key_id);
    req.extensions_mut().insert(caller);
    let mut response = next.call(req).await?;
    if let Allowance::Allowed { limit, remaining } = allowance {
        let headers = response.headers_mut();
        headers.insert(HeaderName::from_static("x-ratelimit-limit"), HeaderValue::from(limit));
        headers.insert(HeaderName::from_static("x-ratelimit-remaining"), HeaderValue::from(remaining));
    }
    Ok(response)
}

fn key_in_query(query: &str) -> bool {
    query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .any(|name| KEY_PARAMS.iter().any(|k| name.eq_ignore_ascii_case(k)))
}

/// Exactly one `X-Api-Key` header, well-formed. Two credentials, or none, are refused as
/// Clockify refuses them (code 1000).
fn presented_key(headers: &HeaderMap) -> Result<ApiKeySecret, ApiError> {
    let mut keys = headers.get_all(API_KEY_HEADER);
    let (Some(key), None) = (keys.next(), keys.next()) else {
        return Err(ApiError::no_credentials());
    };
    if headers.contains_key(ADDON_TOKEN_HEADER) {
        return Err(ApiError::no_credentials());
    }
    let key = key.to_str().map_err(|_| ApiError::malformed_key())?;
    ApiKeySecret::parse(key.trim()).map_err(|_| ApiError::malformed_key())
}

/// The verdict on a well-formed key: from the cache when fresh, else one query.
pub async fn authenticate(state: &AppState, secret: &ApiKeySecret) -> Result<ApiCaller, ApiError> {
    let hash = secret.hash();
    let now = Instant::now();
    let row = match state.api.keys.get(&hash, now) {
        Some(row) => Some(row),
        None => {
            let lookup = hash.clone();
            let row = state.db.read(move |conn| api_keys::lookup(conn, &lookup)).await?;
            if let Some(row) = &row {
                state.api.keys.put(hash.clone(), row.clone(), now);
            }
            row
        }
    };
    match api_keys::verdict(row.as_ref(), &hash, now_ms()) {
        Verdict::Valid { key_id, user_id, .. } => Ok(ApiCaller { user_id, key_id }),
        Verdict::Expired => Err(ApiError::expired_key()),
        Verdict::Unknown => Err(ApiError::unknown_key()),
    }
}

/// Writes "last used" when due (at most once a minute per key), off the request's path.
fn record_use(state: &web::Data<AppState>, key_id: i64) {
    let now = now_ms();
    if !state.api.last_used.due(key_id, now) {
        return;
    }
    let state = state.clone();
    actix_web::rt::spawn(async move {
        let written: Result<(), ServiceError> =
            state.db.write(move |conn| api_keys::record_use(conn, key_id, now)).await;
        if let Err(e) = written {
            tracing::warn!(error = %e, key_id, "cannot record an API key's last use");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_the_address_are_spotted() {
        assert!(key_in_query("api-key=kh_x"));
        assert!(key_in_query("page=1&X-Api-Key=kh_x"));
        assert!(!key_in_query("page=1&page-size=50"));
        assert!(!key_in_query(""));
    }
}
