//! apiview-core is built in layers: each module may use only the modules below it, so
//! that there is no import cycle and a newcomer can read the crate bottom-up. This
//! test reads `apiview-core/src`, maps every file to its top-level module, collects
//! the `crate::<module>` and `super::` paths that leave that module (in code, and in
//! intra-doc links), and fails on every one that points up or sideways.
//!
//! To add a module, declare it in `LAYERS` at the lowest place its imports allow.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// apiview-core's top-level modules, bottom first, each with why it sits there.
const LAYERS: &[(&str, &str)] = &[
    (
        "meta",
        "endpoint metadata the generated code writes as statics: the leaf",
    ),
    (
        "error",
        "BizError and the code catalogue: every layer above answers with them",
    ),
    (
        "settings",
        "plain data parsed once at start-up; knows only the error language",
    ),
    (
        "cipher",
        "the cryptography of the safe protocol; no request, no App",
    ),
    (
        "listener",
        "connection limits under poem's server; knows only the limits",
    ),
    (
        "cache",
        "backends, handles, keys, the single-flight table; never a request",
    ),
    (
        "request",
        "the request as endpoints see it, with the App's caches to reach; knows no App",
    ),
    ("coerce", "request values into parameter types"),
    (
        "auth",
        "who sends a request: Identity, Authenticate, BearerJwt; reads a request, serves none",
    ),
    (
        "paginate",
        "PageRequest from a query string, Page<T>, the signed cursor, the links",
    ),
    (
        "packer",
        "envelopes around results and errors; reads a request, serves none",
    ),
    (
        "guard",
        "aclkey, method allow-list and validators, as plain functions",
    ),
    (
        "serve",
        "the only layer that knows a request in flight: Call, phases, packing",
    ),
    ("app", "the builder: binds endpoints to what serving needs"),
    (
        "client",
        "calls apiview endpoints with the packers and the cipher",
    ),
    (
        "__private",
        "the one door for generated code: may use every layer",
    ),
];

/// Files whose module is not named after them (`#[path]` in lib.rs).
const RENAMED: &[(&str, &str)] = &[("private.rs", "__private")];

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("apiview-core/src");
    let rank: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .map(|(at, (name, _))| (*name, at))
        .collect();
    let mut files = Vec::new();
    collect_rs(&src, &mut files);
    assert!(files.len() > 10, "no sources found under {}", src.display());

    let mut problems = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        if relative == Path::new("lib.rs") {
            continue;
        }
        let module = module_path(relative);
        let Some(&own) = rank.get(module[0].as_str()) else {
            problems.push(format!(
                "{}: module `{}` is not in LAYERS; declare it where its imports allow",
                relative.display(),
                module[0]
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for found in references(&text, &module) {
            let target = match found.target {
                Ok(target) => target,
                Err(problem) => {
                    problems.push(format!("{}:{}: {problem}", relative.display(), found.line));
                    continue;
                }
            };
            if target == module[0] {
                continue;
            }
            match rank.get(target.as_str()) {
                Some(&theirs) if theirs < own => {}
                Some(_) => problems.push(format!(
                    "{}:{}: `{}` uses `{target}`, which is not below it (LAYERS: {})",
                    relative.display(),
                    found.line,
                    module[0],
                    LAYERS
                        .iter()
                        .map(|(name, _)| *name)
                        .collect::<Vec<_>>()
                        .join(" < "),
                )),
                None => problems.push(format!(
                    "{}:{}: `crate::{target}` is not a module; name the module that defines it \
                     (`crate::module::{target}`), not a re-export of the crate root",
                    relative.display(),
                    found.line,
                )),
            }
        }
    }
    assert!(problems.is_empty(), "layer violations:\n{}", problems.join("\n"));
}

#[test]
fn lib_declares_exactly_the_layers() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("apiview-core/src/lib.rs"))
        .unwrap();
    let code = scan(&lib).code;
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ';'))
        .collect();
    let mut declared: Vec<&str> = words
        .windows(2)
        .filter(|pair| pair[0] == "mod")
        .map(|pair| pair[1].trim_end_matches(';'))
        .collect();
    declared.sort_unstable();
    let mut layers: Vec<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    layers.sort_unstable();
    assert_eq!(declared, layers, "lib.rs's modules and LAYERS differ");
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// `cache/handle.rs` → `[cache, handle]`; `cache/mod.rs` → `[cache]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if let Some((file, module)) = RENAMED.iter().find(|(file, _)| parts == [*file]) {
        let _ = file;
        return vec![(*module).to_owned()];
    }
    let last = parts.pop().unwrap();
    if last != "mod.rs" {
        parts.push(last.trim_end_matches(".rs").to_owned());
    }
    parts
}

