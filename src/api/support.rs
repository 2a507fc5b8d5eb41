//! What the resource handlers share: reading a JSON body (naming the field of a type error),
//! running a service as the caller inside one workspace, and the list endpoints' query.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use utoipa::IntoParams;

use super::auth::ApiCaller;
use super::error::ApiError;
use crate::db::listing::Listing;
use crate::db::DbConnection;
use crate::services::workspaces::WorkspaceAccess;
use crate::services::ServiceResult;
use crate::state::AppState;

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request's raw body, at most [`MAX_BODY_BYTES`]; a larger or broken one is a JSON error
/// (the framework's own answer would be plain text).
pub struct Body(pub actix_web::web::Bytes);

impl actix_web::FromRequest for Body {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &actix_web::HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let bytes = actix_web::web::Bytes::from_request(req, payload);
        Box::pin(async move {
            bytes.await.map(Body).map_err(|e| {
                if e.to_string().contains("size limit") {
                    ApiError::too_large(format!("The body is larger than {} KiB.", MAX_BODY_BYTES / 1024))
                } else {
                    ApiError::bad_request(format!("The body could not be read: {e}"))
                }
            })
        })
    }
}

/// Parses a JSON body, naming the field of a type error (`name: invalid type ...`). Unknown
/// fields are ignored and `null` is taken as absent, as Clockify's clients expect.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // serde also reads a struct from an array (`[null, null]`), which no client means.
    if body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b != b'{') {
        return Err(ApiError::bad_request("The body must be a JSON object, like {\"name\": \"Acme\"}."));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            ApiError::bad_request(format!("The body is not valid JSON: {inner}"))
        } else {
            ApiError::bad_request(format!("{path}: {inner}"))
        }
    })
}

/// For `#[serde(default, deserialize_with = "nullable")]`: tells an absent field (`None`, keep
/// what is stored) from `null` (`Some(None)`, clear it), as `"clientId": null` clears a client.
pub fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A UTC ISO-8601 instant (`2020-01-01T00:00:00Z`) as Unix ms, or a 400 naming `field`.
pub fn instant(field: &str, text: &str) -> Result<i64, ApiError> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| ApiError::bad_request(format!("{field}: use UTC ISO-8601 like 2020-01-01T00:00:00Z")))
}

/// Runs a service that writes as the caller, in the workspace `workspace`, in one transaction.
pub async fn write_as<T, F>(state: &AppState, caller: &ApiCaller, workspace: String, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &WorkspaceAccess) -> ServiceResult<T> + Send + 'static,
{
    let caller = caller.clone();
    Ok(state
        .db
        .write(move |conn| {
            let access = caller.access(conn, &workspace)?;
            f(conn, &access)
        })
        .await?)
}

/// Runs a service that only reads as the caller, in the workspace `workspace`.
pub async fn read_as<T, F>(state: &AppState, caller: &ApiCaller, workspace: String, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &WorkspaceAccess) -> ServiceResult<T> + Send + 'static,
{
    let caller = caller.clone();
    Ok(state
        .db
        .read(move |conn| {
            let access = caller.access(conn, &workspace)?;
            f(conn, &access)
        })
        .await?)
}

/// The query of Clockify's list endpoints keyhook honours (others, like `sort-column`, are
/// accepted and ignored: lists are by name).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Names containing this, case-insensitively.
    name: Option<String>,
    /// `true`: archived only; `false`: active only; absent: both.
    archived: Option<bool>,
    /// 1-based page number (default 1).
    page: Option<i64>,
    /// Items per page (default 50).
    #[serde(rename = "page-size")]
    #[param(rename = "page-size")]
    page_size: Option<i64>,
}

impl ListQuery {
    pub fn listing(&self) -> Result<Listing, ApiError> {
        let (page, page_size) = paging(self.page, self.page_size, LISTS)?;
        Ok(Listing { name: self.name.clone(), archived: self.archived, page, page_size })
    }
}

/// `page` and `page-size` alone, for lists without filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page (default 50).
    #[serde(rename = "page-size")]
    #[param(rename = "page-size")]
    pub page_size: Option<i64>,
}

/// The highest page number any list answers: with the largest page size it addresses rows far
/// past any real table, and `(page - 1) * page-size` stays far inside 64 bits.
pub const MAX_PAGE: i64 = 100_000;

/// The page sizes of one kind of list: at most `max`, `default` when the query names none.
#[derive(Debug, Clone, Copy)]
pub struct PageSizes {
    pub max: i64,
    pub default: i64,
}

/// Clients, tags, projects, tasks and members.
pub const LISTS: PageSizes = PageSizes { max: 5000, default: 50 };
/// Time entries.
pub const ENTRIES: PageSizes = PageSizes { max: 1000, default: 50 };
/// The running time entries.
pub const RUNNING_ENTRIES: PageSizes = PageSizes { max: 1000, default: 10 };
/// A webhook's attempts.
pub const LOGS: PageSizes = PageSizes { max: 200, default: 50 };

/// The one rule for `page` and `page-size`: a page from 1 to [`MAX_PAGE`], a size from 1 to
/// `sizes.max` (`sizes.default` when absent); anything else is a 400 naming the parameter.
pub fn paging(page: Option<i64>, page_size: Option<i64>, sizes: PageSizes) -> Result<(i64, i64), ApiError> {
    let PageSizes { max: max_size, default: default_size } = sizes;
    let page = page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::bad_request(format!("page: use 1 to {MAX_PAGE}")));
    }
    let page_size = page_size.unwrap_or(default_size);
    if !(1..=max_size).contains(&page_size) {
        return Err(ApiError::bad_request(format!("page-size: use 1 to {max_size}")));
    }
    Ok((page, page_size))
}

/// A page of a list: a bare JSON array, with `Last-Page` saying whether more follow.
pub fn page<T: serde::Serialize>(items: &[T], last: bool) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().insert_header(("Last-Page", last.to_string())).json(items)
}
