//! Person names as sites write them: `Name（Alias）`, `Name (Alias)`, nested
//! `Name（Alias（Older Alias））`, split into a name and its aliases (N-B5).

/// A name and its aliases, outermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitName {
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
}

impl SplitName {
    /// Aliases joined for storage, or None.
    pub(crate) fn alias_text(&self) -> Option<String> {
        (!self.aliases.is_empty()).then(|| self.aliases.join(" / "))
    }
}

/// Splits `Name（Alias（Older））` into `Name` and `[Alias, Older]`. Unbalanced brackets
/// are kept as written rather than guessed at.
pub(crate) fn split_name(raw: &str) -> SplitName {
    let text = raw.trim();
    let Some(open) = text.find(['（', '(']) else {
        return plain(text);
    };
    let name = text[..open].trim();
    let mut aliases = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in text[open..].chars() {
        match c {
            '（' | '(' => {
                if depth > 0 && !current.trim().is_empty() {
                    aliases.push(current.trim().to_owned());
                }
                current.clear();
                depth += 1;
            }
            '）' | ')' => {
                if depth == 0 {
                    return plain(text);
                }
                if !current.trim().is_empty() {
                    aliases.push(current.trim().to_owned());
                }
                current.clear();
                depth -= 1;
            }
            _ if depth == 0 => {
                if !c.is_whitespace() {
                    // Text after the closing bracket: not a name-with-alias form.
                    return plain(text);
                }
            }
            _ => current.push(c),
        }
    }
    if depth != 0 || name.is_empty() {
        return plain(text);
    }
    SplitName {
        name: name.to_owned(),
        aliases,
    }
}

fn plain(text: &str) -> SplitName {
    SplitName {
        name: text.split_whitespace().collect::<Vec<_>>().join(" "),
        aliases: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, name: &str, aliases: &[&str]) {
        let split = split_name(raw);
        assert_eq!(split.name, name, "{raw}");
        assert_eq!(split.aliases, aliases, "{raw}");
    }

    #[test]
    fn splits_names() {
        check("Mika Tanaka", "Mika Tanaka", &[]);
        check("  Mika   Tanaka ", "Mika Tanaka", &[]);
        check("雪代 まどか（雪代まどか）", "雪代 まどか", &["雪代まどか"]);
        check("Name (Alias)", "Name", &["Alias"]);
        check(
            "Name（Alias（Older Alias））",
            "Name",
            &["Alias", "Older Alias"],
        );
        check("Name（A）（B）", "Name", &["A", "B"]);
        check("Name（）", "Name", &[]);
        check("Name（Alias", "Name（Alias", &[]);
        check("Name）", "Name）", &[]);
        check("（Alias）", "（Alias）", &[]);
        check("Name (Alias) trailing", "Name (Alias) trailing", &[]);
        assert_eq!(
            split_name("A（B（C））").alias_text().as_deref(),
            Some("B / C")
        );
    }
}
