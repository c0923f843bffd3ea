//! Probes: calls a plugin carries in its `kura:probes` custom section (so the sha256 and
//! the author's signature cover them), each with the exchanges its fetches get offline
//! (the SDK's cassette format) and the answer expected. Every probe must pass before a
//! version is published; `live` rules let an update be tried against the real site.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::call::{Answer, PlaylistInput, PlaylistKind, Request};
use super::error::CallError;

/// The custom section that carries the probes.
pub(crate) const PROBES_SECTION: &str = "kura:probes";
/// The probe format this host reads.
pub(crate) const PROBES_FORMAT: &str = "kura-probes/1";
/// The largest probes section read.
pub(crate) const MAX_PROBES_BYTES: usize = 2 * 1024 * 1024;

/// The whole section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProbeSet {
    pub(crate) format: String,
    pub(crate) probes: Vec<Probe>,
}

/// One probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Probe {
    pub(crate) name: String,
    pub(crate) call: ProbeCall,
    /// Settings over the plugin's own, offline only (the real site uses the operator's).
    #[serde(default)]
    pub(crate) settings: BTreeMap<String, String>,
    /// What each fetch gets offline, matched by method and URL in order.
    #[serde(default)]
    pub(crate) cassette: Vec<Exchange>,
    /// The answer offline.
    pub(crate) expect: Expect,
    /// What the answer from the real site must look like; none: not tried live.
    #[serde(default)]
    pub(crate) live: Option<LiveRule>,
}

/// The export called and its input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum ProbeCall {
    Resolve(String),
    Search(String),
    Scrape {
        code: String,
        #[serde(default)]
        page_url: Option<String>,
    },
    Avatar(String),
    Clean(String),
    /// A task plugin's run, with the task's payload as JSON text.
    Task(String),
    Filter {
        kind: PlaylistKind,
        url: String,
        text: String,
        code: String,
        source: String,
    },
}

impl ProbeCall {
    pub(crate) fn request(&self) -> Request<'_> {
        match self {
            Self::Resolve(code) => Request::Resolve(code),
            Self::Search(query) => Request::Search(query),
            Self::Scrape { code, page_url } => Request::Scrape(code, page_url.as_deref()),
            Self::Avatar(name) => Request::Avatar(name),
            Self::Clean(text) => Request::Clean(text),
            Self::Task(payload) => Request::RunTask(payload),
            Self::Filter {
                kind,
                url,
                text,
                code,
                source,
            } => Request::Filter(PlaylistInput {
                kind: *kind,
                url,
                text,
                code,
                source,
            }),
        }
    }
}

/// An expected answer: `{"ok": <JSON the answer contains>}` or `{"err": "<error kind>"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Expect {
    Ok(Value),
    Err(String),
}

/// What a live answer must be: `{"ok": {"required": [fields]}}` (each present and not
/// empty) or `{"err": "<error kind>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum LiveRule {
    Ok {
        #[serde(default)]
        required: Vec<String>,
    },
    Err(String),
}

/// One recorded fetch (the SDK's cassette entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exchange {
    pub(crate) request: ExchangeRequest,
    #[serde(default)]
    pub(crate) response: Option<ExchangeResponse>,
    #[serde(default)]
    pub(crate) error: Option<ExchangeError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExchangeRequest {
    pub(crate) method: String,
    pub(crate) url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExchangeResponse {
    pub(crate) status: u16,
    #[serde(default)]
    pub(crate) headers: Vec<(String, String)>,
    #[serde(default)]
    pub(crate) body: String,
    #[serde(default)]
    pub(crate) encoding: Option<String>,
    pub(crate) final_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExchangeError {
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) detail: String,
}

impl ExchangeResponse {
    /// The body bytes (text, or base64 when `encoding` says so).
    pub(crate) fn body_bytes(&self) -> Result<Vec<u8>, String> {
        match self.encoding.as_deref() {
            None | Some("utf-8") => Ok(self.body.clone().into_bytes()),
            Some("base64") => base64::engine::general_purpose::STANDARD
                .decode(&self.body)
                .map_err(|error| format!("cassette base64: {error}")),
            Some(other) => Err(format!("cassette encoding `{other}`")),
        }
    }
}

impl ProbeSet {
    /// Parses a probes section.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_PROBES_BYTES {
            return Err(format!("{} bytes, at most {MAX_PROBES_BYTES}", bytes.len()));
        }
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let set: ProbeSet = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| crate::util::field_error(&error))?;
        if set.format != PROBES_FORMAT {
            return Err(format!(
                "format `{}`; this Kura reads `{PROBES_FORMAT}`",
                set.format
            ));
        }
        if set.probes.is_empty() {
            return Err("no probes".to_owned());
        }
        for probe in &set.probes {
            for exchange in &probe.cassette {
                if let Some(response) = &exchange.response {
                    response
                        .body_bytes()
                        .map_err(|error| format!("probe `{}`: {error}", probe.name))?;
                }
            }
        }
        Ok(set)
    }
}

