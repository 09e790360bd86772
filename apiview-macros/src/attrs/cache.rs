//! `#[cache(key = "..", expire = N, name = "..", get_from_cache = .., set_to_cache = ..,
//! batch = .., ignore_errors = ..)]`.

use syn::{Attribute, LitInt, LitStr};

use super::args::{lit_bool, lit_str, lit_usize, Args};
use super::Helpers;
use crate::ctxt::Ctxt;

pub struct CacheAttr {
    pub key: LitStr,
    pub literals: Vec<String>,
    pub names: Vec<String>,
    pub expire: Option<LitInt>,
    pub name: String,
    pub get_from_cache: bool,
    pub set_to_cache: bool,
    pub batch: bool,
    pub ignore_errors: bool,
}

const USAGE: &str = "#[cache(key = \"add:{a}:{b}\", expire = 60)]";

pub fn cache(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    args.reject_unknown(
        cx,
        "cache",
        &[
            "key",
            "expire",
            "name",
            "get_from_cache",
            "set_to_cache",
            "batch",
            "ignore_errors",
        ],
    );
    for extra in &args.positional {
        cx.error_spanned_by(extra, format!("#[cache] options are named: {USAGE}"));
    }
    if helpers.cache.is_some() {
        cx.error_spanned_by(attr, "#[cache] is given twice");
        return;
    }
    let Some(key) = args.option("key").and_then(|expr| lit_str(cx, expr, "key")) else {
        if args.option("key").is_none() {
            cx.error_spanned_by(attr, format!("#[cache] needs a key template: {USAGE}"));
        }
        return;
    };
    let (literals, names) = match split_template(&key.value()) {
        Ok(split) => split,
        Err(problem) => {
            cx.error_spanned_by(&key, format!("bad key template: {problem}"));
            return;
        }
    };
    let expire = args
        .option("expire")
        .and_then(|expr| lit_usize(cx, expr, "expire"));
    if let Some(expire) = &expire {
        if expire.base10_parse::<u64>().ok() == Some(0) {
            cx.error_spanned_by(
                expire,
                "expire is in seconds and must be at least 1; omit it for settings' cache.default_expire",
            );
        }
    }
    let name = match args.option("name") {
        Some(expr) => match lit_str(cx, expr, "name") {
            Some(lit) => lit.value(),
            None => return,
        },
        None => "default".to_owned(),
    };
    let flag = |key: &str, default: bool| args.option(key).map_or(default, |expr| lit_bool(cx, expr, key));
    helpers.cache = Some(CacheAttr {
        key,
        literals,
        names,
        expire,
        name,
        get_from_cache: flag("get_from_cache", true),
        set_to_cache: flag("set_to_cache", true),
        batch: flag("batch", false),
        ignore_errors: flag("ignore_errors", true),
    });
}

/// `"add:{a}:{b}"` → (`["add:", ":", ""]`, `["a", "b"]`); `{{` and `}}` are literal
/// braces. The runtime's `cache::Template::parse` reads the same grammar.
fn split_template(template: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let mut literals = Vec::new();
    let mut names = Vec::new();
    let mut literal = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) if c.is_alphanumeric() || c == '_' => name.push(c),
                        Some(c) => {
                            return Err(format!(
                                "`{c}` cannot be part of a placeholder name in `{{{name}`"
                            ))
                        }
                        None => return Err(format!("placeholder `{{{name}` is not closed with `}}`")),
                    }
                }
                if name.is_empty() {
                    return Err("empty placeholder `{}`; name a parameter, like `{id}`".into());
                }
                literals.push(std::mem::take(&mut literal));
                names.push(name);
            }
            '}' => return Err("a lone `}`; write `}}` for a literal brace".into()),
            c => literal.push(c),
        }
    }
    literals.push(literal);
    if template.contains(['*', '?', '[']) {
        return Err("a key template cannot hold glob characters (`*`, `?`, `[`): they would make keys that match other keys".into());
    }
    for (index, between) in literals.iter().enumerate().take(names.len()).skip(1) {
        if between.chars().all(can_be_in_a_part) {
            return Err(format!(
                "`{{{}}}` and `{{{}}}` need a separator between them that no value can write, such as `:` \
                 (values are written with letters, digits and `_.-%!#~`); without one, two pairs of values \
                 would fill the same key",
                names[index - 1],
                names[index]
            ));
        }
    }
    Ok((literals, names))
}

/// Whether a filled value (`apiview_core::cache::key_part`) can hold `c`.
fn can_be_in_a_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '%' | '!' | '#' | '~')
}

#[cfg(test)]
mod tests {
    use super::split_template;

    #[test]
    fn placeholders_need_a_separator_no_value_can_write() {
        for template in [
            "a:{x}{y}",
            "a:{x}-{y}",
            "{x}_{y}:z",
            "{x}~{y}",
            "{x}.{y}",
            "{a}:{x}%{y}",
        ] {
            let problem = split_template(template).unwrap_err();
            assert!(problem.contains("need a separator"), "{template}: {problem}");
        }
        for template in [
            "a:{x}:{y}",
            "{x}/{y}",
            "{x}-:{y}",
            "x{a}y",
            "{a}",
            "n:{a}:{b}:{c}",
        ] {
            assert!(split_template(template).is_ok(), "{template}");
        }
        let problem = split_template("a:{x}{y}").unwrap_err();
        assert!(problem.starts_with("`{x}` and `{y}`"), "{problem}");
    }
}
