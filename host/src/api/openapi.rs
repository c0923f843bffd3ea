//! The OpenAPI document, generated from the handlers' annotations, and a docs page
//! rendered from it on the server (no script or stylesheet from anywhere else).

use axum::Json;
use axum::response::Html;
use serde_json::Value;
use utoipa::OpenApi;

use super::{downloads, library, media, people, plugins, reports, settings, tasks, ws};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kura",
        description = "Self-hosted media library server with WebAssembly site plugins"
    ),
    paths(
        super::health,
        plugins::list,
        plugins::upload,
        plugins::enable,
        plugins::disable,
        plugins::rollback,
        plugins::call,
        plugins::sources,
        library::resources,
        people::actors,
        people::genres,
        media::avatar,
        library::preview,
        library::metadata,
        media::cover,
        library::add,
        library::refresh,
        library::delete,
        library::batch,
        settings::get_settings,
        settings::put_settings,
        settings::abspath,
        settings::set_cookie,
        tasks::list,
        tasks::create,
        tasks::get,
        tasks::delete,
        tasks::queue_status,
        tasks::schedules,
        reports::list,
        reports::get,
        downloads::submit_one,
        downloads::submit_batch,
        downloads::delete,
        downloads::mock,
        ws::tasks,
        tasks::quick_avatars,
        tasks::quick_db_upgrade,
        tasks::quick_translate,
        tasks::quick_refresh,
        openapi_json,
        docs,
    ),
    components(schemas(super::error::ErrorBody, crate::events::Event))
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`
#[utoipa::path(get, path = "/api/openapi.json", tag = "docs", responses((status = 200, description = "This document")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// `GET /api/docs`: the operations of the OpenAPI document as a page.
#[utoipa::path(get, path = "/api/docs", tag = "docs", responses((status = 200, content_type = "text/html", description = "This page")))]
pub async fn docs() -> Html<String> {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    Html(render(&doc))
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
    use super::*;

    /// The document carries the event type and every payload it refers to.
    #[test]
    fn event_schemas_are_components() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("serializes");
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
