//! The answers every operation can give besides its own: the key check, the rate limit, the
//! workspace lookup and the body reader refuse any call they guard, so each operation they
//! guard lists them (a client generator or a fuzzer otherwise meets statuses it was not told).

use serde_json::{json, Value};

/// Adds the shared refusals to every operation of `doc`, keeping what an operation already
/// says about a status.
pub fn add(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(operations) = item.as_object_mut() else { continue };
        for operation in operations.values_mut() {
            let secured = operation["security"].as_array().is_some_and(|s| !s.is_empty());
            let has_body = operation.get("requestBody").is_some();
            let has_query = operation["parameters"].as_array().is_some_and(|p| p.iter().any(|p| p["in"] == "query"));
            let responses = operation["responses"].as_object_mut();
            let Some(responses) = responses else { continue };
            let mut add = |status: &str, why: &str| {
                responses.entry(status).or_insert_with(|| error(why));
            };
            if secured {
                add("400", "The request is refused as written (an API key in the query string, a bad parameter).");
                add("401", "No credential, two, or one that is unknown, malformed, expired or uninstalled.");
                add("403", "The credential may not do this here (a role, a plan, a key revoked for this workspace, an add-on token outside its add-on).");
                add("429", "Too many requests for this key: wait `Retry-After` seconds.");
            } else if has_query {
                add("400", "A query parameter is out of range.");
            }
            if path.contains('{') {
                add("404", "Not found, or not in a workspace the caller belongs to.");
            }
            if has_body {
                add("400", "The body is not JSON, or a field breaks a rule (the message names it).");
                add("413", "The body is larger than 1 MiB.");
            }
            if let Some(limited) = responses.get_mut("429") {
                limited["headers"] = json!({
                    "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
                });
            }
        }
    }
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDto"}}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secured_operation_with_a_body_lists_every_refusal() {
        let mut doc = json!({"paths": {"/w/{id}": {"post": {
            "security": [{"ApiKeyAuth": []}],
            "requestBody": {},
            "responses": {"201": {"description": "made"}, "404": {"description": "own words"}},
        }}}});
        add(&mut doc);
        let responses = &doc["paths"]["/w/{id}"]["post"]["responses"];
        let listed: Vec<&str> =
            responses.as_object().map(|r| r.keys().map(String::as_str).collect()).unwrap_or_default();
        assert_eq!(listed, ["201", "400", "401", "403", "404", "413", "429"]);
        assert_eq!(responses["404"]["description"], "own words");
        assert!(responses["429"]["headers"]["Retry-After"].is_object());
    }

    #[test]
    fn a_public_operation_gets_no_key_refusals() {
        let mut doc = json!({"paths": {"/open": {"get": {"responses": {"200": {"description": "ok"}}}}}});
        add(&mut doc);
        assert_eq!(doc["paths"]["/open"]["get"]["responses"].as_object().map(|r| r.len()), Some(1));
    }
}
