//! `allow_get` … `allow_options` and `methods(..)`.

use syn::spanned::Spanned;
use syn::Attribute;

use super::args::{ident_of, Args};
use super::Helpers;
use crate::ctxt::Ctxt;

pub const METHODS: &[&str] = &["get", "post", "put", "delete", "patch", "head", "options"];

fn add(cx: &Ctxt, helpers: &mut Helpers, method: String, span: proc_macro2::Span) {
    if helpers.methods.iter().any(|(seen, _)| *seen == method) {
        cx.error_at(span, format!("method `{method}` is allowed twice"));
    } else {
        helpers.methods.push((method, span));
    }
}

pub fn allow(cx: &Ctxt, attr: &Attribute, name: &str, args: &Args, helpers: &mut Helpers) {
    if !args.positional.is_empty() || !args.options.is_empty() {
        cx.error_spanned_by(attr, format!("#[{name}] takes no arguments"));
    }
    let method = name.trim_start_matches("allow_").to_owned();
    add(cx, helpers, method, attr.span());
}

pub fn methods(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    args.reject_unknown(cx, "methods", &[]);
    if args.positional.is_empty() {
        cx.error_spanned_by(
            attr,
            "#[methods] needs at least one method: #[methods(get, post)]",
        );
    }
    for expr in &args.positional {
        match ident_of(expr).map(|ident| ident.to_string().to_ascii_lowercase()) {
            Some(method) if METHODS.contains(&method.as_str()) => add(cx, helpers, method, expr.span()),
            _ => cx.error_spanned_by(
                expr,
                format!("not an HTTP method; expected one of: {}", METHODS.join(", ")),
            ),
        }
    }
}
