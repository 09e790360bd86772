//! `#[apiview(packer = "..", tag = "..", operation_id = "..", body_limit = N, blocking)]`.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, LitInt, LitStr, Token};

use super::args::{ident_of, lit_str, lit_usize};
use crate::attr::Attr;
use crate::ctxt::Ctxt;

#[derive(Default)]
pub struct ApiviewArgs {
    pub packer: Option<LitStr>,
    pub tag: Option<LitStr>,
    pub operation_id: Option<LitStr>,
    pub blocking: Option<proc_macro2::Span>,
    /// The endpoint's largest body, in bytes.
    pub body_limit: Option<u64>,
}

#[derive(Default)]
struct Given {
    body_limit: Attr<LitInt>,
    packer: Attr<LitStr>,
    tag: Attr<LitStr>,
    operation_id: Attr<LitStr>,
    blocking: Attr<proc_macro2::Span>,
}

const OPTIONS: &str = "packer = \"..\", tag = \"..\", operation_id = \"..\", body_limit = N, blocking";

pub fn parse(cx: &Ctxt, tokens: TokenStream) -> ApiviewArgs {
    let mut args = Given::default();
    let exprs = match Punctuated::<Expr, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(exprs) => exprs,
        Err(err) => {
            cx.syn_error(err);
            return ApiviewArgs::default();
        }
    };
    for expr in exprs {
        if let Some(flag) = ident_of(&expr) {
            if flag == "blocking" {
                args.blocking.set(cx, "`blocking`", flag, flag.span());
            } else {
                cx.error_spanned_by(
                    flag,
                    format!("unknown #[apiview] option `{flag}`; expected one of: {OPTIONS}"),
                );
            }
            continue;
        }
        let Expr::Assign(assign) = &expr else {
            cx.error_spanned_by(&expr, format!("expected one of: {OPTIONS}"));
            continue;
        };
        let Some(key) = ident_of(&assign.left) else {
            cx.error_spanned_by(&assign.left, format!("expected one of: {OPTIONS}"));
            continue;
        };
        if key == "body_limit" {
            match lit_usize(cx, &assign.right, "`body_limit` (bytes)") {
                Some(lit) if lit.base10_parse::<u64>().is_ok_and(|bytes| bytes > 0) => {
                    args.body_limit.set(cx, "option `body_limit`", key, lit);
                }
                Some(lit) => cx.error_spanned_by(lit, "`body_limit` must be at least 1 byte"),
                None => {}
            }
            continue;
        }
        let slot = match key.to_string().as_str() {
            "packer" => &mut args.packer,
            "tag" => &mut args.tag,
            "operation_id" => &mut args.operation_id,
            _ => {
                cx.error_spanned_by(
                    key,
                    format!("unknown #[apiview] option `{key}`; expected one of: {OPTIONS}"),
                );
                continue;
            }
        };
        if let Some(lit) = lit_str(cx, &assign.right, &key.to_string()) {
            if lit.value().trim().is_empty() {
                cx.error_spanned_by(&lit, format!("`{key}` must not be empty"));
            }
            slot.set(cx, format_args!("option `{key}`"), key, lit);
        }
    }
    ApiviewArgs {
        packer: args.packer.into_inner(),
        tag: args.tag.into_inner(),
        operation_id: args.operation_id.into_inner(),
        blocking: args.blocking.into_inner(),
        body_limit: args
            .body_limit
            .into_inner()
            .and_then(|lit| lit.base10_parse().ok()),
    }
}
