//! The log filter reaches every command, not only `kura serve`, and the first one given
//! wins: `--log`, then `KURA_LOG`, then `RUST_LOG`, then the config's `log.filter`.

use std::path::Path;
use std::process::Command;

use crate::support::kura_bin;

/// One run of `kura ... ARGS` on a data directory whose config is `config_yaml`, with
/// `flag` as `--log` and `env` set (every other log variable removed); its stderr.
fn stderr_of(config_yaml: &str, flag: Option<&str>, env: &[(&str, &str)], args: &[&str]) -> String {
    let data = tempfile::tempdir().expect("temp dir");
    let config = data.path().join("config.yaml");
    std::fs::write(&config, config_yaml).expect("config");
    let mut command = Command::new(kura_bin());
    command
        .env_remove("KURA_LOG")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(data.path());
    if let Some(flag) = flag {
        command.args(["--log", flag]);
    }
    let output = command.args(args).output().expect("run kura");
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn check(config_yaml: &str, flag: Option<&str>, env: &[(&str, &str)], debug_expected: bool) {
    for args in [&["plugin", "list"][..], &["seed", "--count", "1"]] {
        let stderr = stderr_of(config_yaml, flag, env, args);
        assert_eq!(
            stderr.contains("DEBUG"),
            debug_expected,
            "config {config_yaml:?}, --log {flag:?}, env {env:?}, {args:?}: {stderr}"
        );
        assert!(
            debug_expected || !stderr.contains(" INFO "),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn the_log_flag_environment_and_config_apply_to_every_command_in_that_order() {
    let debug_config = "log:\n  filter: debug\n";
    // Nothing given: a command other than serve keeps to warnings.
    check("", None, &[], false);
    check("", Some("debug"), &[], true);
    check("", None, &[("KURA_LOG", "debug")], true);
    check("", Some("warn"), &[("KURA_LOG", "debug")], false);
    check("", None, &[("RUST_LOG", "debug")], true);
    check("", Some("warn"), &[("RUST_LOG", "debug")], false);
    check(
        "",
        None,
        &[("KURA_LOG", "warn"), ("RUST_LOG", "debug")],
        false,
    );
    check(debug_config, None, &[], true);
    check(debug_config, None, &[("KURA_LOG", "warn")], false);
    check(debug_config, None, &[("RUST_LOG", "warn")], false);
    check(debug_config, Some("warn"), &[], false);
}

#[test]
fn plugin_inspect_takes_the_flag_too() {
    let wasm = crate::support::plugin_wasm("fixture-alpha");
    let data = tempfile::tempdir().expect("temp dir");
    let output = Command::new(kura_bin())
        .env_remove("KURA_LOG")
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(Path::new("/nonexistent/config.yaml"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["--log", "debug", "plugin", "inspect"])
        .arg(&wasm)
        .output()
        .expect("run kura");
    // A config that cannot be read does not stop inspect, which needs none.
    assert!(output.status.success(), "{:?}", output.status);
    assert!(!output.stdout.is_empty(), "the inspection is printed");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("DEBUG"),
        "--log debug reaches plugin inspect"
    );
}
