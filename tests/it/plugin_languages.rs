//! The shipped JavaScript and Python plugins (`plugins/js-cleaner`, `plugins/py-jsonld`,
//! built by `cargo xtask` with `kura plugin build`) in a real server: they load (their
//! first compile off the start-up path), answer like their Rust counterparts, report
//! their costs, hot-swap to a new version and roll back.

use std::time::Instant;

use serde_json::{Value, json};

use crate::plugin_authoring::wait_serving;
use crate::support::{self, TestServer};

/// The built file of a language plugin, or why there is none (its tools were missing
/// when `cargo xtask` ran).
fn built(name: &str) -> Option<std::path::PathBuf> {
    let path = support::root()
        .join("plugins/target/wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipping: {} is not built (`cargo xtask test` builds it when npm and python3 are installed)",
            path.display()
        );
        None
    }
}

/// `wasm` with its manifest's version replaced: the same code as another release.
fn as_version(wasm: &[u8], version: &str) -> Vec<u8> {
    let mut out = wasm[..8].to_vec();
    let mut sections = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        let (size, used) = leb128(&wasm[at + 1..]);
        let end = at + 1 + used + size;
        let payload = &wasm[at + 1 + used..end];
        let name = (id == 0).then(|| {
            let (len, used) = leb128(payload);
            (
                String::from_utf8_lossy(&payload[used..used + len]).into_owned(),
                &payload[used + len..],
            )
        });
        match name {
            Some((name, data)) if name == "kura:manifest" => {
                let mut manifest: Value = serde_json::from_slice(data).expect("manifest");
                manifest["version"] = json!(version);
                sections.push((
                    "kura:manifest".to_owned(),
                    manifest.to_string().into_bytes(),
                ));
            }
            Some((name, data)) if name == "kura:probes" => {
                sections.push((name, data.to_vec()));
            }
            _ => out.extend_from_slice(&wasm[at..end]),
        }
        at = end;
    }
    for (name, data) in sections {
        kura::plugins::append_custom_section(&mut out, &name, &data);
    }
    out
}

fn leb128(bytes: &[u8]) -> (usize, usize) {
    let (mut value, mut shift) = (0usize, 0);
    for (index, byte) in bytes.iter().enumerate() {
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (value, index + 1);
        }
        shift += 7;
    }
    panic!("truncated LEB128");
}

/// `name` 1.0.1 (the same code as `file`) goes live by a file swap, and a rollback brings
/// 1.0.0 back.
async fn swap_and_roll_back(server: &TestServer, file: &std::path::Path, name: &str) {
    let next = as_version(&std::fs::read(file).expect("read"), "1.0.1");
    let target = server
        .data
        .path()
        .join("plugins")
        .join(format!("{name}.wasm"));
    std::fs::write(target, next).expect("swap");
    let deadline = Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let (_, list) = server.get_json("/api/plugins").await;
        let version = list["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
            .map(|p| p["version"].clone());
        if version == Some(json!("1.0.1")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{name} 1.0.1 never went live: {list}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, back) = server
        .post_json(&format!("/api/plugins/{name}/rollback"), json!({}))
        .await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["version"], "1.0.0", "{name}: {back}");
}

#[tokio::test]
async fn javascript_and_python_plugins_serve_swap_and_roll_back_like_rust_ones() {
    let (Some(js), Some(py)) = (built("js-cleaner"), built("py-jsonld")) else {
        return;
    };
    let fixture = support::fixture().await;
    let url_template = format!("{}/meta/{{code}}", fixture.base_url());
    let config = support::config(&fixture.base_url()).merge(json!({
        "scrapers": { "py-jsonld": { "settings": { "url_template": url_template } } }
    }));
    let started = Instant::now();
    let server = TestServer::start(&config, &["jsonld", "default-cleaner"]).await;
    let start_up = started.elapsed();
    let plugins = server.data.path().join("plugins");
    std::fs::copy(&js, plugins.join("js-cleaner.wasm")).expect("copy");
    std::fs::copy(&py, plugins.join("py-jsonld.wasm")).expect("copy");
    // The Rust plugins answer while the watcher prepares the large files.
    let (status, _) = server
        .post_json(
            "/api/plugins/default-cleaner/call",
            json!({ "input": "Translation: A" }),
        )
        .await;
    assert_eq!(status, 200);
    let js_view = wait_serving(&server, "js-cleaner").await;
    let py_view = wait_serving(&server, "py-jsonld").await;
    for view in [&js_view, &py_view] {
        assert!(view["size_bytes"].as_u64().unwrap_or(0) > 4 << 20, "{view}");
        assert_eq!(view["from_cache"], false, "{view}");
        assert_eq!(view["wit"], "0.2.0", "{view}");
    }

    // The JS cleaner passed the golden cases to load; it answers with its own rules.
    let (status, clean) = server
        .post_json(
            "/api/plugins/js-cleaner/call",
            json!({ "input": "Translation: **\"Summer Seaside\"** (Note: literal)" }),
        )
        .await;
    assert_eq!(status, 200, "{clean}");
    assert_eq!(clean, "Summer Seaside");
    // The Python scraper reads what the Rust one reads, field for field.
    let (status, python) = server
        .post_json(
            "/api/plugins/py-jsonld/call",
            json!({ "input": "DEMO-001" }),
        )
        .await;
    assert_eq!(status, 200, "{python}");
    let (_, rust) = server
        .post_json("/api/plugins/jsonld/call", json!({ "input": "DEMO-001" }))
        .await;
    assert_eq!(python, rust, "the Python and Rust JSON-LD scrapers agree");

    // Hot swap: 1.0.1 of the same code replaces 1.0.0; rollback brings 1.0.0 back.
    swap_and_roll_back(&server, &js, "js-cleaner").await;
    swap_and_roll_back(&server, &py, "py-jsonld").await;
    let (status, clean) = server
        .post_json(
            "/api/plugins/js-cleaner/call",
            json!({ "input": "Title: Rainy Station" }),
        )
        .await;
    assert_eq!(status, 200, "{clean}");
    assert_eq!(clean, "Rainy Station");
    println!(
        "start-up with two Rust plugins {:.0} ms; js-cleaner {} bytes loaded in {:.0} ms; py-jsonld {} bytes loaded in {:.0} ms",
        start_up.as_secs_f64() * 1000.0,
        js_view["size_bytes"],
        js_view["load_ms"].as_f64().unwrap_or(0.0),
        py_view["size_bytes"],
        py_view["load_ms"].as_f64().unwrap_or(0.0),
    );
    server.stop().await;
}
