//! `kura-plugin-inspect`: lists what a built plugin component imports and exports, and checks
//! that against the manifest embedded in its `kura:manifest` custom section.
//!
//! ```text
//! cargo run -p kura-plugin-inspect -- [--check] target/wasm32-wasip2/release/*.wasm
//! ```
//!
//! With `--check` it exits non-zero when a component exports anything but its own world's
//! interface, imports a `kura:plugin` interface its world does not allow, imports any
//! `wasi:filesystem`/`wasi:sockets`/`wasi:http` interface, or lacks a manifest.

mod component;

use std::process::ExitCode;

use component::Component;

fn main() -> ExitCode {
    let mut check = false;
    let mut paths = Vec::new();
    for argument in std::env::args().skip(1) {
        if argument == "--check" {
            check = true;
        } else {
            paths.push(argument);
        }
    }
    if paths.is_empty() {
        eprintln!("usage: kura-plugin-inspect [--check] FILE.wasm...");
        return ExitCode::from(2);
    }
    let mut n_failed = 0;
    for path in &paths {
        let component = match std::fs::read(path)
            .map_err(|error| error.to_string())
            .and_then(|bytes| Component::parse(&bytes))
        {
            Ok(component) => component,
            Err(error) => {
                println!("{path}: error: {error}");
                n_failed += 1;
                continue;
            }
        };
        println!("{path}");
        component.print();
        if check {
            let violations = component.violations();
            if violations.is_empty() {
                println!("  check: ok");
            } else {
                n_failed += 1;
                for violation in violations {
                    println!("  check: VIOLATION: {violation}");
                }
            }
        }
    }
    if n_failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