struct Reference {
    line: usize,
    /// The top-level module the path leads to, or why it cannot be told.
    target: Result<String, String>,
}

/// A file's text with comments and literals blanked out (`code`, line breaks kept),
/// and its doc comments (`docs`, as `(line, text)`).
struct Scanned {
    code: String,
    docs: Vec<(usize, String)>,
}

fn scan(text: &str) -> Scanned {
    let chars: Vec<char> = text.chars().collect();
    let mut code = String::with_capacity(text.len());
    let mut docs = Vec::new();
    let mut line = 1;
    let mut at = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        if c == '/' && next == Some('/') {
            let end = chars[at..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |n| at + n);
            let comment: String = chars[at..end].iter().collect();
            if comment.starts_with("///") || comment.starts_with("//!") {
                docs.push((line, comment[3..].to_owned()));
            }
            code.extend(std::iter::repeat_n(' ', end - at));
            at = end;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while at < chars.len() {
                if chars[at] == '/' && chars.get(at + 1) == Some(&'*') {
                    depth += 1;
                    code.push_str("  ");
                    at += 2;
                } else if chars[at] == '*' && chars.get(at + 1) == Some(&'/') {
                    depth -= 1;
                    code.push_str("  ");
                    at += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[at] == '\n');
                    code.push(blank(chars[at]));
                    at += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, at) {
            // A raw string: r"..", r#".."#.
            let hashes = chars[at + 1..].iter().take_while(|&&c| c == '#').count();
            if chars.get(at + 1 + hashes) != Some(&'"') {
                code.push(c);
                at += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let body_start = at + 2 + hashes;
            let rest: String = chars[body_start..].iter().collect();
            let end = body_start
                + rest
                    .find(&close)
                    .map_or(rest.chars().count(), |byte| rest[..byte].chars().count())
                + close.len();
            for &c in &chars[at..end.min(chars.len())] {
                line += usize::from(c == '\n');
                code.push(blank(c));
            }
            at = end;
        } else if c == '"' {
            code.push(' ');
            at += 1;
            while at < chars.len() && chars[at] != '"' {
                if chars[at] == '\\' {
                    code.push(' ');
                    at += 1;
                }
                if at < chars.len() {
                    line += usize::from(chars[at] == '\n');
                    code.push(blank(chars[at]));
                    at += 1;
                }
            }
            code.push(' ');
            at += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(at + 2) == Some(&'\'')) {
            // A char literal ('x', '\n', '\'', '\u{..}'); a lifetime has no closing quote.
            let end = if next == Some('\\') {
                chars[at + 3..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map_or(chars.len(), |n| at + 4 + n)
            } else {
                at + 3
            };
            code.extend(std::iter::repeat_n(' ', end - at));
            at = end;
        } else {
            line += usize::from(c == '\n');
            code.push(c);
            at += 1;
        }
    }
    Scanned { code, docs }
}

fn ident_before(chars: &[char], at: usize) -> bool {
    at > 0 && (chars[at - 1].is_alphanumeric() || chars[at - 1] == '_')
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Path,
    Open,
    Close,
    Comma,
    Other,
    Newline,
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c == '$' {
            // `$crate` in a macro is the crate's root, as `crate` is; `$name` is not.
            at += 1;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let end = chars[at..]
                .iter()
                .position(|&c| !(c.is_alphanumeric() || c == '_'))
                .map_or(chars.len(), |n| at + n);
            out.push(Token::Ident(chars[at..end].iter().collect()));
            at = end;
            continue;
        }
        out.push(match c {
            ':' if chars.get(at + 1) == Some(&':') => {
                at += 1;
                Token::Path
            }
            '{' => Token::Open,
            '}' => Token::Close,
            ',' => Token::Comma,
            '\n' => Token::Newline,
            c if c.is_whitespace() => {
                at += 1;
                continue;
            }
            _ => Token::Other,
        });
        at += 1;
    }
    out
}

/// The paths in `text` that name another top-level module: `crate::x`, a `super::`
/// chain that climbs out of `module`, and `crate::x` in intra-doc links.
fn references(text: &str, module: &[String]) -> Vec<Reference> {
    let scanned = scan(text);
    let mut found = Vec::new();
    let tokens = tokens(&scanned.code);
    let mut line = 1;
    let mut depth = 0usize;
    // Inline modules (`mod tests { .. }`) open at a brace depth.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        match &tokens[at] {
            Token::Newline => line += 1,
            Token::Open => depth += 1,
            Token::Close => {
                depth -= 1;
                inline.retain(|(_, open)| *open < depth + 1);
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some(Token::Ident(name)), Some(Token::Open)) =
                    (tokens.get(at + 1), tokens.get(at + 2))
                {
                    inline.push((name.clone(), depth + 1));
                }
            }
            Token::Ident(word) if word == "crate" && tokens.get(at + 1) == Some(&Token::Path) => {
                for target in crate_targets(&tokens[at + 2..]) {
                    found.push(Reference { line, target });
                }
            }
            Token::Ident(word) if word == "super" && tokens.get(at + 1) == Some(&Token::Path) => {
                let mut here: Vec<String> = module.to_vec();
                here.extend(inline.iter().map(|(name, _)| name.clone()));
                let mut next = at;
                while matches!(&tokens.get(next), Some(Token::Ident(w)) if w == "super")
                    && tokens.get(next + 1) == Some(&Token::Path)
                {
                    if here.pop().is_none() {
                        found.push(Reference {
                            line,
                            target: Err("`super::` climbs above the crate".into()),
                        });
                    }
                    next += 2;
                }
                if here.is_empty() {
                    // Out of the top-level module: into the crate root.
                    for target in crate_targets(&tokens[next..]) {
                        found.push(Reference { line, target });
                    }
                }
                at = next;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    for (line, doc) in &scanned.docs {
        let mut from = 0;
        while let Some(start) = doc[from..].find("crate::").map(|n| from + n) {
            from = start + "crate::".len();
            // `$crate::`, `apiview_crate::`: not a path of this crate.
            if doc[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let name: String = doc[from..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(Reference {
                line: *line,
                target: Ok(name),
            });
        }
    }
    found
}

/// What `crate::` (or a `super::` chain reaching the root) is followed by: one
/// module, or each first segment of a `{..}` group.
fn crate_targets(after: &[Token]) -> Vec<Result<String, String>> {
    match after.first() {
        Some(Token::Ident(name)) => vec![Ok(name.clone())],
        Some(Token::Open) => {
            let mut targets = Vec::new();
            let mut depth = 0;
            let mut expect_item = true;
            for token in after {
                match token {
                    Token::Open => {
                        depth += 1;
                        expect_item = depth == 1;
                    }
                    Token::Close => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Token::Comma if depth == 1 => expect_item = true,
                    Token::Ident(name) if depth == 1 && expect_item => {
                        targets.push(Ok(name.clone()));
                        expect_item = false;
                    }
                    Token::Newline => {}
                    _ => {}
                }
            }
            targets
        }
        _ => vec![Err("a `crate::` path that names no module".into())],
    }
}

/// The scanner itself: a test of the test, so that a regression in it cannot make the
/// layer check pass by seeing nothing.
#[test]
fn the_scanner_sees_paths_and_only_paths() {
    let text = r##"
use crate::error::BizError;
use super::flight::Flights;
// crate::serve in a comment is no import
/// A link to [`Call`](crate::serve::Call).
const S: &str = "crate::app is text";
const R: &str = r#"crate::app is text"#;
const C: char = '"';
fn f<'a>(x: &'a str) -> &'a str { x }
use crate::{cache::Cache, request::{ApiRequest, RawValue}};
mod tests {
    use super::*;
    use super::super::meta::Source;
}
"##;
    let module = vec!["cache".to_owned(), "handle".to_owned()];
    let found: Vec<(usize, String)> = references(text, &module)
        .into_iter()
        .map(|found| (found.line, found.target.unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            (2, "error".to_owned()),
            (10, "cache".to_owned()),
            (10, "request".to_owned()),
            (5, "serve".to_owned()),
        ]
    );
    // From a top-level file, `super::` is the crate root; from its `mod tests`, the file.
    let top = vec!["settings".to_owned()];
    let found: Vec<String> = references(
        "use super::listener::Limited;\nmod tests { use super::*; }\n",
        &top,
    )
    .into_iter()
    .map(|found| found.target.unwrap())
    .collect();
    assert_eq!(found, ["listener"]);
}
