//! Parsing a component with `wasmparser` and checking it against its embedded manifest.

use wasmparser::{Parser, Payload};

/// What the inspector reads from one component file.
pub(crate) struct Component {
    size: usize,
    imports: Vec<String>,
    exports: Vec<String>,
    /// Custom sections as (nesting depth, name, size); depth 0 is the component itself.
    custom_sections: Vec<(usize, String, usize)>,
    manifest: Option<Vec<u8>>,
}

impl Component {
    /// Parses a binary; fails when it is not a component.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Component, String> {
        let mut component = Component {
            size: bytes.len(),
            imports: Vec::new(),
            exports: Vec::new(),
            custom_sections: Vec::new(),
            manifest: None,
        };
        let mut depth = 0usize;
        let mut is_component = false;
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(|error| error.to_string())? {
                Payload::Version { encoding, .. } => {
                    if depth == 0 {
                        is_component = encoding == wasmparser::Encoding::Component;
                    }
                    depth += 1;
                }
                Payload::End(_) => depth = depth.saturating_sub(1),
                Payload::ComponentImportSection(reader) if depth == 1 => {
                    for import in reader {
                        let import = import.map_err(|error| error.to_string())?;
                        component.imports.push(import.name.name.to_string());
                    }
                }
                Payload::ComponentExportSection(reader) if depth == 1 => {
                    for export in reader {
                        let export = export.map_err(|error| error.to_string())?;
                        component.exports.push(export.name.name.to_string());
                    }
                }
                Payload::CustomSection(reader) => {
                    let name = reader.name().to_string();
                    if name == "kura:manifest" {
                        component.manifest = Some(reader.data().to_vec());
                    }
                    component
                        .custom_sections
                        .push((depth - 1, name, reader.data().len()));
                }
                _ => {}
            }
        }
        if !is_component {
            return Err("not a component (core module?)".to_string());
        }
        Ok(component)
    }

    /// Prints size, imports, exports, custom sections and the manifest.
    pub(crate) fn print(&self) {
        println!("  size: {} bytes", self.size);
        println!("  imports: {}", self.imports.join(", "));
        println!("  exports: {}", self.exports.join(", "));
        for (depth, name, size) in &self.custom_sections {
            println!("  custom section (depth {depth}): {name} ({size} bytes)");
        }
        match &self.manifest {
            Some(bytes) => println!("  manifest: {}", String::from_utf8_lossy(bytes).trim()),
            None => println!("  manifest: MISSING"),
        }
    }

    /// The rules a plugin component must follow; an empty list means it passes.
    pub(crate) fn violations(&self) -> Vec<String> {
        let mut violations = Vec::new();
        let Some(bytes) = &self.manifest else {
            return vec!["no kura:manifest custom section".to_string()];
        };
        let manifest: serde_json::Value = match serde_json::from_slice(bytes) {
            Ok(value) => value,
            Err(error) => return vec![format!("manifest is not JSON: {error}")],
        };
        let kind = manifest["kind"].as_str().unwrap_or_default();
        let wit = manifest["wit"].as_str().unwrap_or_default();
        let expected_export = format!("kura:plugin/{kind}@{wit}");
        if self.exports != [expected_export.clone()] {
            violations.push(format!(
                "exports {:?}, expected exactly [{expected_export}]",
                self.exports
            ));
        }
        let allowed: &[&str] = match kind {
            "cleaner" => &["types", "log", "settings"],
            _ => &["types", "http", "log", "settings", "cookies"],
        };
        for import in &self.imports {
            if let Some(rest) = import.strip_prefix("kura:plugin/") {
                let interface = rest.split('@').next().unwrap_or_default();
                if !allowed.contains(&interface) {
                    violations.push(format!("a {kind} must not import {import}"));
                }
            } else if ["wasi:filesystem", "wasi:sockets", "wasi:http"]
                .iter()
                .any(|prefix| import.starts_with(prefix))
            {
                violations.push(format!("forbidden import {import}"));
            }
        }
        violations
    }
}
