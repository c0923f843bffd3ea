//! `translator:`: the LLM servers titles are translated with (N-C2), as written and as
//! validated. Each profile names a server speaking the Ollama API or OpenAI's chat
//! completions (LM Studio, vLLM, llama.cpp's server, API gateways), a model and a
//! prompt; `translator.active` picks the one the server and `kura translate` use. An API
//! key is read from an environment variable or a file the profile names, never from
//! the config itself, and is never shown or logged.

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
    /// `generate` (POST /api/generate with the prompt), `chat` (POST /api/chat with the
    /// prompt as the one user message) or `openai` (POST /v1/chat/completions, the same
    /// message: OpenAI-compatible servers).
    pub(crate) api: String,
    /// The environment variable holding the API key (sent as `Authorization: Bearer`).
    pub(crate) api_key_env: Option<String>,
    /// A file holding the API key (its first line); relative to the working directory.
    pub(crate) api_key_file: Option<String>,
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
            api_key_env: None,
            api_key_file: None,
            model: "qwen2.5:7b".to_owned(),
            timeout_ms: 120_000,
            temperature: 0.2,
            target_language: "en".to_owned(),
            prompt: DEFAULT_PROMPT.to_owned(),
        }
    }
}

/// Which endpoint a profile calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TranslatorApi {
    /// Ollama's `POST /api/generate`, answer in `response`.
    Generate,
    /// Ollama's `POST /api/chat`, answer in `message.content`.
    Chat,
    /// OpenAI-compatible `POST /v1/chat/completions`, answer in
    /// `choices[0].message.content`.
    OpenAi,
}

impl TranslatorApi {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Generate => "generate",
            Self::Chat => "chat",
            Self::OpenAi => "openai",
        }
    }
}

/// An API key: shown and logged as `(hidden)`, whatever prints it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    /// The key itself, for the one header that carries it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(hidden)")
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
    /// From `api_key_env` or `api_key_file`, read when the config is loaded.
    pub(crate) api_key: Option<ApiKey>,
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
        "openai" => TranslatorApi::OpenAi,
        _ => return Err(invalid(key("api"), "must be generate, chat or openai")),
    };
    let api_key = match (&raw.api_key_env, &raw.api_key_file) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                key("api_key_env"),
                "name the key's variable or its file (api_key_file), not both",
            ));
        }
        (Some(variable), None) => {
            let value = std::env::var(variable).map_err(|_| {
                invalid(
                    key("api_key_env"),
                    format!("the environment variable `{variable}` is not set"),
                )
            })?;
            Some(api_key(value, || key("api_key_env"))?)
        }
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file).map_err(|error| {
                invalid(
                    key("api_key_file"),
                    format!("cannot read `{file}`: {error}"),
                )
            })?;
            let first = text.lines().next().unwrap_or_default().to_owned();
            Some(api_key(first, || key("api_key_file"))?)
        }
        (None, None) => None,
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
        api_key,
        model: raw.model.trim().to_owned(),
        timeout: Duration::from_millis(raw.timeout_ms),
        temperature: raw.temperature,
        target_language: language,
        prompt: raw.prompt.clone(),
    })
}

/// A key as read, trimmed; an empty or multi-word one is refused (without showing it).
fn api_key(value: String, key: impl Fn() -> String) -> Result<ApiKey, ConfigError> {
    let value = value.trim();
    if value.is_empty() || value.chars().any(char::is_whitespace) {
        return Err(invalid(key(), "the API key is empty or holds spaces"));
    }
    Ok(ApiKey(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, Overrides};

    fn parse(text: &str) -> Result<Config, crate::config::ConfigError> {
        Config::parse(text, Path::new("test.yaml"), &Overrides::default())
    }

    #[test]
    fn an_api_key_comes_from_a_file_or_a_variable_and_never_shows() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("key");
        std::fs::write(&file, "sk-abc123\nignored\n").expect("key");
        let text = format!(
            "translator:\n  profiles:\n    o:\n      api: openai\n      api_key_file: \"{}\"\n",
            file.display()
        );
        let config = parse(&text).expect("valid");
        let profile = &config.translator.profiles["o"];
        assert_eq!(profile.api, super::TranslatorApi::OpenAi);
        let key = profile.api_key.as_ref().expect("key");
        assert_eq!(key.expose(), "sk-abc123");
        assert!(!format!("{profile:?}").contains("sk-abc123"), "{profile:?}");
        assert!(!config.shown.to_string().contains("sk-abc123"));
        // A variable surely set, to show it is read (its value is no key, but one word).
        let from_env =
            parse("translator:\n  profiles:\n    o:\n      api_key_env: HOME\n").expect("valid");
        assert!(from_env.translator.profiles["o"].api_key.is_some());
        for (bad, key) in [
            (
                "translator:\n  profiles:\n    o:\n      api_key_env: KURA_TEST_SURELY_UNSET_VARIABLE\n".to_owned(),
                "api_key_env",
            ),
            (
                "translator:\n  profiles:\n    o:\n      api_key_file: /nonexistent/key\n".to_owned(),
                "api_key_file",
            ),
            (
                format!("translator:\n  profiles:\n    o:\n      api_key_env: HOME\n      api_key_file: \"{}\"\n", file.display()),
                "api_key_env",
            ),
        ] {
            let error = parse(&bad).expect_err("refused").to_string();
            assert!(error.contains(key), "{error}");
            assert!(!error.contains("sk-abc123"), "{error}");
        }
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
