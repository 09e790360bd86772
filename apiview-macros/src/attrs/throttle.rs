//! `#[throttle(rate = "10/m", scope = "..", key = "..")]` (DESIGN §13); several may
//! be stacked.

use apiview_grammar::{check_scope, KeyTemplate, Rate};
use proc_macro2::Span;
use syn::{Attribute, LitStr};

use super::args::{lit_str, Args};
use super::Helpers;
use crate::ctxt::Ctxt;

pub struct Throttle {
    pub rate: Rate,
    /// `scope = ".."`, checked; `None`: the function's path.
    pub scope: Option<String>,
    /// `key = ".."`, its tokens kept for errors about its names; `None`: `{ip}`.
    pub key: Option<LitStr>,
    pub literals: Vec<String>,
    pub names: Vec<String>,
    /// The rate literal's.
    pub span: Span,
}

const USAGE: &str = "#[throttle(rate = \"10/m\", scope = \"login\", key = \"{ip}\")]";

pub fn throttle(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    args.reject_unknown(cx, "throttle", &["rate", "scope", "key"]);
    for extra in &args.positional {
        cx.error_spanned_by(extra, format!("#[throttle] options are named: {USAGE}"));
    }
    let rate = match args.option("rate") {
        None => {
            cx.error_spanned_by(attr, format!("#[throttle] needs a rate: {USAGE}"));
            None
        }
        Some(expr) => lit_str(cx, expr, "rate").and_then(|lit| match Rate::parse(&lit.value()) {
            Ok(rate) => Some((rate, lit.span())),
            Err(err) => {
                cx.error_spanned_by(&lit, err);
                None
            }
        }),
    };
    let scope = args
        .option("scope")
        .and_then(|expr| lit_str(cx, expr, "scope"))
        .and_then(|lit| match check_scope(&lit.value()) {
            Ok(()) => Some(lit.value()),
            Err(problem) => {
                cx.error_spanned_by(&lit, problem);
                None
            }
        });
    let key = args.option("key").and_then(|expr| lit_str(cx, expr, "key"));
    let template = match &key {
        None => KeyTemplate::parse("{ip}").ok(),
        Some(lit) => match KeyTemplate::parse(&lit.value()).and_then(|template| {
            template.check_unambiguous()?;
            Ok(template)
        }) {
            Ok(template) => Some(template),
            Err(problem) => {
                cx.error_spanned_by(lit, format!("bad key template: {problem}"));
                None
            }
        },
    };
    let (Some((rate, span)), Some(template)) = (rate, template) else {
        return;
    };
    helpers.throttles.push(Throttle {
        rate,
        scope,
        key,
        literals: template.literals,
        names: template.names,
        span,
    });
}
