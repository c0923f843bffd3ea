//! What a component may import: the WIT interfaces of its kind and inert WASI; never
//! WASI filesystem, sockets or HTTP.

use wasmtime::Engine;
use wasmtime::component::Component;

use super::types::PluginKind;
use super::wit_version::WitVersion;

/// Interfaces that would give a plugin a way around the host.
const FORBIDDEN_PREFIXES: &[&str] = &["wasi:filesystem/", "wasi:sockets/", "wasi:http/"];

/// Checks every import of the component against its kind and the WIT version its
/// manifest names (`serving`: the host bindings for that version).
pub(super) fn check_imports(
    engine: &Engine,
    component: &Component,
    kind: PluginKind,
    serving: WitVersion,
) -> Result<(), String> {
    for (name, _) in component.component_type().imports(engine) {
        check_import(name, kind, serving)?;
    }
    Ok(())
}

fn check_import(name: &str, kind: PluginKind, serving: WitVersion) -> Result<(), String> {
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
    if super::wit_version::serving(version) != Some(serving) {
        return Err(format!(
            "imports `{name}`, but its manifest says WIT {serving}: rebuild it with one WIT version"
        ));
    }
    let allowed: &[&str] = match kind {
        PluginKind::Source | PluginKind::Scraper => {
            &["types", "http", "log", "settings", "cookies"]
        }
        PluginKind::Cleaner | PluginKind::PlaylistFilter => &["types", "log", "settings"],
        PluginKind::Task => &[
            "types",
            "http",
            "log",
            "settings",
            "cookies",
            "task-context",
            "library",
        ],
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
        use super::super::wit_version::{V0_1, V0_2};
        let ok = |name, kind| assert!(check_import(name, kind, V0_1).is_ok(), "{name}");
        let refused = |name, kind| assert!(check_import(name, kind, V0_1).is_err(), "{name}");
        ok("wasi:cli/environment@0.2.6", PluginKind::Source);
        ok("kura:plugin/http@0.1.0", PluginKind::Source);
        ok("kura:plugin/log@0.1.0", PluginKind::Cleaner);
        refused("kura:plugin/http@0.1.0", PluginKind::Cleaner);
        // A 0.1 manifest over 0.2 imports, or an unknown version: refused.
        refused("kura:plugin/http@0.2.0", PluginKind::Source);
        refused("kura:plugin/http@0.3.0", PluginKind::Source);
        let current = |name, kind| check_import(name, kind, V0_2);
        assert!(current("kura:plugin/http@0.2.0", PluginKind::Source).is_ok());
        assert!(current("kura:plugin/log@0.2.0", PluginKind::PlaylistFilter).is_ok());
        assert!(current("kura:plugin/http@0.2.0", PluginKind::PlaylistFilter).is_err());
        assert!(current("kura:plugin/http@0.1.0", PluginKind::Source).is_err());
        assert!(current("kura:plugin/library@0.2.0", PluginKind::Task).is_ok());
        assert!(current("kura:plugin/task-context@0.2.0", PluginKind::Task).is_ok());
        assert!(current("kura:plugin/library@0.2.0", PluginKind::Scraper).is_err());
        refused("wasi:filesystem/types@0.2.6", PluginKind::Source);
        refused("wasi:sockets/tcp@0.2.6", PluginKind::Scraper);
        refused("wasi:http/outgoing-handler@0.2.6", PluginKind::Source);
        refused("evil:thing/x", PluginKind::Source);
    }
}
