//! `#[cache(key = "..", expire = N, name = "..", get_from_cache = .., set_to_cache = ..,
//! batch = .., ignore_errors = ..)]`.

use apiview_grammar::KeyTemplate;
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
    let Some(key) = args.option("key").and_then(|expr| lit_str(cx, expr, "key")) else {
        if args.option("key").is_none() {
            cx.error_spanned_by(attr, format!("#[cache] needs a key template: {USAGE}"));
        }
        return;
    };
    let template = match KeyTemplate::parse(&key.value()).and_then(|template| {
        template.check_unambiguous()?;
        Ok(template)
    }) {
        Ok(template) => template,
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
    let cache = CacheAttr {
        key,
        literals: template.literals,
        names: template.names,
        expire,
        name,
        get_from_cache: flag("get_from_cache", true),
        set_to_cache: flag("set_to_cache", true),
        batch: flag("batch", false),
        ignore_errors: flag("ignore_errors", true),
    };
    helpers.cache.set(cx, "#[cache]", attr, cache);
}
