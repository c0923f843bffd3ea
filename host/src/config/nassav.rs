//! `kura config import-nassav`: the replaced system's `config.yaml` (proxy, file path
//! prefix, backup path, display title, translator profiles, sources and scrapers)
//! written as the equivalent Kura configuration, with a comment on every key that has
//! no Kura equivalent or was changed on the way.
//!
//! The output is YAML text, not a serialized struct, so that it can carry those
//! comments; every value in it is written as a JSON scalar (valid YAML), and a test
//! loads it with Kura's own configuration loader.

use serde_json::{Map, Value};

/// Why the file could not be read as that system's configuration.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NassavConfigError {
    /// Not YAML at all.
    #[error("not YAML: {0}")]
    Yaml(String),
    /// YAML, but not a mapping of sections.
    #[error("expected a mapping of sections (Proxy, Source, Translator, ...), found {0}")]
    NotMapping(&'static str),
}

/// The equivalent Kura configuration of `text`, the original `config.yaml`; `origin`
/// names it in the heading comment.
pub(crate) fn import_nassav(text: &str, origin: &str) -> Result<String, NassavConfigError> {
    let root: Value =
        serde_saphyr::from_str(text).map_err(|error| NassavConfigError::Yaml(error.to_string()))?;
    let root = match root {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => return Err(NassavConfigError::NotMapping(kind(&other))),
    };
    let mut out = Writer::default();
    out.comment(0, &format!("Kura configuration converted from {origin}."));
    out.comment(
        0,
        "Review it, save it as config/config.yaml and run `kura config check`; keys not",
    );
    out.comment(
        0,
        "written here keep Kura's defaults (config/template-config.yaml).",
    );
    let mut unmapped = Vec::new();
    let mut library = Section::new("library");
    let mut maintenance = Section::new("maintenance");
    for (key, value) in &root {
        match key.to_ascii_lowercase().as_str() {
            "proxy" => proxy(&mut out, value, &mut unmapped),
            "filepathprefix" => file_path_prefix(&mut library, value),
            "backuppath" => backup_path(&mut maintenance, value),
            "displaytitle" => display_title(&mut library, value, &mut unmapped),
            "translator" => translator(&mut out, value, &mut unmapped),
            "source" => plugins(&mut out, "sources", "Source", value, &mut unmapped),
            "scraper" => plugins(&mut out, "scrapers", "Scraper", value, &mut unmapped),
            "scrapperdomain" | "scraperdomain" => unmapped.push(format!(
                "{key}: a list of domains without plugin names; give each to the scraper \
                 plugin that reads that site, as scrapers.NAME.domain"
            )),
            _ => unmapped.push(format!("{key}: no Kura equivalent")),
        }
    }
    library.write(&mut out);
    maintenance.write(&mut out);
    if !unmapped.is_empty() {
        out.blank();
        out.comment(0, "Not mapped:");
        for line in unmapped {
            out.comment(0, &format!("- {line}"));
        }
    }
    Ok(out.finish())
}

/// `Proxy: {Enable, url}` -> `proxy: {enabled, url}`.
fn proxy(out: &mut Writer, value: &Value, unmapped: &mut Vec<String>) {
    let Some(map) = value.as_object() else {
        unmapped.push(format!("Proxy: expected a mapping, found {}", kind(value)));
        return;
    };
    out.blank();
    out.line(0, "proxy:");
    for (key, value) in map {
        match key.to_ascii_lowercase().as_str() {
            "enable" | "enabled" => match as_bool(value) {
                Some(enabled) => out.entry(1, "enabled", &Value::Bool(enabled)),
                None => unmapped.push(format!("Proxy.{key}: not true or false: {value}")),
            },
            "url" => out.entry(1, "url", value),
            _ => unmapped.push(format!("Proxy.{key}: no Kura equivalent")),
        }
    }
}

