//! `translator:`: the LLM servers titles are translated with (N-C2), as written and as
//! validated. Each profile names an Ollama-compatible server, a model and a prompt;
//! `translator.active` picks the one the server and `kura translate` use.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// The prompt of a profile that sets none: `{title}` is the title to translate.
pub(crate) const DEFAULT_PROMPT: &str = "Translate this Japanese video title into natural English. \
     Answer with the English title only, without quotes, notes or explanations.\n\n\
     Japanese title: {title}";

/// `translator:`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawTranslator {
    /// The profile that translates titles. Unset (null): translation is off, and added
    /// resources keep the status `pending` until a profile is chosen.
    pub(crate) active: Option<String>,
    /// Translator profiles by name; keys a profile leaves out take the defaults below.
    pub(crate) profiles: BTreeMap<String, RawTranslatorProfile>,
}

/// One entry under `translator.profiles`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawTranslatorProfile {
    /// Base URL of a server speaking the Ollama HTTP API (`/api/generate`, `/api/chat`).
    /// The operator writing it approves it: it may be on loopback or the LAN, and it is
    /// reached directly, never through `proxy:`.
    pub(crate) url: String,
    /// `generate` (POST /api/generate with the prompt) or `chat` (POST /api/chat with the
    /// prompt as the one user message).
    pub(crate) api: String,
    /// The model name as the server knows it.
    pub(crate) model: String,
    /// Deadline of one request, in milliseconds (a model may first have to load).
    pub(crate) timeout_ms: u64,
    /// Sampling temperature, 0 to 2; low keeps titles literal.
    pub(crate) temperature: f64,
    /// The language titles are translated into (ISO 639-1 code). A title already in it
    /// is `skipped`: for `ja`, `zh` and `ko` a title in that script; for any other
    /// language a title without CJK characters (Han, kana, Hangul, full-width forms).
    pub(crate) target_language: String,
    /// The prompt: `{title}` becomes the title, `{code}` the resource's code.
    pub(crate) prompt: String,
}

impl Default for RawTranslatorProfile {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:11434".to_owned(),
            api: "generate".to_owned(),
            model: "qwen2.5:7b".to_owned(),
            timeout_ms: 120_000,
            temperature: 0.2,
            target_language: "en".to_owned(),
            prompt: DEFAULT_PROMPT.to_owned(),
        }
    }
}

/// Which Ollama endpoint a profile calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TranslatorApi {
    /// `POST /api/generate`, answer in `response`.
    Generate,
    /// `POST /api/chat`, answer in `message.content`.
    Chat,
}

impl TranslatorApi {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Generate => "generate",
            Self::Chat => "chat",
        }
    }
}

/// `translator:` validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct TranslatorConfig {
    /// The name of the active profile; None: translation is off.
    pub(crate) active: Option<String>,
    pub(crate) profiles: BTreeMap<String, TranslatorProfile>,
}

impl TranslatorConfig {
    /// The active profile, if any.
    pub(crate) fn active_profile(&self) -> Option<&TranslatorProfile> {
        self.active
            .as_ref()
            .and_then(|name| self.profiles.get(name))
    }
}

/// One translator profile, validated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TranslatorProfile {
    pub(crate) name: String,
    /// The server's base URL (the API paths are joined to it).
    pub(crate) url: url::Url,
    pub(crate) api: TranslatorApi,
    pub(crate) model: String,
    pub(crate) timeout: Duration,
    pub(crate) temperature: f64,
    /// Lower case, e.g. `en`.
    pub(crate) target_language: String,
    pub(crate) prompt: String,
}

