//! Settings files for the servers the tools start: the repository's apiview.toml with
//! one key changed, line by line, so that its comments and other keys stay.

/// `toml` with `packer = "NAME"` in place of its `packer = ...` line.
pub fn with_packer(toml: &str, packer: &str) -> String {
    lines_to_text(toml.lines().map(|line| {
        if line.starts_with("packer = ") {
            format!("packer = \"{packer}\"")
        } else {
            line.to_owned()
        }
    }))
}

/// `toml` with `[cache] backends.default = "URL"` (or `default = "URL"` in a
/// `[cache.backends]` table, when the file has one), replacing the file's own.
pub fn with_cache_backend(toml: &str, url: &str) -> String {
    let has_table = toml
        .lines()
        .any(|line| header(line).as_deref() == Some("[cache.backends]"));
    let (target, key) = if has_table {
        ("[cache.backends]", "default")
    } else {
        ("[cache]", "backends.default")
    };
    let mut out = Vec::new();
    let mut section = String::new();
    let mut done = false;
    for line in toml.lines() {
        if let Some(name) = header(line) {
            section = name;
            out.push(line.to_owned());
            if !done && section == target {
                out.push(format!("{key} = \"{url}\""));
                done = true;
            }
            continue;
        }
        let replaced = (section == "[cache]" && is_assignment(line, &["backends", ".", "default"]))
            || (section == "[cache.backends]" && is_assignment(line, &["default"]));
        if !replaced {
            out.push(line.to_owned());
        }
    }
    if !done {
        out.extend([
            String::new(),
            "[cache]".into(),
            format!("backends.default = \"{url}\""),
        ]);
    }
    lines_to_text(out.into_iter())
}

/// A table header (`[name]`, comments and blanks removed), or None.
fn header(line: &str) -> Option<String> {
    if !line.trim_start().starts_with('[') {
        return None;
    }
    let code = line.split('#').next().unwrap_or("");
    Some(code.chars().filter(|c| *c != ' ' && *c != '\t').collect())
}

/// Whether the line assigns the key spelt by `tokens` (blanks allowed between them).
fn is_assignment(line: &str, tokens: &[&str]) -> bool {
    let mut rest = line;
    for token in tokens {
        match rest.trim_start_matches([' ', '\t']).strip_prefix(token) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.trim_start_matches([' ', '\t']).starts_with('=')
}

fn lines_to_text(lines: impl Iterator<Item = String>) -> String {
    lines.map(|line| line + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packer_line_is_replaced() {
        let toml = "# packer = x\npacker = \"simple\"   # comment\naclkey = \"k\"\n";
        assert_eq!(
            with_packer(toml, "dmrs"),
            "# packer = x\npacker = \"dmrs\"\naclkey = \"k\"\n"
        );
    }

    #[test]
    fn the_cache_backend_replaces_the_files_own() {
        let toml = "packer = \"simple\"\n\n[cache]\ndefault_expire = 300\nbackends.default = \"memory://\"   # or redis\n";
        assert_eq!(
            with_cache_backend(toml, "redis://127.0.0.1:1/0"),
            "packer = \"simple\"\n\n[cache]\nbackends.default = \"redis://127.0.0.1:1/0\"\ndefault_expire = 300\n"
        );
        let table = "[cache.backends] # the backends\ndefault = \"memory://\"\nother = \"memory://\"\n";
        assert_eq!(
            with_cache_backend(table, "memory://"),
            "[cache.backends] # the backends\ndefault = \"memory://\"\nother = \"memory://\"\n"
        );
        assert_eq!(
            with_cache_backend("packer = \"simple\"\n", "memory://"),
            "packer = \"simple\"\n\n[cache]\nbackends.default = \"memory://\"\n"
        );
    }
}