/// `FilePathPrefix` -> `library.file_path_prefix`, put before the absolute path
/// `/api/downloads/abspath` answers, as there.
fn file_path_prefix(library: &mut Section, value: &Value) {
    match value {
        Value::Null => library.comment("FilePathPrefix: null, so no prefix (the default)"),
        Value::String(prefix) if prefix.is_empty() => {
            library.comment("FilePathPrefix: empty, so no prefix (the default)");
        }
        value => {
            library.comment("FilePathPrefix: put before the absolute path of a video");
            library.entry("file_path_prefix", &Value::String(scalar_text(value)));
        }
    }
}

/// `BackupPath` -> `maintenance.backup_path`, where `kura sync-backups` copies to.
fn backup_path(maintenance: &mut Section, value: &Value) {
    match value {
        Value::Null => maintenance.comment("BackupPath: null, so sync-backups needs --target"),
        value => {
            maintenance.comment("BackupPath: where `kura sync-backups` copies backups");
            maintenance.entry("backup_path", &Value::String(scalar_text(value)));
        }
    }
}

/// `DisplayTitle` (`translated_title`, `source_title`, `original_title`) ->
/// `library.display_title`.
fn display_title(library: &mut Section, value: &Value, unmapped: &mut Vec<String>) {
    let text = scalar_text(value).to_ascii_lowercase();
    let mapped = match text.trim_end_matches("_title") {
        "translated" => "translated",
        "source" => "source",
        "original" => "original",
        _ => {
            unmapped.push(format!(
                "DisplayTitle: {value} is none of translated_title, source_title, original_title"
            ));
            return;
        }
    };
    library.entry("display_title", &Value::String(mapped.to_owned()));
}

/// `Translator: {active, NAME: {type, url, model, timeout, max_retries, prompt_template}}`
/// -> `translator: {active, profiles: {NAME: {...}}}`. That system translated into
/// Chinese, so each profile's `target_language` is `zh`.
fn translator(out: &mut Writer, value: &Value, unmapped: &mut Vec<String>) {
    let Some(map) = value.as_object() else {
        unmapped.push(format!(
            "Translator: expected a mapping, found {}",
            kind(value)
        ));
        return;
    };
    let active = map
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("active"))
        .map(|(_, value)| scalar_text(value));
    let profiles: Vec<(&String, &Map<String, Value>)> = map
        .iter()
        .filter(|(key, _)| !key.eq_ignore_ascii_case("active"))
        .filter_map(|(key, value)| match value.as_object() {
            Some(profile) => Some((key, profile)),
            None => {
                unmapped.push(format!("Translator.{key}: not a profile (a mapping)"));
                None
            }
        })
        .collect();
    out.blank();
    out.line(0, "translator:");
    match &active {
        Some(active) if profiles.iter().any(|(name, _)| *name == active) => {
            out.entry(1, "active", &Value::String(active.clone()));
        }
        Some(active) => {
            out.comment(
                1,
                &format!("active: {active} names no profile below, so none is active"),
            );
        }
        None => out.comment(1, "no active profile: translation stays off"),
    }
    if profiles.is_empty() {
        return;
    }
    out.line(1, "profiles:");
    for (name, profile) in profiles {
        translator_profile(out, name, profile, unmapped);
    }
}

