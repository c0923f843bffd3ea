//! The prompt: the profile's template with `{title}` and `{code}` filled in, and the key
//! its answer is cached under.

use crate::config::TranslatorApi;

/// The template with `{title}` and `{code}` replaced in one pass (a title that itself
/// holds `{code}` stays as it is); any other brace is kept verbatim.
pub(super) fn render_prompt(template: &str, title: &str, code: &str) -> String {
    let mut prompt = String::with_capacity(template.len() + title.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        prompt.push_str(&rest[..start]);
        let tail = &rest[start..];
        if let Some(after) = tail.strip_prefix("{title}") {
            prompt.push_str(title);
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{code}") {
            prompt.push_str(code);
            rest = after;
        } else {
            prompt.push('{');
            rest = &tail[1..];
        }
    }
    prompt.push_str(rest);
    prompt
}

/// The cache key of a request: sha256 (hex) of the API, the model and the rendered
/// prompt. The same key means the same request, so its answer can be reused; the
/// temperature is left out (a cached answer stands for the model's answer).
pub(super) fn prompt_hash(api: TranslatorApi, model: &str, prompt: &str) -> String {
    crate::util::sha256_hex(format!("{}\n{model}\n{prompt}", api.as_str()).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(template: &str, title: &str, expected: &str) {
        assert_eq!(
            render_prompt(template, title, "DEMO-001"),
            expected,
            "{template:?}"
        );
    }

    #[test]
    fn placeholders_are_filled_once() {
        check("Translate: {title}", "夏の海辺", "Translate: 夏の海辺");
        check("{code}: {title} / {title}", "夏", "DEMO-001: 夏 / 夏");
        check("{title}", "{code} {title}", "{code} {title}");
        check("{ title } {unknown} {", "x", "{ title } {unknown} {");
        check("no placeholder", "x", "no placeholder");
        check("{{title}}", "夏", "{夏}");
        check("", "x", "");
    }

    #[test]
    fn the_default_prompt_holds_the_title_once() {
        let prompt = render_prompt(crate::config::DEFAULT_PROMPT, "夏の海辺", "DEMO-001");
        assert_eq!(prompt.matches("夏の海辺").count(), 1, "{prompt}");
        assert!(prompt.ends_with("Japanese title: 夏の海辺"), "{prompt}");
    }

    #[test]
    fn the_hash_changes_with_api_model_and_prompt() {
        let base = prompt_hash(TranslatorApi::Generate, "m", "p");
        assert_eq!(base.len(), 64);
        assert_eq!(base, prompt_hash(TranslatorApi::Generate, "m", "p"));
        for other in [
            prompt_hash(TranslatorApi::Chat, "m", "p"),
            prompt_hash(TranslatorApi::Generate, "n", "p"),
            prompt_hash(TranslatorApi::Generate, "m", "q"),
            prompt_hash(TranslatorApi::Generate, "m\np", ""),
        ] {
            assert_ne!(base, other);
        }
    }
}
