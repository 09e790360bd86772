//! `allow_get` … `allow_options` and `methods(..)`.

use apiview_grammar::Method;
use syn::spanned::Spanned;
use syn::Attribute;

use super::args::{ident_of, Args};
use super::Helpers;
use crate::ctxt::Ctxt;
use crate::Helper;

pub fn allow(
    cx: &Ctxt,
    attr: &Attribute,
    helper: Helper,
    method: Method,
    args: &Args,
    helpers: &mut Helpers,
) {
    if !args.is_empty() {
        cx.error_spanned_by(attr, format!("#[{}] takes no arguments", helper.name()));
    }
    helpers
        .methods
        .insert(cx, format_args!("method `{method}`"), attr, method, attr.span());
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
        match ident_of(expr).and_then(|ident| Method::parse(&ident.to_string())) {
            Some(method) => {
                helpers
                    .methods
                    .insert(cx, format_args!("method `{method}`"), expr, method, expr.span())
            }
            None => cx.error_spanned_by(
                expr,
                format!("not an HTTP method; expected one of: {}", Method::names()),
            ),
        }
    }
}
