//! Test plugin: a scraper built with `wit-bindgen` directly against the frozen
//! `kura:plugin@0.1.0` (`wit/0.1.0/`), so it imports and exports the 0.1 names. It reads a
//! page's `<title>` through the 0.1 `http`, `settings` and `log` imports: a host that
//! implements 0.2 must keep serving it unchanged.
#![allow(unsafe_code)]

wit_bindgen::generate!({
    path: "../../wit/0.1.0",
    world: "scraper-plugin",
});

use exports::kura::plugin::scraper::Guest;
use kura::plugin::http::{self, Method, Request};
use kura::plugin::log::{self, Level};
use kura::plugin::settings;
use kura::plugin::types::{Error, Metadata};

/// The exported scraper.
struct Legacy;

impl Guest for Legacy {
    fn scrape(code: String, _page_url: Option<String>) -> Result<Metadata, Error> {
        let template = settings::get("url_template")
            .ok_or_else(|| Error::Other("no url_template".to_owned()))?;
        let url = template.replace("{code}", &code);
        let response = http::fetch(&Request {
            method: Method::Get,
            url: url.clone(),
            headers: Vec::new(),
            body: None,
            timeout_ms: None,
            follow_redirects: None,
        })
        .map_err(|error| Error::Network(format!("{error:?}")))?;
        if response.status == 404 {
            return Err(Error::NotFound(code));
        }
        let page = String::from_utf8_lossy(&response.body);
        let title = page
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(title, _)| title.trim().to_owned())
            .ok_or_else(|| Error::Parse("no <title>".to_owned()))?;
        log::log(
            Level::Info,
            &format!("read {url} through kura:plugin@0.1.0"),
        );
        Ok(Metadata {
            code,
            page_url: Some(response.final_url),
            title: Some(title),
            original_title: None,
            release_date: None,
            duration_seconds: None,
            studio: None,
            label: None,
            series: None,
            description: None,
            cover_url: None,
            people: Vec::new(),
            tags: Vec::new(),
        })
    }

    fn avatar(_name: String) -> Result<Option<String>, Error> {
        Err(Error::Unsupported("avatar".to_owned()))
    }
}

export!(Legacy);

/// The manifest, embedded as the `kura:manifest` custom section.
#[cfg_attr(target_arch = "wasm32", unsafe(link_section = "kura:manifest"))]
#[used]
static MANIFEST: [u8; include_bytes!("../manifest.json").len()] =
    *include_bytes!("../manifest.json");
