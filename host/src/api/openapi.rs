//! The OpenAPI document, generated from the handlers' annotations, and a docs page
//! rendered from it on the server (no script or stylesheet from anywhere else).

use std::sync::Arc;

use axum::response::Html;
use axum::{Extension, Json};
use serde_json::Value;
use utoipa::OpenApi;
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, Required};

/// The document's frame: what is not a route (title, shared schemas). The routes come
/// from [`super::api_routes`], which declares each one once.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kura",
        description = "Self-hosted media library server with WebAssembly site plugins"
    ),
    components(schemas(
        super::error::ErrorBody,
        crate::error_code::ErrorCode,
        crate::events::Event
    ))
)]
pub(super) struct ApiDoc;

/// The finished document, shared by the two routes that show it.
#[derive(Clone)]
pub(super) struct Document {
    json: Arc<Value>,
}

impl Document {
    pub(super) fn new(document: utoipa::openapi::OpenApi) -> Self {
        Self {
            json: Arc::new(serde_json::to_value(document).unwrap_or_default()),
        }
    }
}

/// Adds each task kind's payload schema to the components and describes `POST
/// /api/tasks`'s body as one of `{type, priority?, data}` per kind.
pub(super) fn add_task_kinds(
    document: &mut utoipa::openapi::OpenApi,
    tasks: &crate::tasks::TaskQueue,
) {
    let components = document
        .components
        .get_or_insert_with(utoipa::openapi::Components::new);
    let mut one_of = OneOfBuilder::new();
    for (kind, schema_name, schema) in tasks.payload_schemas() {
        components.schemas.insert(schema_name.clone(), schema);
        let submit = ObjectBuilder::new()
            .title(Some(kind))
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([kind])),
            )
            .required("type")
            .property(
                "priority",
                ObjectBuilder::new()
                    .description(Some("1 (low) to 4 (urgent), or low, normal, high, urgent")),
            )
            .property("data", Ref::from_schema_name(schema_name));
        one_of = one_of.item(submit);
    }
    let body = RequestBodyBuilder::new()
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(one_of)).build(),
        )
        .required(Some(Required::True))
        .build();
    if let Some(post) = document
        .paths
        .paths
        .get_mut("/api/tasks")
        .and_then(|item| item.post.as_mut())
    {
        post.request_body = Some(body.into());
    }
}

/// `GET /api/openapi.json`
#[utoipa::path(get, path = "/api/openapi.json", tag = "docs", responses((status = 200, description = "This document", body = Object)))]
pub(super) async fn openapi_json(Extension(document): Extension<Document>) -> Json<Value> {
    Json(document.json.as_ref().clone())
}

/// `GET /api/docs`: the operations of the OpenAPI document as a page.
#[utoipa::path(get, path = "/api/docs", tag = "docs", responses((status = 200, content_type = "text/html", description = "This page")))]
pub(super) async fn docs(Extension(document): Extension<Document>) -> Html<String> {
    Html(render(&document.json))
}

fn render(doc: &Value) -> String {
    let mut html = String::from(
        "<!doctype html><meta charset=utf-8><title>Kura API</title>\
         <style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}\
         code{background:#f3f3f3;padding:0 .25rem}.op{border-top:1px solid #ddd;padding:.6rem 0}\
         .m{display:inline-block;width:4.5rem;font-weight:600}td{padding:0 .6rem 0 0;vertical-align:top}</style>\
         <h1>Kura API</h1><p>Machine-readable: <a href=/api/openapi.json><code>/api/openapi.json</code></a>. \
         Errors are <code>{\"code\", \"message\"}</code>.</p>",
    );
    let Some(paths) = doc["paths"].as_object() else {
        return html;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let summary = op["summary"]
                .as_str()
                .or(op["description"].as_str())
                .unwrap_or("");
            html.push_str(&format!(
                "<div class=op><span class=m>{}</span><code>{}</code> {}",
                escape(&method.to_uppercase()),
                escape(path),
                escape(summary)
            ));
            if let Some(params) = op["parameters"].as_array() {
                html.push_str("<table>");
                for p in params {
                    html.push_str(&format!(
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                        escape(p["name"].as_str().unwrap_or("")),
                        escape(p["in"].as_str().unwrap_or("")),
                        escape(p["description"].as_str().unwrap_or(""))
                    ));
                }
                html.push_str("</table>");
            }
            html.push_str("</div>");
        }
    }
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// `(method, path)` of every `#[utoipa::path(...)]` in the API's sources.
    fn annotated_routes() -> Vec<(String, String)> {
        let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![api.join("api.rs")];
        for entry in std::fs::read_dir(api.join("api")).expect("api dir") {
            files.push(entry.expect("entry").path());
        }
        let mut routes = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source");
            for annotation in text.split("\n#[utoipa::path(").skip(1) {
                let method = annotation
                    .split(',')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                let path = annotation
                    .split("path = \"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_default()
                    .to_owned();
                routes.push((method, path));
            }
        }
        routes
    }

    /// A handler written for the API but not routed (or routed by hand, outside the
    /// declaration that documents it) fails here.
    #[test]
    fn every_route_is_declared_once_and_documented() {
        let config = crate::Config::parse(
            "",
            Path::new("t.yaml"),
            &crate::config::Overrides::default(),
        )
        .expect("config");
        let document =
            serde_json::to_value(super::super::api_routes(&config.server).into_openapi())
                .expect("json");
        let annotated = annotated_routes();
        assert!(annotated.len() > 40, "{annotated:?}");
        for (method, path) in &annotated {
            assert!(
                document["paths"][path][method].is_object(),
                "{method} {path} is annotated but not in the document (not routed?)"
            );
        }
        let documented: usize = document["paths"]
            .as_object()
            .expect("paths")
            .values()
            .map(|item| item.as_object().map_or(0, |methods| methods.len()))
            .sum();
        assert_eq!(
            documented,
            annotated.len(),
            "every documented route is annotated"
        );
        // Every answer with a body says what the body is.
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("methods") {
                let responses = operation["responses"].as_object().expect("responses");
                for (status, response) in responses {
                    if status == "204" || status == "304" || status == "101" {
                        continue;
                    }
                    assert!(
                        response["content"].is_object(),
                        "{method} {path} answers {status} without a body schema"
                    );
                }
            }
        }
        let router_source =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api.rs"))
                .expect("api.rs");
        assert!(
            !router_source.contains(".route(\""),
            "api.rs routes a path by hand; declare it with `routes!` so it is documented"
        );
    }

    /// The document carries the event type and every payload it refers to.
    #[test]
    fn event_schemas_are_components() {
        use utoipa::OpenApi as _;
        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("serializes");
        let schemas = &doc["components"]["schemas"];
        for name in [
            "Event",
            "TaskEvent",
            "TaskFailedEvent",
            "ProgressEvent",
            "QueueStatusEvent",
            "ResourceEvent",
            "CodeEvent",
            "ScheduleEvent",
            "PluginReadyEvent",
            "PluginFailedEvent",
            "PluginRolledBackEvent",
            "PluginEvent",
        ] {
            assert!(schemas.get(name).is_some(), "{name} missing: {schemas}");
        }
        let variants = schemas["Event"]["oneOf"].as_array().map(Vec::len);
        assert_eq!(variants, Some(crate::events::Event::NAMES.len()));
    }
}