/// The fetches of one offline probe call, handed out in order.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    exchanges: Mutex<Vec<(Exchange, bool)>>,
}

impl Replay {
    pub(crate) fn new(cassette: &[Exchange]) -> Arc<Self> {
        Arc::new(Self {
            exchanges: Mutex::new(cassette.iter().cloned().map(|e| (e, false)).collect()),
        })
    }

    /// The first unused exchange for this method and URL.
    pub(crate) fn take(&self, method: &str, url: &str) -> Option<Exchange> {
        let mut exchanges = self.exchanges.lock().unwrap_or_else(|e| e.into_inner());
        let (exchange, used) = exchanges.iter_mut().find(|(exchange, used)| {
            !*used
                && exchange.request.method.eq_ignore_ascii_case(method)
                && exchange.request.url == url
        })?;
        *used = true;
        Some(exchange.clone())
    }
}

/// An answer as the API shows it: what `expect` is compared with.
pub(crate) fn answer_json(answer: &Option<Answer>) -> Value {
    let value = match answer {
        Some(Answer::Hit(hit)) => serde_json::to_value(hit),
        Some(Answer::Hits(hits)) => serde_json::to_value(hits),
        Some(Answer::Metadata(metadata)) => serde_json::to_value(metadata),
        Some(Answer::Avatar(url)) => serde_json::to_value(url),
        Some(Answer::Clean(text) | Answer::Playlist(text)) => serde_json::to_value(text),
        // A task's result is JSON text: compared as JSON when it is.
        Some(Answer::TaskResult(text)) => {
            Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone())))
        }
        None => Ok(Value::Null),
    };
    value.unwrap_or(Value::Null)
}

/// Checks an offline answer against `expect`; the reason when it does not match.
pub(crate) fn check_expect(
    expect: &Expect,
    result: &Result<Option<Answer>, CallError>,
) -> Result<(), String> {
    match (expect, result) {
        (Expect::Ok(expected), Ok(answer)) => {
            let actual = answer_json(answer);
            if contains(&actual, expected) {
                Ok(())
            } else {
                Err(format!(
                    "expected an answer containing {expected}, got {actual}"
                ))
            }
        }
        (Expect::Ok(expected), Err(error)) => Err(format!(
            "expected an answer containing {expected}, got the error {error}"
        )),
        (Expect::Err(kind), Err(error)) if error.kind() == kind => Ok(()),
        (Expect::Err(kind), Err(error)) => Err(format!("expected a `{kind}` error, got {error}")),
        (Expect::Err(kind), Ok(answer)) => Err(format!(
            "expected a `{kind}` error, got {}",
            answer_json(answer)
        )),
    }
}

/// Checks a live answer against its rule.
pub(crate) fn check_live(
    rule: &LiveRule,
    result: &Result<Option<Answer>, CallError>,
) -> Result<(), String> {
    match (rule, result) {
        (LiveRule::Ok { required }, Ok(answer)) => {
            let actual = answer_json(answer);
            let missing: Vec<&str> = required
                .iter()
                .filter(|field| {
                    actual.get(field.as_str()).is_none_or(|value| {
                        value.is_null()
                            || value.as_str() == Some("")
                            || value == &Value::Array(vec![])
                    })
                })
                .map(String::as_str)
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("the answer lacks {}", missing.join(", ")))
            }
        }
        (LiveRule::Ok { .. }, Err(error)) => Err(error.to_string()),
        (LiveRule::Err(kind), Err(error)) if error.kind() == kind => Ok(()),
        (LiveRule::Err(kind), other) => Err(format!(
            "expected a `{kind}` error, got {}",
            match other {
                Ok(answer) => answer_json(answer).to_string(),
                Err(error) => error.to_string(),
            }
        )),
    }
}

/// Whether `actual` contains `expected`: every key of an expected object with a value
/// that contains the expected one; arrays and scalars equal.
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => expected
            .iter()
            .all(|(key, value)| actual.get(key).is_some_and(|a| contains(a, value))),
        (Value::Array(actual), Value::Array(expected)) => {
            actual.len() == expected.len()
                && actual.iter().zip(expected).all(|(a, e)| contains(a, e))
        }
        _ => actual == expected,
    }
}

