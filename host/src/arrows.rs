//! The arrows between modules, read from the sources under `host/src`: `config` imports
//! none of the modules it configures, `media` never reaches up into `api`, and no two
//! files of one module import each other.
//!
//! An import is a `use crate::..` or `use super::..` statement or a `crate::..` or
//! `super::..` path anywhere in the code, resolved to the file that holds the module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The modules a module must not import, by module.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "config",
        &[
            "download", "fetch", "store", "plugins", "library", "tasks", "api",
        ],
    ),
    ("media", &["api"]),
];

/// A module by its path from the crate root: `["download", "journal"]` is
/// `download/journal.rs`, `[]` is `lib.rs`.
type Module = Vec<String>;

#[test]
fn no_module_imports_one_it_must_not() {
    let imports = read_imports();
    let mut wrong = Vec::new();
    for (module, targets) in &imports {
        for (owner, forbidden) in FORBIDDEN {
            if module.first().map(String::as_str) != Some(*owner) {
                continue;
            }
            for target in targets {
                if target
                    .first()
                    .is_some_and(|top| forbidden.contains(&top.as_str()))
                {
                    wrong.push(format!("{} imports {}", name(module), name(target)));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows pointing the wrong way: {wrong:#?}"
    );
}

#[test]
fn no_two_files_of_one_module_import_each_other() {
    let imports = read_imports();
    let mut pairs = Vec::new();
    for (a, targets) in &imports {
        for b in targets {
            let same_module = a.first() == b.first();
            let related = b.starts_with(a) || a.starts_with(b);
            let back = imports.get(b).is_some_and(|theirs| theirs.contains(a));
            if a < b && same_module && !related && back {
                pairs.push(format!("{} <-> {}", name(a), name(b)));
            }
        }
    }
    assert!(pairs.is_empty(), "files importing each other: {pairs:#?}");
}

#[test]
fn use_trees_expand_to_paths() {
    check(
        "super::{files::{self, Entry}, report::Report as R}",
        &[
            "super::files::self",
            "super::files::Entry",
            "super::report::Report as R",
        ],
    );
    check("crate::events::Event", &["crate::events::Event"]);
}

fn check(tree: &str, expected: &[&str]) {
    assert_eq!(expand(tree), expected, "{tree}");
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "lib".to_owned()
    } else {
        module.join("::")
    }
}

/// Every module file under `host/src` with the modules it imports (itself and the crate
/// root left out).
fn read_imports() -> BTreeMap<Module, BTreeSet<Module>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = BTreeMap::new();
    collect(&root, &root, &mut sources);
    let modules: BTreeSet<Module> = sources.keys().cloned().collect();
    sources
        .iter()
        .map(|(module, source)| {
            let mut targets = imports_of(module, source, &modules);
            targets.retain(|target| target != module && !target.is_empty());
            (module.clone(), targets)
        })
        .collect()
}

fn collect(root: &Path, dir: &Path, sources: &mut BTreeMap<Module, String>) {
    let entries = std::fs::read_dir(dir).expect("readable source directory");
    for entry in entries {
        let path = entry.expect("readable directory entry").path();
        if path.is_dir() {
            collect(root, &path, sources);
            continue;
        }
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let relative = path.strip_prefix(root).expect("under the source root");
        let mut module: Module = relative
            .with_extension("")
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        match module.as_slice() {
            [only] if only == "main" => continue,
            [only] if only == "lib" => module.clear(),
            _ => {}
        }
        let source = std::fs::read_to_string(&path).expect("readable source file");
        sources.insert(module, source);
    }
}

/// The modules one file imports. Inline modules (`mod tests {`, closed by a `}` at the
/// same indentation, as rustfmt writes them) move `super` one level down.
fn imports_of(module: &Module, source: &str, modules: &BTreeSet<Module>) -> BTreeSet<Module> {
    let mut targets = BTreeSet::new();
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut statement: Option<String> = None;
    for line in source.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with("//") {
            continue;
        }
        if let Some(open) = statement.as_mut() {
            open.push(' ');
            open.push_str(trimmed);
        } else if inline
            .last()
            .is_some_and(|(depth, _)| *depth == indent && trimmed.trim_end() == "}")
        {
            inline.pop();
            continue;
        } else {
            let item = without_visibility(trimmed);
            if let Some(rest) = item.strip_prefix("mod ")
                && let Some(inline_name) = rest.trim_end().strip_suffix('{')
            {
                inline.push((indent, inline_name.trim().to_owned()));
                continue;
            }
            if let Some(rest) = item.strip_prefix("use ") {
                statement = Some(rest.to_owned());
            }
        }
        let mut scope = module.clone();
        scope.extend(inline.iter().map(|(_, name)| name.clone()));
        if let Some(text) = statement.take() {
            match text.split_once(';') {
                Some((tree, _)) => {
                    for path in expand(tree.trim()) {
                        targets.extend(resolve(&scope, &path, modules));
                    }
                }
                None => statement = Some(text),
            }
            continue;
        }
        for path in paths_in(line) {
            targets.extend(resolve(&scope, &path, modules));
        }
    }
    targets
}

fn without_visibility(item: &str) -> &str {
    let Some(rest) = item.strip_prefix("pub") else {
        return item;
    };
    let rest = match rest.strip_prefix('(') {
        Some(inner) => inner.split_once(')').map_or(rest, |(_, after)| after),
        None => rest,
    };
    rest.trim_start()
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (tree.find('{'), tree.rfind('}')) else {
        return vec![tree.trim().to_owned()];
    };
    let prefix = tree[..open].trim();
    let mut paths = Vec::new();
    let mut depth = 0;
    let mut start = open + 1;
    for (offset, character) in tree[open + 1..close].char_indices() {
        let index = open + 1 + offset;
        match character {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                paths.push(&tree[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    paths.push(&tree[start..close]);
    paths
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .flat_map(expand)
        .map(|path| format!("{prefix}{path}"))
        .collect()
}

/// The `crate::..` and `super::..` paths in a line of code.
fn paths_in(line: &str) -> Vec<String> {
    let is_path_character = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    let mut paths = Vec::new();
    for keyword in ["crate::", "super::"] {
        for (index, _) in line.match_indices(keyword) {
            let before = line[..index].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let end = line[index..]
                .find(|c: char| !is_path_character(c))
                .map_or(line.len(), |length| index + length);
            paths.push(line[index..end].to_owned());
        }
    }
    paths
}

/// The module file a path from `scope` lands in: the deepest module on the path.
fn resolve(scope: &Module, path: &str, modules: &BTreeSet<Module>) -> Option<Module> {
    let mut segments = path
        .split("::")
        .map(|segment| segment.split_whitespace().next().unwrap_or_default())
        .peekable();
    let mut absolute: Vec<&str> = match segments.next()? {
        "crate" => Vec::new(),
        "super" => {
            let mut base: Vec<&str> = scope.iter().map(String::as_str).collect();
            base.pop();
            while segments.next_if_eq(&"super").is_some() {
                base.pop();
            }
            base
        }
        _ => return None,
    };
    absolute.extend(segments.take_while(|segment| !matches!(*segment, "" | "self" | "*")));
    let mut module = Module::new();
    for segment in absolute {
        module.push(segment.to_owned());
        if !modules.contains(&module) {
            module.pop();
            break;
        }
    }
    Some(module)
}
