//! What a component may import: the WIT interfaces of its kind and inert WASI; never
//! WASI filesystem, sockets or HTTP.

use wasmtime::Engine;
use wasmtime::component::Component;

use super::manifest::{HOST_WIT_VERSION, parse_version};
use super::types::PluginKind;

/// Interfaces that would give a plugin a way around the host.
const FORBIDDEN_PREFIXES: &[&str] = &["wasi:filesystem/", "wasi:sockets/", "wasi:http/"];

/// Checks every import of the component against its kind.
pub(super) fn check_imports(
    engine: &Engine,
    component: &Component,
    kind: PluginKind,
) -> Result<(), String> {
    for (name, _) in component.component_type().imports(engine) {
        check_import(name, kind)?;
    }
    Ok(())
}

fn check_import(name: &str, kind: PluginKind) -> Result<(), String> {
    if FORBIDDEN_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix))
    {
        return Err(format!(
            "imports `{name}`: plugins get no filesystem, sockets or HTTP of their own; use the host's fetch"
        ));
    }
    if name.starts_with("wasi:") {
        return Ok(());
    }
    let Some(rest) = name.strip_prefix("kura:plugin/") else {
        return Err(format!(
            "imports `{name}`, which this host does not provide"
        ));
    };
    let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
    let compatible = parse_version(version).is_some_and(|(major, minor, patch)| {
        (major, minor) == (HOST_WIT_VERSION.0, HOST_WIT_VERSION.1) && patch <= HOST_WIT_VERSION.2
    });
    if !compatible {
        return Err(format!(
            "imports `{name}`: WIT version not supported by this host"
        ));
    }
    let allowed: &[&str] = match kind {
        PluginKind::Source | PluginKind::Scraper => {
            &["types", "http", "log", "settings", "cookies"]
        }
        PluginKind::Cleaner => &["types", "log", "settings"],
    };
    if allowed.contains(&interface) {
        Ok(())
    } else {
        Err(format!(
            "imports `{name}`, which a {kind} plugin may not use"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_checked() {
        let ok = |name, kind| assert!(check_import(name, kind).is_ok(), "{name}");
        let refused = |name, kind| assert!(check_import(name, kind).is_err(), "{name}");
        ok("wasi:cli/environment@0.2.6", PluginKind::Source);
        ok("kura:plugin/http@0.1.0", PluginKind::Source);
        ok("kura:plugin/log@0.1.0", PluginKind::Cleaner);
        refused("kura:plugin/http@0.1.0", PluginKind::Cleaner);
        refused("kura:plugin/http@0.2.0", PluginKind::Source);
        refused("wasi:filesystem/types@0.2.6", PluginKind::Source);
        refused("wasi:sockets/tcp@0.2.6", PluginKind::Scraper);
        refused("wasi:http/outgoing-handler@0.2.6", PluginKind::Source);
        refused("evil:thing/x", PluginKind::Source);
    }
}
