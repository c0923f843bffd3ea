//! The plugin author's whole path, outside this repository, in each language: `kura plugin
//! new` in a temporary directory -> `kura plugin build` -> `kura plugin test` -> the file
//! dropped into a running server answers from the fixture site -> signed and published in
//! a loopback index -> a second server installs it from there and it answers again.
//! JavaScript and Python need npm and python3 (venv); without them the test says so and
//! skips that language.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::plugin_index::{Publisher, index_source, install_approved, serve};
use crate::support::{self, TestServer, kura_bin};

/// Long enough for a first JavaScript or Python compile on a loaded 2-core machine.
const COMPILE_PATIENCE: Duration = Duration::from_secs(300);

/// Why a language's tools are missing, if they are.
fn missing_tools(lang: &str) -> Option<&'static str> {
    let works = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|output| output.status.success())
    };
    match lang {
        "js" if !works("npm", &["--version"]) => Some("npm is not installed"),
        "python" if !works("python3", &["-m", "venv", "--help"]) => {
            Some("python3 with venv is not installed")
        }
        _ => None,
    }
}

/// Runs `kura ARGS` in `dir`; it must succeed. Rust builds share one target directory
/// across runs (the project itself stays outside the workspace).
pub(crate) fn kura(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(kura_bin())
        .args(args)
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            support::root().join("target/plugin-authoring"),
        )
        .env_remove("KURA_CONFIG")
        .output()
        .expect("run kura");
    assert!(
        output.status.success(),
        "kura {args:?}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Waits until `name` serves in `server` (large components compile in the background).
pub(crate) async fn wait_serving(server: &TestServer, name: &str) -> Value {
    let deadline = Instant::now() + COMPILE_PATIENCE;
    for _ in 0..(COMPILE_PATIENCE.as_millis() / 100) {
        let (_, list) = server.get_json("/api/plugins").await;
        if let Some(plugin) = list["plugins"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
        {
            return plugin.clone();
        }
        let failed = list["load_errors"].to_string();
        assert!(!failed.contains(name), "{name} failed to load: {failed}");
        assert!(Instant::now() < deadline, "{name} never loaded: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} never loaded");
}

/// Copies a plugin file into a running server's plugins directory; its view once it
/// serves.
pub(crate) async fn drop_in(server: &TestServer, file: &Path, name: &str) -> Value {
    let target = server
        .data
        .path()
        .join("plugins")
        .join(format!("{name}.wasm"));
    std::fs::copy(file, target).expect("drop in");
    wait_serving(server, name).await
}

/// The scaffolded scraper answers from the fixture site.
async fn scrapes_demo_001(server: &TestServer, name: &str) {
    let (status, answer) = server
        .post_json(
            &format!("/api/plugins/{name}/call"),
            json!({ "input": "DEMO-001" }),
        )
        .await;
    assert_eq!(status, 200, "{name}: {answer}");
    assert_eq!(answer["title"], "夏の海辺", "{name}: {answer}");
    assert_eq!(answer["code"], "DEMO-001", "{name}: {answer}");
}

/// new -> build -> test -> a server loads it -> it answers -> publish -> install.
async fn author_path(lang: &str) {
    if let Some(reason) = missing_tools(lang) {
        eprintln!("skipping the {lang} author path: {reason}");
        return;
    }
    let started = Instant::now();
    let work = tempfile::tempdir().expect("tempdir outside the workspace");
    let name = format!("demo-{lang}");
    let project = work.path().join(&name);
    let created = kura(
        work.path(),
        &["plugin", "new", &name, "--kind", "scraper", "--lang", lang],
    );
    assert!(created.contains("created"), "{created}");
    for file in [
        "manifest.json",
        "probes.json",
        "README.md",
        "wit/worlds.wit",
    ] {
        assert!(project.join(file).is_file(), "{lang}: {file}");
    }
    let built = kura(&project, &["plugin", "build"]);
    assert!(built.contains("probes embedded"), "{built}");
    let tested = kura(&project, &["plugin", "test"]);
    assert!(tested.contains("1 probe(s) passed offline"), "{tested}");
    let file: PathBuf = project.join("dist").join(format!("{name}-0.1.0.wasm"));
    assert!(file.is_file());

    // The file dropped into a running server answers from the fixture site.
    let fixture = support::fixture().await;
    let settings =
        json!({ "scrapers": { &name: { "domain": format!("{}/meta", fixture.base_url()) } } });
    let config = support::config(&fixture.base_url()).merge(settings.clone());
    let server = TestServer::start(&config, &[]).await;
    let view = drop_in(&server, &file, &name).await;
    assert_eq!(view["wit"], "0.2.0", "{view}");
    scrapes_demo_001(&server, &name).await;
    server.stop().await;

    // Signed and published in a loopback index; a server following it installs it.
    let publisher = Publisher::new();
    publisher.publish_file(&file);
    let index = serve(&publisher).await;
    // The index's server is another loopback site: allowed like the fixture.
    let config = support::config(&fixture.base_url())
        .push(
            "fetch.allow_private_hosts",
            json!(index.base_url().trim_start_matches("http://")),
        )
        .merge(settings)
        .merge(json!({ "plugin_index": { "sources": [index_source(&index, &publisher, 3600)] } }));
    let follower = TestServer::start(&config, &[]).await;
    let outcome = install_approved(&follower, &name).await;
    assert_eq!(outcome, "installed");
    wait_serving(&follower, &name).await;
    scrapes_demo_001(&follower, &name).await;
    follower.stop().await;
    println!(
        "author path ({lang}): {:.1} s from `kura plugin new` to an installed plugin answering",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn a_rust_plugin_goes_from_new_to_installed_from_an_index() {
    author_path("rust").await;
}

#[tokio::test]
async fn a_javascript_plugin_goes_from_new_to_installed_from_an_index() {
    author_path("js").await;
}

#[tokio::test]
async fn a_python_plugin_goes_from_new_to_installed_from_an_index() {
    author_path("python").await;
}

/// The SDK is a crate of its own: `cargo package` takes it as it is (its WIT inside it,
/// no workspace inheritance), which is also what `kura plugin new` vendors.
#[test]
fn the_sdk_packages_on_its_own() {
    let cargo = || {
        let mut command =
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
        command.current_dir(support::root().join("plugins/sdk"));
        command
    };
    let target = tempfile::tempdir().expect("tempdir");
    let packaged = cargo()
        .args(["package", "--allow-dirty", "--no-verify", "--target-dir"])
        .arg(target.path())
        .output()
        .expect("cargo package");
    assert!(
        packaged.status.success(),
        "{}",
        String::from_utf8_lossy(&packaged.stderr)
    );
    let crates: Vec<String> = std::fs::read_dir(target.path().join("package"))
        .expect("package dir")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("kura-plugin-sdk-") && name.ends_with(".crate"))
        .collect();
    assert_eq!(crates.len(), 1, "{crates:?}");
    let output = cargo()
        .args(["package", "--allow-dirty", "--list"])
        .output()
        .expect("cargo package --list");
    let files = String::from_utf8_lossy(&output.stdout);
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "wit/worlds.wit",
        "wit/types.wit",
        "wit/host.wit",
    ] {
        assert!(
            files.lines().any(|line| line == file),
            "{file} not packaged: {files}"
        );
    }
}

/// `kura plugin record` fetches as the plugin would: what its manifest allows is recorded
/// with its answer, what it does not is recorded as the host's refusal; `--probes`
/// writes the cassette into the named probe. (Two worker threads: the fixture site
/// serves while the test waits for the child process.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_writes_a_cassette_through_the_host_egress_rules() {
    let fixture = support::fixture().await;
    let work = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "fetch:\n  allow_private_hosts: [\"{}\"]\n",
        fixture.base_url().trim_start_matches("http://")
    );
    std::fs::write(work.path().join("kura.yaml"), config).expect("config");
    let manifest = json!({
        "name": "rec", "version": "0.1.0", "kind": "scraper", "wit": "0.2.0",
        "description": "records", "allowed_hosts": ["http://127.0.0.1:*"],
        "settings": [], "default_weight": 1
    });
    std::fs::write(work.path().join("manifest.json"), manifest.to_string()).expect("manifest");
    let probes = json!({"format": "kura-probes/1", "probes": [
        {"name": "p", "call": {"scrape": {"code": "DEMO-001"}}, "expect": {"err": "parse"}}
    ]});
    std::fs::write(work.path().join("probes.json"), probes.to_string()).expect("probes");
    let page = format!("{}/meta/DEMO-001", fixture.base_url());
    let elsewhere = "http://localhost:9/not-allowed";
    let printed = kura(
        work.path(),
        &[
            "--config",
            "kura.yaml",
            "plugin",
            "record",
            &page,
            elsewhere,
        ],
    );
    let cassette: Value = serde_json::from_str(&printed).expect("a JSON cassette");
    assert_eq!(cassette[0]["request"]["url"], page.as_str());
    assert_eq!(cassette[0]["response"]["status"], 200, "{cassette}");
    assert!(
        cassette[0]["response"]["body"]
            .as_str()
            .is_some_and(|body| body.contains("application/ld+json")),
        "{cassette}"
    );
    assert_eq!(cassette[1]["error"]["kind"], "denied", "{cassette}");
    kura(
        work.path(),
        &[
            "--config",
            "kura.yaml",
            "plugin",
            "record",
            &page,
            "--probes",
            "probes.json",
            "--probe",
            "p",
        ],
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(work.path().join("probes.json")).expect("read"))
            .expect("json");
    assert_eq!(
        written["probes"][0]["cassette"][0]["request"]["url"],
        page.as_str()
    );
}