/// One profile of [`translator`].
fn translator_profile(
    out: &mut Writer,
    name: &str,
    profile: &Map<String, Value>,
    unmapped: &mut Vec<String>,
) {
    out.key(2, name);
    let kind = profile
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("type"))
        .map(|(_, value)| scalar_text(value).to_ascii_lowercase());
    match kind.as_deref() {
        None | Some("ollama") => out.entry(3, "api", &Value::String("generate".to_owned())),
        Some("openai") => out.entry(3, "api", &Value::String("openai".to_owned())),
        Some(other) => {
            out.comment(
                3,
                &format!("type: {other} is not an API Kura speaks; Ollama assumed"),
            );
            out.entry(3, "api", &Value::String("generate".to_owned()));
        }
    }
    for (key, value) in profile {
        let path = format!("Translator.{name}.{key}");
        match key.to_ascii_lowercase().as_str() {
            "type" => {}
            "url" | "model" => out.entry(3, key, &Value::String(scalar_text(value))),
            "timeout" => match value.as_f64() {
                Some(seconds) if seconds > 0.0 => {
                    out.comment(3, &format!("timeout: {seconds} s"));
                    out.entry(
                        3,
                        "timeout_ms",
                        &Value::from((seconds * 1000.0).round() as u64),
                    );
                }
                _ => unmapped.push(format!("{path}: not a number of seconds: {value}")),
            },
            "max_retries" => out.comment(
                3,
                &format!(
                    "max_retries: {value}: Kura retries a failed translation as it retries any \
                     task, up to tasks.max_attempts"
                ),
            ),
            "prompt_template" | "prompt" => {
                out.comment(3, "prompt_template: its {text} is Kura's {title}");
                let prompt = scalar_text(value).replace("{text}", "{title}");
                out.entry(3, "prompt", &Value::String(prompt));
            }
            "api_key" | "apikey" | "key" => unmapped.push(format!(
                "{path}: a key is never kept in Kura's configuration; put it in an environment \
                 variable or a file and name that with api_key_env or api_key_file"
            )),
            _ => unmapped.push(format!("{path}: no Kura equivalent")),
        }
    }
    out.comment(3, "that system translated titles into Chinese");
    out.entry(3, "target_language", &Value::String("zh".to_owned()));
}

/// `Source` or `Scraper: {NAME: {domain, weight, cookie}}` -> `sources` or `scrapers:
/// {NAME: {domain, weight}}`. Domains there are host names; Kura's are base URLs.
fn plugins(
    out: &mut Writer,
    section: &str,
    original: &str,
    value: &Value,
    unmapped: &mut Vec<String>,
) {
    let Some(map) = value.as_object() else {
        unmapped.push(format!(
            "{original}: expected a mapping, found {}",
            kind(value)
        ));
        return;
    };
    out.blank();
    out.comment(
        0,
        "A section applies to the plugin of that name once one is installed (kura plugin",
    );
    out.comment(
        0,
        "list shows what is); Kura ships no plugin for these sites.",
    );
    out.line(0, &format!("{section}:"));
    for (name, settings) in map {
        out.key(1, name);
        let Some(settings) = settings.as_object() else {
            out.comment(
                2,
                &format!("{original}.{name}: not a mapping, nothing to keep"),
            );
            continue;
        };
        for (key, value) in settings {
            let path = format!("{original}.{name}.{key}");
            match (key.to_ascii_lowercase().as_str(), value) {
                (_, Value::Null) => out.comment(2, &format!("{key}: empty")),
                ("domain", value) => {
                    let domain = scalar_text(value);
                    let url = if domain.contains("://") {
                        domain
                    } else {
                        format!("https://{}", domain.trim_end_matches('/'))
                    };
                    out.entry(2, "domain", &Value::String(url));
                }
                ("weight", value) => match value.as_i64() {
                    Some(weight) => out.entry(2, "weight", &Value::from(weight)),
                    None => unmapped.push(format!("{path}: not a whole number: {value}")),
                },
                ("cookie", _) => out.comment(
                    2,
                    "cookie: not copied; set it with POST /api/source/cookie, which keeps it \
                     out of the configuration",
                ),
                _ => unmapped.push(format!("{path}: no Kura equivalent")),
            }
        }
    }
}

/// A section written once at the end, from keys that come from several places.
struct Section {
    name: &'static str,
    lines: Vec<(bool, String, Value)>,
}

