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
/// The shipped JavaScript cleaner's rules, test and lock file: a new JS cleaner starts
/// from them.
const JS_CLEANER_COMPONENT: &str = include_str!("../../../plugins/js-cleaner/src/component.js");
const JS_CLEANER_RULES: &str = include_str!("../../../plugins/js-cleaner/src/clean.js");
const JS_CLEANER_TEST: &str = include_str!("../../../plugins/js-cleaner/test.js");
const JS_LOCK: &str = include_str!("../../../plugins/js-cleaner/package-lock.json");
/// The shipped task plugin's sources: a new Rust task plugin starts from them.
static TASK: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../plugins/refresh-stale/src");
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
    let mut files = match new.lang {
        Lang::Rust => rust_files(new)?,
        Lang::Js => js_files(new)?,
        Lang::Python => python_files(new)?,
    };
    let kind = new.kind.as_str();
    for (path, template) in [
        ("manifest.json", format!("common/manifest-{kind}.json")),
        ("probes.json", format!("common/probes-{kind}.json")),
        ("README.md", "common/README.md.tmpl".to_owned()),
    ] {
        files.push((PathBuf::from(path), fill(&template, new)?));
    }
    files.extend(wit_files(Path::new("wit")));
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

/// A template filled for this project.
fn fill(template: &str, new: &NewPlugin) -> Result<Vec<u8>, AuthoringError> {
    Ok(substitute(&template_text(template)?, new).into_bytes())
}

