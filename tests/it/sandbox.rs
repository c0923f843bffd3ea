//! Misbehaving plugins are stopped or refused, and the server keeps answering (K-3).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{self, Canary, ChildServer, TestServer};

#[tokio::test]
async fn infinite_loop_ends_at_its_deadline() {
    let _exclusive = crate::support::exclusive().await;
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).set("plugins.call_timeout_ms", json!(1000));
    let server = TestServer::start(&config, &["test-spin"]).await;
    for _ in 0..3 {
        let started = Instant::now();
        let (status, body) = server
            .post_json("/api/plugins/test-spin/call", json!({"input": "DEMO-001"}))
            .await;
        let elapsed = started.elapsed();
        assert_eq!(status, 504, "{body}");
        assert_eq!(body["code"], "plugin_timeout");
        assert!(
            elapsed >= Duration::from_millis(1000),
            "ended early: {elapsed:?}"
        );
    }
    let (_, list) = server.get_json("/api/plugins").await;
    assert_eq!(list["plugins"][0]["stats"]["timeouts"], 3);
    server.stop().await;
}

#[tokio::test]
async fn panic_fails_only_that_call() {
    let fixture = support::fixture().await;
    let server = TestServer::start(
        &support::config(&fixture.base_url()),
        &["test-panic", "fixture-alpha"],
    )
    .await;
    let (status, body) = server
        .post_json("/api/plugins/test-panic/call", json!({"input": "DEMO-001"}))
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["code"], "plugin_crashed");
    let (status, body) = server
        .post_json(
            "/api/plugins/fixture-alpha/call",
            json!({"input": "DEMO-001"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = server
        .post_json("/api/plugins/test-panic/call", json!({"input": "DEMO-001"}))
        .await;
    assert_eq!(
        status, 502,
        "a fresh instance per call: the plugin fails the same way, not worse"
    );
    server.stop().await;
}

#[tokio::test]
async fn undeclared_host_is_denied() {
    let fixture = support::fixture().await;
    let server =
        TestServer::start(&support::config(&fixture.base_url()), &["test-undeclared"]).await;
    let (status, body) = server
        .post_json(
            "/api/plugins/test-undeclared/call",
            json!({"input": "DEMO-001"}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("denied"), "{message}");
    assert!(message.contains("not declared"), "{message}");
    server.stop().await;
}

#[tokio::test]
async fn redirect_to_loopback_is_denied_and_never_connects() {
    let fixture = support::fixture().await;
    let canary = Canary::start().await;
    let target = format!(
        "{}/fault/redirect?to=http://127.0.0.2:{}/",
        fixture.base_url(),
        canary.port
    );
    let config = support::config(&fixture.base_url())
        .set("sources.test-redirect.settings.target", json!(target));
    let server = TestServer::start(&config, &["test-redirect"]).await;
    let (status, body) = server
        .post_json(
            "/api/plugins/test-redirect/call",
            json!({"input": "DEMO-001"}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("denied"),
        "{body}"
    );
    assert_eq!(
        fixture.hits("/fault/redirect"),
        1,
        "the first hop is allowed"
    );
    assert_eq!(canary.hits(), 0, "the canary was reached");
    server.stop().await;
}

#[tokio::test]
async fn forbidden_import_and_wrong_wit_are_refused_with_reasons() {
    let fixture = support::fixture().await;
    let server = TestServer::start(
        &support::config(&fixture.base_url()),
        &[
            "test-forbidden-import",
            "test-wit-mismatch",
            "fixture-alpha",
        ],
    )
    .await;
    let (_, list) = server.get_json("/api/plugins").await;
    let names: Vec<&str> = list["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["fixture-alpha"], "only the good plugin loads");
    let errors: Vec<String> = list["load_errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| format!("{} {}", e["file"], e["error"]))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("test-forbidden-import")
            && e.contains("forbidden import")
            && (e.contains("wasi:filesystem") || e.contains("wasi:sockets"))),
        "{errors:?}"
    );
    // The refusal names the plugin's version and every version this host implements.
    assert!(
        errors.iter().any(|e| e.contains("test-wit-mismatch")
            && e.contains("kura:plugin@0.3.0")
            && e.contains("0.1.0, 0.2.0")),
        "{errors:?}"
    );
    let (status, _) = server.get_json("/healthz").await;
    assert_eq!(status, 200);
    server.stop().await;
}

/// A plugin built against the frozen `kura:plugin@0.1.0` and plugins built against 0.2
/// load side by side in one server, and each answers through its own version's imports
/// (the 0.1 one fetches, reads a setting and logs through the 0.1 names).
#[tokio::test]
async fn plugins_of_both_wit_versions_serve_side_by_side() {
    let fixture = support::fixture().await;
    let url_template = format!("{}/meta/{{code}}", fixture.base_url());
    let config = support::config(&fixture.base_url()).merge(json!({
        "scrapers": { "test-wit-v0-1": { "settings": { "url_template": url_template } } }
    }));
    let server =
        TestServer::start(&config, &["test-wit-v0-1", "fixture-meta", "ad-cue-filter"]).await;
    let (_, list) = server.get_json("/api/plugins").await;
    let wit_of = |name: &str| {
        list["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
            .map(|p| p["wit"].clone())
            .unwrap_or_else(|| panic!("{name} not loaded: {list}"))
    };
    assert_eq!(wit_of("test-wit-v0-1"), "0.1.0");
    assert_eq!(wit_of("fixture-meta"), "0.2.0");
    assert_eq!(wit_of("ad-cue-filter"), "0.2.0");
    let (status, old) = server
        .post_json(
            "/api/plugins/test-wit-v0-1/call",
            json!({ "input": "DEMO-001" }),
        )
        .await;
    assert_eq!(status, 200, "{old}");
    assert_eq!(old["title"], "夏の海辺 - Meta", "{old}");
    assert_eq!(
        old["page_url"],
        url_template.replace("{code}", "DEMO-001"),
        "{old}"
    );
    let (status, new) = server
        .post_json(
            "/api/plugins/fixture-meta/call",
            json!({ "input": "DEMO-001" }),
        )
        .await;
    assert_eq!(status, 200, "{new}");
    assert_eq!(new["title"], "夏の海辺", "{new}");
    // The 0.2-only kind answers too: a media playlist with an ad break loses it.
    let playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\na.ts\n#EXT-X-CUE-OUT:4\n#EXTINF:4.0,\nad.ts\n#EXT-X-CUE-IN\n#EXTINF:4.0,\nb.ts\n#EXT-X-ENDLIST\n";
    let (status, filtered) = server
        .post_json(
            "/api/plugins/ad-cue-filter/call",
            json!({ "input": playlist }),
        )
        .await;
    assert_eq!(status, 200, "{filtered}");
    let text = filtered.as_str().expect("text");
    assert!(
        text.contains("a.ts") && text.contains("b.ts") && !text.contains("ad.ts"),
        "{text}"
    );
    server.stop().await;
}

/// Spinning and hogging plugins run while /healthz is polled: it answers while plugin
/// calls are still in flight (a starved server would answer none until they end), and
/// the process never grows beyond the memory cap + 32 MiB. The latency is printed, not
/// asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stays_responsive_and_bounded_under_attack() {
    let _exclusive = crate::support::exclusive().await;
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url())
        .set("plugins.call_timeout_ms", json!(2000))
        .set("plugins.memory_mb", json!(64));
    let server = ChildServer::start(&config, &["test-spin", "test-hog"]).await;
    let client = reqwest::Client::new();
    // Warm up: one call of each, so lazily mapped code is resident in the baseline.
    for name in ["test-spin", "test-hog"] {
        let _ = client
            .post(format!("{}/api/plugins/{name}/call", server.base))
            .json(&json!({"input": "X"}))
            .send()
            .await;
    }
    let baseline = server.rss_bytes();
    let attack_until = Instant::now() + Duration::from_secs(4);
    let mut attackers = Vec::new();
    let in_flight = Arc::new(AtomicUsize::new(0));
    // One hog at a time: the bound is per call (cap + 32 MiB).
    for name in ["test-spin", "test-spin", "test-hog"] {
        let (client, url, in_flight) = (
            client.clone(),
            format!("{}/api/plugins/{name}/call", server.base),
            in_flight.clone(),
        );
        attackers.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            while Instant::now() < attack_until {
                in_flight.fetch_add(1, Ordering::SeqCst);
                let response = client
                    .post(&url)
                    .json(&json!({"input": "X"}))
                    .send()
                    .await
                    .expect("attack call");
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                in_flight.fetch_sub(1, Ordering::SeqCst);
                codes.push(body["code"].as_str().unwrap_or_default().to_owned());
            }
            codes
        }));
    }
    let (mut worst, mut peak_rss, mut samples) = (Duration::ZERO, baseline, 0);
    let mut answered_during_calls = 0;
    while Instant::now() < attack_until {
        let started = Instant::now();
        let response = client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .expect("healthz");
        assert!(response.status().is_success());
        if in_flight.load(Ordering::SeqCst) > 0 {
            answered_during_calls += 1;
        }
        worst = worst.max(started.elapsed());
        peak_rss = peak_rss.max(server.rss_bytes());
        samples += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut codes = Vec::new();
    for attacker in attackers {
        codes.extend(attacker.await.expect("attacker"));
    }
    println!(
        "healthz worst {worst:?} over {samples} samples; rss baseline {} MiB, peak {} MiB",
        baseline >> 20,
        peak_rss >> 20
    );
    assert!(codes.iter().any(|c| c == "plugin_timeout"), "{codes:?}");
    assert!(
        codes
            .iter()
            .all(|c| c == "plugin_timeout" || c == "plugin_crashed"),
        "{codes:?}"
    );
    assert!(
        answered_during_calls > 0,
        "healthz never answered while plugin calls ran ({samples} samples)"
    );
    let growth = peak_rss.saturating_sub(baseline);
    assert!(
        growth <= (64 + 32) << 20,
        "RSS grew by {} MiB",
        growth >> 20
    );
}

#[tokio::test]
async fn memory_hog_is_reported_as_memory_limit() {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).set("plugins.memory_mb", json!(32));
    let server = TestServer::start(&config, &["test-hog"]).await;
    let (status, body) = server
        .post_json("/api/plugins/test-hog/call", json!({"input": "X"}))
        .await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("memory cap of 32 MiB"),
        "{body}"
    );
    let (_, list) = server.get_json("/api/plugins").await;
    assert_eq!(list["plugins"][0]["stats"]["memory_limits"], 1);
    server.stop().await;
}
