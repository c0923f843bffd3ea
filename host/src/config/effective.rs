//! The configuration as the server runs it, for people to read (`GET /api/config`):
//! every key with its default filled in and the overrides applied, secrets hidden.
//!
//! Hidden: the password of any URL (a database or proxy URL may carry one), and the
//! value of any key whose name says it holds a secret (`api_key`, `token`, `cookie`,
//! `password`, `secret`, `auth`), wherever it sits (plugin settings included).

use serde_json::Value;

use super::raw::RawConfig;

/// What a hidden value is shown as.
pub(crate) const HIDDEN: &str = "(hidden)";

/// Parts of a key's name that mark its value as secret.
const SECRET_WORDS: &[&str] = &["key", "token", "secret", "password", "cookie", "auth"];

/// The effective configuration with secrets hidden.
pub(crate) fn shown(raw: &RawConfig) -> Value {
    let mut value = serde_json::to_value(raw).unwrap_or(Value::Null);
    hide(&mut value);
    value
}

fn hide(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                let lower = key.to_ascii_lowercase();
                // Switches and numbers (`require_token: true`) are no secret.
                let may_hold_one =
                    !matches!(inner, Value::Null | Value::Bool(_) | Value::Number(_));
                if SECRET_WORDS.iter().any(|word| lower.contains(word)) && may_hold_one {
                    *inner = Value::String(HIDDEN.to_owned());
                } else {
                    hide(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(hide),
        Value::String(text) => {
            if let Some(safe) = without_password(text) {
                *text = safe;
            }
        }
        _ => {}
    }
}

/// `text` with its URL password hidden, when it is a URL that has one.
fn without_password(text: &str) -> Option<String> {
    let mut url = url::Url::parse(text).ok()?;
    url.password()?;
    url.set_password(Some(HIDDEN)).ok()?;
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_secret_keys_are_hidden_and_the_rest_is_shown() {
        let mut value = serde_json::json!({
            "database": { "url": "postgres://kura:s3cret@db:5432/kura" },
            "proxy": { "url": "http://proxy:3128" },
            "sources": { "site": { "settings": { "api_key": "abc", "region": "eu" } } },
            "server": { "require_token": true, "port": 8380 },
        });
        hide(&mut value);
        let text = value.to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(!text.contains("\"abc\""), "{text}");
        assert_eq!(
            value["database"]["url"],
            "postgres://kura:(hidden)@db:5432/kura"
        );
        assert_eq!(value["proxy"]["url"], "http://proxy:3128");
        assert_eq!(value["sources"]["site"]["settings"]["region"], "eu");
        assert_eq!(value["server"]["port"], 8380);
        assert_eq!(
            value["server"]["require_token"], true,
            "a switch is no secret"
        );
    }

    #[test]
    fn the_defaults_are_shown_in_full() {
        let value = shown(&RawConfig::default());
        assert_eq!(value["server"]["port"], 8380);
        assert!(value["download"].is_object());
    }
}