/// The files of a Rust project.
fn rust_files(new: &NewPlugin) -> Result<Vec<(PathBuf, Vec<u8>)>, AuthoringError> {
    let kind = new.kind.as_str();
    let mut files = vec![
        (
            PathBuf::from("Cargo.toml"),
            fill("rust/Cargo.toml.tmpl", new)?,
        ),
        (PathBuf::from(".gitignore"), b"target/\ndist/\n".to_vec()),
    ];
    if new.kind == PluginKind::Task {
        // The shipped task plugin is the example.
        let src = Path::new("src");
        for file in all_files(&TASK) {
            files.push((src.join(file.path()), file.contents().to_vec()));
        }
    } else {
        files.push((
            PathBuf::from("src/lib.rs"),
            fill(&format!("rust/{kind}.rs"), new)?,
        ));
    }
    if new.kind == PluginKind::Cleaner {
        let src = Path::new("src");
        for file in all_files(&CLEANER) {
            if file.path().starts_with("rules") || file.path() == Path::new("rules.rs") {
                files.push((src.join(file.path()), file.contents().to_vec()));
            }
        }
    }
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

/// The files of a JavaScript project: package.json and its lock (the shipped JS
/// cleaner's, so the tools are the ones tested), the component, its pure rules and their
/// node test.
fn js_files(new: &NewPlugin) -> Result<Vec<(PathBuf, Vec<u8>)>, AuthoringError> {
    let kind = new.kind.as_str();
    let mut files = vec![
        (
            PathBuf::from("package.json"),
            fill("js/package.json.tmpl", new)?,
        ),
        (PathBuf::from("package-lock.json"), js_lock(&new.name)?),
        (
            PathBuf::from("src/component.js"),
            match new.kind {
                // The shipped JS cleaner is the example, imports at the current version.
                PluginKind::Cleaner => JS_CLEANER_COMPONENT.as_bytes().to_vec(),
                _ => fill(&format!("js/{kind}.js"), new)?,
            },
        ),
        (
            PathBuf::from(".gitignore"),
            b"node_modules/\nbuild/\ndist/\n".to_vec(),
        ),
    ];
    match new.kind {
        PluginKind::Cleaner => {
            files.push((
                PathBuf::from("src/clean.js"),
                JS_CLEANER_RULES.as_bytes().to_vec(),
            ));
            files.push((
                PathBuf::from("test.js"),
                JS_CLEANER_TEST.as_bytes().to_vec(),
            ));
        }
        PluginKind::Source | PluginKind::Scraper => {
            files.push((
                PathBuf::from("src/page.js"),
                fill(&format!("js/{kind}-page.js"), new)?,
            ));
            files.push((
                PathBuf::from("test.js"),
                fill(&format!("js/{kind}-test.js"), new)?,
            ));
        }
        PluginKind::PlaylistFilter | PluginKind::Task => {
            files.push((
                PathBuf::from("src/rules.js"),
                fill(&format!("js/{kind}-rules.js"), new)?,
            ));
            files.push((
                PathBuf::from("test.js"),
                fill(&format!("js/{kind}-test.js"), new)?,
            ));
        }
    }
    Ok(files)
}

/// The shipped JS cleaner's lock file, renamed: the same resolved tool versions.
fn js_lock(name: &str) -> Result<Vec<u8>, AuthoringError> {
    let mut lock: serde_json::Value = serde_json::from_str(JS_LOCK)
        .map_err(|error| AuthoringError::Invalid(format!("built-in package-lock.json: {error}")))?;
    for pointer in ["", "/packages/"] {
        if let Some(root) = lock.pointer_mut(pointer) {
            root["name"] = serde_json::json!(name);
            root["version"] = serde_json::json!("0.1.0");
        }
    }
    let mut text = serde_json::to_string_pretty(&lock)
        .map_err(|error| AuthoringError::Invalid(error.to_string()))?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// The files of a Python project: pyproject.toml (componentize-py pinned), the component
/// module, its pure rules and their unittest.
fn python_files(new: &NewPlugin) -> Result<Vec<(PathBuf, Vec<u8>)>, AuthoringError> {
    let kind = new.kind.as_str();
    let (module, test) = match new.kind {
        PluginKind::Source | PluginKind::Scraper => ("page", "test_page"),
        PluginKind::Cleaner | PluginKind::PlaylistFilter | PluginKind::Task => {
            ("rules", "test_rules")
        }
    };
    Ok(vec![
        (
            PathBuf::from("pyproject.toml"),
            fill("python/pyproject.toml.tmpl", new)?,
        ),
        (
            PathBuf::from("src/app.py"),
            fill(&format!("python/{kind}.py"), new)?,
        ),
        (
            PathBuf::from(format!("src/{module}.py")),
            fill(&format!("python/{kind}-{module}.py"), new)?,
        ),
        (
            PathBuf::from(format!("tests/{test}.py")),
            fill(&format!("python/{kind}-test.py"), new)?,
        ),
        (
            PathBuf::from(".gitignore"),
            b".venv/\nbuild/\ndist/\n__pycache__/\n".to_vec(),
        ),
    ])
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

/// Fills `{{name}}`, `{{kind}}`, `{{lang}}`, `{{wit}}`, `{{sdk_features}}` and
/// `{{extra_dependencies}}`.
fn substitute(text: &str, new: &NewPlugin) -> String {
    let features = if matches!(new.kind, PluginKind::Scraper) {
        ", features = [\"html\"]"
    } else {
        ""
    };
    let extra = if new.kind == PluginKind::Task {
        "serde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\n"
    } else {
        ""
    };
    text.replace("{{name}}", &new.name)
        .replace("{{kind}}", new.kind.as_str())
        .replace("{{lang}}", new.lang.as_str())
        .replace("{{wit}}", &WIT_CURRENT.to_string())
        .replace("{{sdk_features}}", features)
        .replace("{{extra_dependencies}}", extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_templates_in_every_language() {
        for lang in [Lang::Rust, Lang::Js, Lang::Python] {
            for kind in [
                PluginKind::Source,
                PluginKind::Scraper,
                PluginKind::Cleaner,
                PluginKind::PlaylistFilter,
                PluginKind::Task,
            ] {
                let dir = tempfile::tempdir().expect("tempdir");
                let new = NewPlugin {
                    name: "my-plugin".to_owned(),
                    kind,
                    lang,
                    dir: dir.path().join("p"),
                };
                let written = create(&new).unwrap_or_else(|e| panic!("{lang:?} {kind}: {e}"));
                for path in &written {
                    let text = std::fs::read(new.dir.join(path)).expect("written");
                    let text = String::from_utf8_lossy(&text);
                    for placeholder in [
                        "{{name}}",
                        "{{kind}}",
                        "{{lang}}",
                        "{{wit}}",
                        "{{sdk_features}}",
                    ] {
                        assert!(
                            !text.contains(placeholder),
                            "{lang:?} {kind}: {} keeps {placeholder}",
                            path.display()
                        );
                    }
                }
                assert!(written.contains(&PathBuf::from("wit/cleaner-golden.json")));
            }
        }
    }

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

    /// A new cleaner in JavaScript or Python passes every golden case with the rules it
    /// starts from (the shipped JS cleaner's, and the Python port of them), run natively
    /// by the project's own test file, as an author runs it. Skipped when the language's
    /// interpreter is missing.
    #[test]
    fn new_js_and_python_cleaners_pass_the_golden_cases() {
        for (lang, program, test) in [
            (Lang::Js, "node", "test.js"),
            (Lang::Python, "python3", "tests/test_rules.py"),
        ] {
            let installed = std::process::Command::new(program)
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success());
            if !installed {
                eprintln!(
                    "skipping the {lang:?} cleaner's golden cases: {program} is not installed"
                );
                continue;
            }
            let dir = tempfile::tempdir().expect("tempdir");
            let new = NewPlugin {
                name: "my-cleaner".to_owned(),
                kind: PluginKind::Cleaner,
                lang,
                dir: dir.path().join("p"),
            };
            create(&new).expect("created");
            let output = std::process::Command::new(program)
                .arg(test)
                .current_dir(&new.dir)
                .output()
                .expect("run the cleaner's test");
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(output.status.success(), "{lang:?}: {printed}");
            let golden = crate::plugins::golden_cases().expect("golden").len();
            assert!(
                printed.contains(&format!("{golden} golden")),
                "{lang:?} did not run the {golden} golden cases: {printed}"
            );
        }
    }
}
