//! Authentication and the per-credential rate limit, in front of every `/api/v1` route: an
//! `X-Api-Key` (a user's key: the caller acts as that user, with their roles) or an
//! `X-Addon-Token` (an add-on installation: the caller acts as an Admin of that one workspace).
//! A credential is checked for shape before anything else; keys are looked up through a
//! short-lived cache.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use super::error::ApiError;
use super::rate_limit::Allowance;
use crate::clock::now_ms;
use crate::db::addons::Addon;
use crate::db::DbConnection;
use crate::domain::{AddonToken, ApiKeySecret};
use crate::services::api_keys::{self, Verdict};
use crate::services::workspaces::{self, WorkspaceAccess};
use crate::services::ServiceResult;
use crate::state::AppState;

pub const API_KEY_HEADER: &str = "X-Api-Key";
pub const ADDON_TOKEN_HEADER: &str = "X-Addon-Token";
/// Query parameters that would carry a key in the address, where logs and proxies keep it.
const KEY_PARAMS: [&str; 5] = ["api-key", "api_key", "apikey", "x-api-key", "key"];

/// Who is calling: the credential and the user it acts as. Handlers take it as `web::ReqData`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiCaller {
    pub user_id: i64,
    pub credential: Credential,
    /// The workspaces an Admin revoked this key for (empty for add-ons).
    pub revoked_in: Vec<i64>,
}

/// What authenticated the request; rate limits are per credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Credential {
    ApiKey(i64),
    /// An add-on installation, bound to its workspace. It acts as the workspace's Owner's user
    /// (whose time entries it writes) with an Admin's role.
    Addon {
        addon_id: i64,
        workspace_id: i64,
    },
}

impl ApiCaller {
    /// The caller's access to the workspace with this public id (not found if out of reach:
    /// for an add-on, every workspace but its own).
    pub fn access(&self, conn: &mut DbConnection, workspace: &str) -> ServiceResult<WorkspaceAccess> {
        match self.credential {
            Credential::ApiKey(_) => {
                let access = workspaces::access(conn, self.user_id, workspace)?;
                api_keys::usable_in(&self.revoked_in, access.workspace.id)?;
                Ok(access)
            }
            Credential::Addon { addon_id, workspace_id } => {
                workspaces::addon_access(conn, (addon_id, workspace_id), self.user_id, workspace)
            }
        }
    }

    /// The user behind an API key, for the routes about a user rather than a workspace
    /// (`/v1/user`, `/v1/workspaces`), which add-on tokens may not use, as on Clockify.
    pub fn own_user(&self) -> Result<i64, ApiError> {
        match self.credential {
            Credential::ApiKey(_) => Ok(self.user_id),
            Credential::Addon { .. } => Err(ApiError::addon_not_allowed()),
        }
    }
}

/// Refusals are answered here, as responses, rather than returned as errors: an error would
/// be turned into a response only past every middleware, without the security headers.
pub async fn require_api_key(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let (caller, allowance) = match admit(&req).await {
        Ok(admitted) => admitted,
        Err(refusal) => return Ok(req.error_response(refusal).map_into_right_body()),
    };
    req.extensions_mut().insert(caller);
    let mut response = next.call(req).await?.map_into_left_body();
    if let Allowance::Allowed { limit, remaining } = allowance {
        let headers = response.headers_mut();
        headers.insert(HeaderName::from_static("x-ratelimit-limit"), HeaderValue::from(limit));
        headers.insert(HeaderName::from_static("x-ratelimit-remaining"), HeaderValue::from(remaining));
    }
    Ok(response)
}

/// The caller, and their allowance under the rate limit; or why they are refused.
async fn admit(req: &ServiceRequest) -> Result<(ApiCaller, Allowance), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState is not registered")))?;
    if key_in_query(req.query_string()) {
        return Err(ApiError::key_in_query());
    }
    let caller: ApiCaller = match presented(req.headers())? {
        Presented::Key(secret) => authenticate(&state, &secret).await?,
        Presented::Addon(token) => authenticate_addon(&state, &token).await?,
    };
    let allowance = state.api.limiter.check(caller.credential);
    if let Allowance::Limited { limit, retry_after_secs } = allowance {
        state.metrics.rate_limited();
        return Err(ApiError::too_many_requests(limit, retry_after_secs));
    }
    if let Credential::ApiKey(key_id) = caller.credential {
        record_use(&state, key_id);
    }
    Ok((caller, allowance))
}

fn key_in_query(query: &str) -> bool {
    query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .any(|name| KEY_PARAMS.iter().any(|k| name.eq_ignore_ascii_case(k)))
}

enum Presented {
    Key(ApiKeySecret),
    Addon(AddonToken),
}

/// Exactly one credential header, once, well-formed. Two credentials, or none, are refused as
/// Clockify refuses them (code 1000).
fn presented(headers: &HeaderMap) -> Result<Presented, ApiError> {
    let mut keys = headers.get_all(API_KEY_HEADER);
    let mut tokens = headers.get_all(ADDON_TOKEN_HEADER);
    match (keys.next(), keys.next(), tokens.next(), tokens.next()) {
        (Some(key), None, None, None) => {
            let key = key.to_str().map_err(|_| ApiError::malformed_key())?;
            ApiKeySecret::parse(key.trim()).map(Presented::Key).map_err(|_| ApiError::malformed_key())
        }
        (None, None, Some(token), None) => {
            let token = token.to_str().ok().and_then(|t| AddonToken::parse(t.trim()));
            token.map(Presented::Addon).ok_or_else(ApiError::invalid_addon_token)
        }
        _ => Err(ApiError::no_credentials()),
    }
}

/// An installed add-on's token; an unknown or uninstalled one is refused (Clockify's 4017).
async fn authenticate_addon(state: &AppState, token: &AddonToken) -> Result<ApiCaller, ApiError> {
    let hash = token.hash();
    let found = state.db.read(move |conn| -> ServiceResult<_> { Ok(Addon::credential(conn, &hash)?) }).await?;
    let found = found.ok_or_else(ApiError::invalid_addon_token)?;
    Ok(ApiCaller {
        user_id: found.acts_as,
        credential: Credential::Addon { addon_id: found.addon_id, workspace_id: found.workspace_id },
        revoked_in: Vec::new(),
    })
}

/// The verdict on a well-formed key: from the cache when fresh, else one query.
pub async fn authenticate(state: &AppState, secret: &ApiKeySecret) -> Result<ApiCaller, ApiError> {
    let hash = secret.hash();
    let now = Instant::now();
    let grant = match state.api.keys.get(&hash, now) {
        Some(grant) => Some(grant),
        None => {
            let epoch = state.api.keys.epoch();
            let lookup = hash.clone();
            let grant = state.db.read(move |conn| api_keys::lookup(conn, &lookup)).await?;
            if let Some(grant) = &grant {
                state.api.keys.put(hash.clone(), grant.clone(), now, epoch);
            }
            grant
        }
    };
    match api_keys::verdict(grant.as_ref().map(|g| &g.key), &hash, now_ms()) {
        Verdict::Valid { key_id, user_id, .. } => Ok(ApiCaller {
            user_id,
            credential: Credential::ApiKey(key_id),
            revoked_in: grant.map(|g| g.revoked_in).unwrap_or_default(),
        }),
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
    AppState::write_later(state, "an API key's last use", move |conn| api_keys::record_use(conn, key_id, now));
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
