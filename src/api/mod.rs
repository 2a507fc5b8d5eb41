//! The REST API under `/api/v1`, answering JSON only (its endpoints arrive with the API
//! keys issue). Until a route matches, every path under `/api/` is a JSON 404 as Clockify's.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api").default_service(web::to(unknown_route)));
}

async fn unknown_route(req: HttpRequest) -> HttpResponse {
    let path = req.path().trim_start_matches("/api/");
    HttpResponse::NotFound()
        .json(json!({ "message": format!("No static resource {path}."), "code": 3000 }))
}
