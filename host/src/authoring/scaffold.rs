//! `kura plugin new`: a standalone plugin project from the templates built into the
//! binary, with the SDK (Rust) and the WIT it targets vendored, an example against the
//! fixture site, probes with their recorded fetches, and a README for the author.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use super::{AuthoringError, Lang};
use crate::plugins::{PluginKind, WIT_CURRENT, valid_plugin_name};

/// The project templates (`host/templates/plugin`).
static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates/plugin");
/// The Rust SDK crate, vendored into Rust projects.
static SDK: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../plugins/sdk");
/// The current WIT contract.
static WIT: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../wit");
/// The default cleaner's sources; its rules (`rules.rs`, `rules/`) start a new cleaner.
static CLEANER: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../plugins/default-cleaner/src");

/// What `kura plugin new` was asked for.
#[derive(Debug, Clone)]
pub(crate) struct NewPlugin {
    pub(crate) name: String,
    pub(crate) kind: PluginKind,
    pub(crate) lang: Lang,
    /// The project directory (created; must not exist or be empty).
    pub(crate) dir: PathBuf,
}

/// Writes the project; returns the files written, relative to its directory.
pub(crate) fn create(new: &NewPlugin) -> Result<Vec<PathBuf>, AuthoringError> {
    if !valid_plugin_name(&new.name) {
        return Err(AuthoringError::BadName(new.name.clone()));
    }
    if std::fs::read_dir(&new.dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(AuthoringError::NotEmpty(new.dir.clone()));
    }
    let files = match new.lang {
        Lang::Rust => rust_files(new)?,
        Lang::Js | Lang::Python => {
            return Err(AuthoringError::Unsupported {
                kind: new.kind.to_string(),
                lang: new.lang.as_str().to_owned(),
            });
        }
    };
    let mut written = Vec::with_capacity(files.len());
    for (path, contents) in files {
        let target = new.dir.join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| AuthoringError::file(parent, e))?;
        }
        std::fs::write(&target, contents).map_err(|e| AuthoringError::file(&target, e))?;
        written.push(path);
    }
    Ok(written)
}

/// The files of a Rust project.
fn rust_files(new: &NewPlugin) -> Result<Vec<(PathBuf, Vec<u8>)>, AuthoringError> {
    let kind = new.kind.as_str();
    let fill = |template: &str| -> Result<Vec<u8>, AuthoringError> {
        let text = template_text(template)?;
        Ok(substitute(&text, new).into_bytes())
    };
    let mut files = vec![
        (PathBuf::from("Cargo.toml"), fill("rust/Cargo.toml.tmpl")?),
        (
            PathBuf::from("src/lib.rs"),
            fill(&format!("rust/{kind}.rs"))?,
        ),
        (
            PathBuf::from("manifest.json"),
            fill(&format!("common/manifest-{kind}.json"))?,
        ),
        (
            PathBuf::from("probes.json"),
            fill(&format!("common/probes-{kind}.json"))?,
        ),
        (PathBuf::from("README.md"), fill("common/README.md.tmpl")?),
        (PathBuf::from(".gitignore"), b"target/\ndist/\n".to_vec()),
    ];
    if new.kind == PluginKind::Cleaner {
        let src = Path::new("src");
        for file in all_files(&CLEANER) {
            if file.path().starts_with("rules") || file.path() == Path::new("rules.rs") {
                files.push((src.join(file.path()), file.contents().to_vec()));
            }
        }
    }
    files.extend(wit_files(Path::new("wit")));
    let sdk = Path::new("sdk");
    for file in all_files(&SDK) {
        let path = file.path();
        let wanted = path == Path::new("Cargo.toml")
            || path == Path::new("README.md")
            || path.starts_with("src")
            || path.starts_with("wit");
        if wanted {
            files.push((sdk.join(path), file.contents().to_vec()));
        }
    }
    Ok(files)
}

/// The current WIT's `.wit` files (and the cleaners' golden cases) under `dir`.
fn wit_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    WIT.files()
        .filter(|file| {
            file.path().extension().is_some_and(|ext| ext == "wit")
                || file.path() == Path::new("cleaner-golden.json")
        })
        .map(|file| (dir.join(file.path()), file.contents().to_vec()))
        .collect()
}

/// Writes the current WIT into `dir` (a build of a project that carries none).
pub(super) fn write_current_wit(dir: &Path) -> Result<(), AuthoringError> {
    std::fs::create_dir_all(dir).map_err(|e| AuthoringError::file(dir, e))?;
    for (path, contents) in wit_files(dir) {
        std::fs::write(&path, contents).map_err(|e| AuthoringError::file(&path, e))?;
    }
    Ok(())
}

fn all_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<_> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(all_files(sub));
    }
    files
}

fn template_text(path: &str) -> Result<String, AuthoringError> {
    TEMPLATES
        .get_file(path)
        .and_then(|file| file.contents_utf8())
        .map(str::to_owned)
        .ok_or_else(|| AuthoringError::Unsupported {
            kind: path.to_owned(),
            lang: "this build (missing template)".to_owned(),
        })
}

/// Fills `{{name}}`, `{{kind}}`, `{{lang}}`, `{{wit}}` and `{{sdk_features}}`.
fn substitute(text: &str, new: &NewPlugin) -> String {
    let features = if matches!(new.kind, PluginKind::Scraper) {
        ", features = [\"html\"]"
    } else {
        ""
    };
    text.replace("{{name}}", &new.name)
        .replace("{{kind}}", new.kind.as_str())
        .replace("{{lang}}", new.lang.as_str())
        .replace("{{wit}}", &WIT_CURRENT.to_string())
        .replace("{{sdk_features}}", features)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_rust_templates_and_the_sdk_is_vendored() {
        for kind in [
            PluginKind::Source,
            PluginKind::Scraper,
            PluginKind::Cleaner,
            PluginKind::PlaylistFilter,
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let new = NewPlugin {
                name: "my-plugin".to_owned(),
                kind,
                lang: Lang::Rust,
                dir: dir.path().join("p"),
            };
            let written = create(&new).expect("created");
            for file in [
                "Cargo.toml",
                "manifest.json",
                "probes.json",
                "src/lib.rs",
                "README.md",
                "sdk/Cargo.toml",
                "sdk/src/lib.rs",
                "sdk/wit/worlds.wit",
                "wit/worlds.wit",
            ] {
                assert!(written.contains(&PathBuf::from(file)), "{kind}: {file}");
            }
            let manifest =
                std::fs::read_to_string(new.dir.join("manifest.json")).expect("manifest");
            let manifest: serde_json::Value = serde_json::from_str(&manifest).expect("json");
            assert_eq!(manifest["name"], "my-plugin");
            assert_eq!(manifest["kind"], kind.as_str());
            assert_eq!(manifest["wit"], WIT_CURRENT.to_string());
            let source = std::fs::read_to_string(new.dir.join("src/lib.rs")).expect("lib.rs");
            assert!(!source.contains("{{"), "{kind}: unfilled template");
            assert!(matches!(create(&new), Err(AuthoringError::NotEmpty(_))));
        }
        let bad = NewPlugin {
            name: "Bad Name".to_owned(),
            kind: PluginKind::Source,
            lang: Lang::Rust,
            dir: PathBuf::from("unused"),
        };
        assert!(matches!(create(&bad), Err(AuthoringError::BadName(_))));
    }
}
