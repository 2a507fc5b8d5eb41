//! Static files, compiled into the binary so that one file is the whole deployment.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::AppError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", body: include_bytes!("../../static/app.css") },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/app.js"),
    },
    Asset {
        name: "htmx-2.0.11.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/htmx-2.0.11.min.js"),
    },
];

pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let asset = ASSETS.iter().find(|a| a.name == file.as_str()).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        // Names change with content for htmx; app.css and app.js revalidate after an hour.
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(asset.body))
}