impl Section {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            lines: Vec::new(),
        }
    }

    fn comment(&mut self, text: &str) {
        self.lines.push((true, text.to_owned(), Value::Null));
    }

    fn entry(&mut self, key: &str, value: &Value) {
        self.lines.push((false, key.to_owned(), value.clone()));
    }

    fn write(self, out: &mut Writer) {
        if self.lines.is_empty() {
            return;
        }
        out.blank();
        // Only comments: they stand alone, with no empty section above them.
        let level = if self.lines.iter().all(|(is_comment, _, _)| *is_comment) {
            0
        } else {
            out.line(0, &format!("{}:", self.name));
            1
        };
        for (is_comment, text, value) in self.lines {
            if is_comment {
                out.comment(level, &text);
            } else {
                out.entry(level, &text, &value);
            }
        }
    }
}

/// YAML text, line by line, two spaces per level.
#[derive(Default)]
struct Writer {
    text: String,
}

impl Writer {
    fn line(&mut self, level: usize, text: &str) {
        self.text.push_str(&"  ".repeat(level));
        self.text.push_str(text);
        self.text.push('\n');
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn comment(&mut self, level: usize, text: &str) {
        self.line(level, &format!("# {text}"));
    }

    /// `key:` opening a mapping; the key quoted, since names such as `qwen2.5:7b` hold
    /// YAML's own characters.
    fn key(&mut self, level: usize, key: &str) {
        self.line(level, &format!("{}:", Value::String(key.to_owned())));
    }

    /// `key: value`, the value as a JSON scalar.
    fn entry(&mut self, level: usize, key: &str, value: &Value) {
        self.line(level, &format!("{key}: {value}"));
    }

    /// The text, with every `key:` that opens nothing (only comments follow it) written
    /// as an empty mapping, `key: {}`: Kura reads a bare `key:` as null, not as a section.
    fn finish(self) -> String {
        let lines: Vec<&str> = self.text.lines().collect();
        let indent = |line: &str| line.len() - line.trim_start().len();
        let is_content = |line: &str| {
            let trimmed = line.trim_start();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        };
        let mut text = String::with_capacity(self.text.len() + 64);
        for (index, line) in lines.iter().enumerate() {
            text.push_str(line);
            if is_content(line) && line.ends_with(':') {
                let opens = lines[index + 1..]
                    .iter()
                    .find(|next| is_content(next))
                    .is_some_and(|next| indent(next) > indent(line));
                if !opens {
                    text.push_str(" {}");
                }
            }
            text.push('\n');
        }
        text
    }
}

/// A scalar's text: strings as they are, numbers and booleans as written.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A YAML boolean as that system's loader (PyYAML) reads one.
fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => Some(true),
            "false" | "no" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// What a value is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Config, DisplayTitle, Overrides};

    /// That system's template, filled in the way a user fills it, plus keys it never had.
    const ORIGINAL: &str = r#"
# 代理配置
Proxy:
  Enable: true
  url: http://127.0.0.1:7077
FilePathPrefix: "\\\\wsl.localhost\\Debian"
BackupPath: /mnt/backup/nassav
DisplayTitle: source_title
Scraper:
  javbus:
    domain: www.javbus.example
  busdmm:
    domain: https://www.busdmm.example/
Source:
  missav:
    domain: missav.example
    weight: 1000
    cookie: "session=abc"
  jable:
    domain: jable.example
    weight: 800
  memo:
    domain: memojav.example
    weight:
Translator:
  active: qwen2.5:7b
  qwen2.5:7b:
    type: ollama
    url: http://localhost:11434
    model: qwen2.5:7b
    timeout: 30
    max_retries: 3
    prompt_template: "请将以下日语标题翻译成简体中文。\n\n日语标题：{text}\n\n中文翻译："
  remote:
    type: openai
    url: http://10.0.0.2:8000/v1
    model: gpt-x
    api_key: sk-should-not-be-copied
ScrapperDomain: ["www.javbus.example"]
Celery:
  broker: redis://localhost
"#;

    fn converted(text: &str) -> String {
        import_nassav(text, "config.yaml").expect("converted")
    }

    fn load(text: &str) -> Config {
        Config::parse(text, Path::new("converted.yaml"), &Overrides::default())
            .unwrap_or_else(|error| panic!("Kura refuses the conversion: {error}\n{text}"))
    }