pub(super) fn validate_translator(raw: &RawTranslator) -> Result<TranslatorConfig, ConfigError> {
    let mut profiles = BTreeMap::new();
    for (name, profile) in &raw.profiles {
        profiles.insert(name.clone(), validate_profile(name, profile)?);
    }
    if let Some(active) = &raw.active
        && !profiles.contains_key(active)
    {
        let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
        return Err(invalid(
            "translator.active",
            format!(
                "no profile `{active}` under translator.profiles (known: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        ));
    }
    Ok(TranslatorConfig {
        active: raw.active.clone(),
        profiles,
    })
}

fn validate_profile(
    name: &str,
    raw: &RawTranslatorProfile,
) -> Result<TranslatorProfile, ConfigError> {
    let key = |field: &str| format!("translator.profiles.{name}.{field}");
    let url = url::Url::parse(&raw.url).map_err(|error| invalid(key("url"), error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(key("url"), "must be an absolute http or https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            key("url"),
            "credentials in the URL are not supported",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            key("url"),
            "must be the server's base URL, without query or fragment",
        ));
    }
    let api = match raw.api.as_str() {
        "generate" => TranslatorApi::Generate,
        "chat" => TranslatorApi::Chat,
        _ => return Err(invalid(key("api"), "must be generate or chat")),
    };
    if raw.model.trim().is_empty() {
        return Err(invalid(key("model"), "must not be empty"));
    }
    if !(1..=3_600_000).contains(&raw.timeout_ms) {
        return Err(invalid(
            key("timeout_ms"),
            "must be between 1 and 3600000 (one hour)",
        ));
    }
    if !(0.0..=2.0).contains(&raw.temperature) {
        return Err(invalid(key("temperature"), "must be between 0 and 2"));
    }
    let language = raw.target_language.trim().to_ascii_lowercase();
    if !(2..=3).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(invalid(
            key("target_language"),
            "must be a language code such as en, fr or ja",
        ));
    }
    if !raw.prompt.contains("{title}") {
        return Err(invalid(
            key("prompt"),
            "must contain {title}, where the title goes",
        ));
    }
    Ok(TranslatorProfile {
        name: name.to_owned(),
        url,
        api,
        model: raw.model.trim().to_owned(),
        timeout: Duration::from_millis(raw.timeout_ms),
        temperature: raw.temperature,
        target_language: language,
        prompt: raw.prompt.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, Overrides};

    fn parse(text: &str) -> Result<Config, crate::config::ConfigError> {
        Config::parse(text, Path::new("test.yaml"), &Overrides::default())
    }

    #[test]
    fn off_by_default() {
        let config = parse("").expect("valid");
        assert_eq!(config.translator.active, None);
        assert!(config.translator.active_profile().is_none());
    }

    #[test]
    fn active_profile_with_defaults_filled_in() {
        let config = parse(
            "translator:\n  active: b\n  profiles:\n    a: {}\n    b:\n      url: http://llm.lan:8080/ollama\n      api: chat\n      model: m\n      temperature: 0\n",
        )
        .expect("valid");
        let profile = config.translator.active_profile().expect("active");
        assert_eq!(profile.name, "b");
        assert_eq!(profile.api, super::TranslatorApi::Chat);
        assert_eq!(profile.url.as_str(), "http://llm.lan:8080/ollama");
        assert_eq!(profile.temperature, 0.0);
        assert_eq!(profile.target_language, "en");
        assert_eq!(profile.prompt, super::DEFAULT_PROMPT);
        assert_eq!(config.translator.profiles["a"].model, "qwen2.5:7b");
    }

    /// The template documents the defaults: its example profile is the default one.
    #[test]
    fn the_template_profile_is_the_default() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/template-config.yaml");
        let text = std::fs::read_to_string(&path).expect("template readable");
        let template = Config::parse(&text, &path, &Overrides::default()).expect("valid");
        let defaults = parse("translator:\n  profiles:\n    ollama: {}\n").expect("valid");
        assert_eq!(
            template.translator.profiles["ollama"],
            defaults.translator.profiles["ollama"]
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        for (text, key) in [
            ("translator:\n  active: x\n", "translator.active"),
            (
                "translator:\n  profiles:\n    p:\n      url: ftp://x\n",
                "translator.profiles.p.url",
            ),
            (
                "translator:\n  profiles:\n    p:\n      url: http://u:pw@x/\n",
                "translator.profiles.p.url",
            ),
            (
                "translator:\n  profiles:\n    p:\n      api: complete\n",
                "translator.profiles.p.api",
            ),
            (
                "translator:\n  profiles:\n    p:\n      model: \" \"\n",
                "translator.profiles.p.model",
            ),
            (
                "translator:\n  profiles:\n    p:\n      timeout_ms: 0\n",
                "translator.profiles.p.timeout_ms",
            ),
            (
                "translator:\n  profiles:\n    p:\n      temperature: 3\n",
                "translator.profiles.p.temperature",
            ),
            (
                "translator:\n  profiles:\n    p:\n      target_language: English\n",
                "translator.profiles.p.target_language",
            ),
            (
                "translator:\n  profiles:\n    p:\n      prompt: Translate!\n",
                "translator.profiles.p.prompt",
            ),
            (
                "translator:\n  profiles:\n    p:\n      modle: x\n",
                "modle",
            ),
        ] {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.contains(key), "{text:?} gave {error}");
        }
    }
}
