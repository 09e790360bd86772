//! `body_alias`, `cookie_variable`, `meta_variable`, `header_variable`: fill a
//! parameter from somewhere other than the field of its name.

use syn::{Attribute, Expr, ExprLit, Lit};

use super::args::{ident_of, lit_str, Args};
use super::{Helpers, Transform};
use crate::ctxt::Ctxt;
use crate::model::Source;
use crate::Helper;

/// The transformer helpers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BodyAlias,
    CookieVariable,
    MetaVariable,
    HeaderVariable,
}

impl Kind {
    fn helper(self) -> Helper {
        match self {
            Kind::BodyAlias => Helper::BodyAlias,
            Kind::CookieVariable => Helper::CookieVariable,
            Kind::MetaVariable => Helper::MetaVariable,
            Kind::HeaderVariable => Helper::HeaderVariable,
        }
    }
}

/// Django `META` names that are not `HTTP_*` headers.
const META_NAMES: &[&str] = &[
    "REMOTE_ADDR",
    "REQUEST_METHOD",
    "PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
];

pub fn transform(cx: &Ctxt, attr: &Attribute, kind: Kind, args: &Args, helpers: &mut Helpers) {
    let helper = kind.helper().name();
    let (usage, options): (&str, &[&str]) = match kind {
        Kind::BodyAlias => ("#[body_alias(user)]", &[]),
        Kind::CookieVariable => (
            "#[cookie_variable(uid)] or #[cookie_variable(userid, cookie = \"uid\", default = \"..\")]",
            &["cookie", "default"],
        ),
        Kind::MetaVariable => ("#[meta_variable(agent, \"HTTP_USER_AGENT\")]", &[]),
        Kind::HeaderVariable => ("#[header_variable(agent, \"User-Agent\")]", &[]),
    };
    args.reject_unknown(cx, helper, options);
    let Some(param) = args.positional.first().and_then(ident_of).cloned() else {
        cx.error_spanned_by(
            attr,
            format!("#[{helper}] needs the parameter to fill first: {usage}"),
        );
        return;
    };
    let wants_name = matches!(kind, Kind::MetaVariable | Kind::HeaderVariable);
    let expected = if wants_name { 2 } else { 1 };
    if args.positional.len() != expected {
        cx.error_spanned_by(attr, format!("expected {usage}"));
        return;
    }
    let source = match kind {
        Kind::BodyAlias => Source::Payload,
        Kind::CookieVariable => {
            let name = match args.option("cookie") {
                Some(expr) => match lit_str(cx, expr, "cookie") {
                    Some(lit) => lit.value(),
                    None => return,
                },
                None => param.to_string(),
            };
            let default = args.option("default").and_then(|expr| default_text(cx, expr));
            Source::Cookie { name, default }
        }
        Kind::MetaVariable => {
            let Some(lit) = lit_str(cx, &args.positional[1], "the META name") else {
                return;
            };
            let meta = lit.value();
            if let Some(header) = meta.strip_prefix("HTTP_").filter(|h| !h.is_empty()) {
                Source::Header {
                    name: header.to_ascii_lowercase().replace('_', "-"),
                }
            } else if META_NAMES.contains(&meta.as_str()) {
                Source::Meta { name: meta }
            } else {
                cx.error_spanned_by(
                    &lit,
                    format!(
                        "`{meta}` is not a Django META name; use HTTP_<HEADER> or one of: {}",
                        META_NAMES.join(", ")
                    ),
                );
                return;
            }
        }
        Kind::HeaderVariable => {
            let Some(lit) = lit_str(cx, &args.positional[1], "the header name") else {
                return;
            };
            let name = lit.value();
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
            {
                cx.error_spanned_by(&lit, format!("`{name}` is not a valid HTTP header name"));
                return;
            }
            Source::Header {
                name: name.to_ascii_lowercase(),
            }
        }
    };
    helpers.transforms.push(Transform {
        param,
        source,
        helper: kind.helper(),
    });
}

fn default_text(cx: &Ctxt, expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Str(lit) => Some(lit.value()),
            Lit::Int(lit) => Some(lit.base10_digits().to_owned()),
            Lit::Float(lit) => Some(lit.base10_digits().to_owned()),
            Lit::Bool(lit) => Some(lit.value.to_string()),
            other => {
                cx.error_spanned_by(other, "default must be a string, number or boolean literal");
                None
            }
        },
        other => {
            cx.error_spanned_by(other, "default must be a string, number or boolean literal");
            None
        }
    }
}