    #[test]
    fn every_mapped_key_reaches_kura_s_configuration() {
        let text = converted(ORIGINAL);
        let config = load(&text);
        assert_eq!(config.library.file_path_prefix, r"\\wsl.localhost\Debian");
        assert!(matches!(config.library.display_title, DisplayTitle::Source));
        assert_eq!(
            config.maintenance.backup_path.as_deref(),
            Some(Path::new("/mnt/backup/nassav"))
        );
        let proxy = config.fetch.proxy.as_ref().expect("proxy on");
        assert_eq!(proxy.as_str(), "http://127.0.0.1:7077/");
        assert_eq!(config.translator.active.as_deref(), Some("qwen2.5:7b"));
        let profile = &config.translator.profiles["qwen2.5:7b"];
        assert_eq!(profile.model, "qwen2.5:7b");
        assert_eq!(profile.timeout.as_millis(), 30_000);
        assert_eq!(profile.target_language, "zh");
        assert!(
            profile.prompt.contains("日语标题：{title}"),
            "{}",
            profile.prompt
        );
        assert!(!profile.prompt.contains("{text}"));
        let remote = &config.translator.profiles["remote"];
        assert!(remote.api_key.is_none());
        let missav = &config.plugin_entries["missav"];
        assert_eq!(missav.weight, Some(1000));
        assert_eq!(
            missav.domain.as_ref().map(url::Url::as_str),
            Some("https://missav.example/")
        );
        assert_eq!(config.plugin_entries["memo"].weight, None);
        assert_eq!(
            config.plugin_entries["busdmm"]
                .domain
                .as_ref()
                .map(url::Url::as_str),
            Some("https://www.busdmm.example/")
        );
    }

    #[test]
    fn what_cannot_be_mapped_is_said_and_secrets_are_not_copied() {
        let text = converted(ORIGINAL);
        assert!(!text.contains("sk-should-not-be-copied"), "{text}");
        assert!(!text.contains("session=abc"), "{text}");
        for said in [
            "Translator.remote.api_key: a key is never kept",
            "cookie: not copied; set it with POST /api/source/cookie",
            "ScrapperDomain: a list of domains without plugin names",
            "Celery: no Kura equivalent",
            "max_retries: 3",
            "prompt_template: its {text} is Kura's {title}",
        ] {
            assert!(text.contains(said), "missing {said:?} in:\n{text}");
        }
        assert!(text.starts_with("# Kura configuration converted from config.yaml."));
    }

    #[test]
    fn an_empty_or_partial_file_gives_a_valid_configuration() {
        for original in [
            "",
            "Proxy:\n  Enable: false\n  url: http://127.0.0.1:443\n",
            "FilePathPrefix: null\nBackupPath: null\n",
            "Translator:\n  active: missing\n",
            "Source:\n  a: 3\n",
        ] {
            load(&converted(original));
        }
        let text = converted("Translator:\n  active: missing\n");
        assert!(text.contains("names no profile below"), "{text}");
    }

    #[test]
    fn what_is_not_that_system_s_configuration_is_refused() {
        for (original, expected) in [
            (
                "- a\n- b\n",
                "expected a mapping of sections (Proxy, Source, Translator, ...), found a list",
            ),
            ("just text\n", "found a string"),
        ] {
            let error = import_nassav(original, "x")
                .expect_err(original)
                .to_string();
            assert!(error.contains(expected), "{original:?}: {error}");
        }
        assert!(matches!(
            import_nassav("a: [b\n", "x"),
            Err(NassavConfigError::Yaml(_))
        ));
        let bad_values = converted("DisplayTitle: fancy\nProxy:\n  Enable: maybe\n");
        assert!(
            bad_values.contains("DisplayTitle: \"fancy\" is none of"),
            "{bad_values}"
        );
        assert!(
            bad_values.contains("Proxy.Enable: not true or false"),
            "{bad_values}"
        );
        load(&bad_values);
    }
}