/// Appends `probes` (checked first) to a component as its `kura:probes` section; a
/// component that has one already is refused (pack the file as built).
pub(crate) fn pack(wasm: &[u8], probes: &[u8]) -> Result<Vec<u8>, String> {
    super::manifest::Manifest::from_component(wasm).map_err(|error| error.to_string())?;
    ProbeSet::parse(probes)?;
    if super::manifest::custom_section(wasm, PROBES_SECTION)
        .map_err(|error| error.to_string())?
        .is_some()
    {
        return Err(format!(
            "the component already has a `{PROBES_SECTION}` section"
        ));
    }
    let mut out = wasm.to_vec();
    super::manifest::append_custom_section(&mut out, PROBES_SECTION, probes);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_parse_and_refuse_what_they_should() {
        let good = serde_json::json!({"format": "kura-probes/1", "probes": [
            {"name": "a", "call": {"resolve": "DEMO-001"}, "expect": {"ok": {"title": "x"}},
             "cassette": [{"request": {"method": "GET", "url": "http://h/a"},
                           "response": {"status": 200, "body": "aGk=", "encoding": "base64", "final_url": "http://h/a"}}],
             "live": {"ok": {"required": ["title"]}}},
            {"name": "b", "call": {"scrape": {"code": "X-1"}}, "expect": {"err": "not-found"}}
        ]});
        let set = ProbeSet::parse(good.to_string().as_bytes()).expect("good");
        assert_eq!(set.probes.len(), 2);
        let body = set.probes[0].cassette[0]
            .response
            .as_ref()
            .expect("r")
            .body_bytes();
        assert_eq!(body, Ok(b"hi".to_vec()));
        for bad in [
            serde_json::json!({"format": "kura-probes/2", "probes": good["probes"]}),
            serde_json::json!({"format": "kura-probes/1", "probes": []}),
            serde_json::json!({"format": "kura-probes/1", "probes": [{"name": "c", "call": {"fly": "x"}, "expect": {"ok": 1}}]}),
        ] {
            assert!(
                ProbeSet::parse(bad.to_string().as_bytes()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn containment_is_by_key_and_exact_for_values() {
        let actual = serde_json::json!({"title": "t", "people": [{"name": "a"}], "n": 1});
        assert!(contains(&actual, &serde_json::json!({"title": "t"})));
        assert!(contains(
            &actual,
            &serde_json::json!({"people": [{"name": "a"}]})
        ));
        assert!(!contains(&actual, &serde_json::json!({"title": "u"})));
        assert!(!contains(&actual, &serde_json::json!({"missing": null})));
        assert!(!contains(&actual, &serde_json::json!({"people": []})));
    }

    #[test]
    fn a_replay_hands_each_exchange_out_once_in_order() {
        let exchange = |body: &str| Exchange {
            request: ExchangeRequest {
                method: "GET".into(),
                url: "http://h/a".into(),
            },
            response: Some(ExchangeResponse {
                status: 200,
                headers: vec![],
                body: body.into(),
                encoding: None,
                final_url: "http://h/a".into(),
            }),
            error: None,
        };
        let replay = Replay::new(&[exchange("1"), exchange("2")]);
        let body = |e: Option<Exchange>| e.and_then(|e| e.response).map(|r| r.body);
        assert_eq!(body(replay.take("get", "http://h/a")), Some("1".into()));
        assert_eq!(body(replay.take("GET", "http://h/a")), Some("2".into()));
        assert_eq!(replay.take("GET", "http://h/a"), None);
        assert_eq!(replay.take("GET", "http://h/b"), None);
    }

    #[test]
    fn pack_appends_one_section_a_component_reads_back() {
        let manifest = br#"{"name":"p","version":"1.0.0","kind":"source","wit":"0.1.0"}"#;
        let mut component = b"\0asm\x0d\0\x01\0".to_vec();
        super::super::manifest::append_custom_section(&mut component, "kura:manifest", manifest);
        let probes = serde_json::json!({"format": "kura-probes/1", "probes": [
            {"name": "a", "call": {"resolve": "X-1"}, "expect": {"err": "not-found"}}]})
        .to_string();
        let packed = pack(&component, probes.as_bytes()).expect("pack");
        let section = super::super::manifest::custom_section(&packed, PROBES_SECTION)
            .expect("parses")
            .expect("present");
        assert_eq!(section, probes.as_bytes());
        assert!(super::super::manifest::Manifest::from_component(&packed).is_ok());
        assert!(pack(&packed, probes.as_bytes()).is_err(), "packed twice");
        assert!(pack(&component, b"{}").is_err(), "not probes");
        assert!(pack(b"not wasm", probes.as_bytes()).is_err());
    }
}
