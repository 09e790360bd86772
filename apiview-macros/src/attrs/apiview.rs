//! `#[apiview(packer = "..", tag = "..", operation_id = "..", body_limit = N, versions = [".."], content_type = "..", blocking)]`.

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
    /// `versions = ["v1", "v2"]`: checked, in written order.
    pub versions: Option<Vec<LitStr>>,
    /// `content_type = "text/html"`: what a `Raw` answer is, for the document.
    pub content_type: Option<LitStr>,
}

#[derive(Default)]
struct Given {
    body_limit: Attr<LitInt>,
    packer: Attr<LitStr>,
    tag: Attr<LitStr>,
    operation_id: Attr<LitStr>,
    blocking: Attr<proc_macro2::Span>,
    versions: Attr<Vec<LitStr>>,
    content_type: Attr<LitStr>,
}

const OPTIONS: &str =
    "packer = \"..\", tag = \"..\", operation_id = \"..\", body_limit = N, versions = [\"..\"], content_type = \"..\", blocking";

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
        if key == "versions" {
            if let Some(versions) = versions(cx, &assign.right) {
                args.versions.set(cx, "option `versions`", key, versions);
            }
            continue;
        }
        let slot = match key.to_string().as_str() {
            "packer" => &mut args.packer,
            "tag" => &mut args.tag,
            "operation_id" => &mut args.operation_id,
            "content_type" => &mut args.content_type,
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
        versions: args.versions.into_inner(),
        content_type: args.content_type.into_inner(),
    }
}

/// `["v1", "v2"]`: a non-empty list of distinct string literals, each a version's
/// text (the grammar settings' `versioning.allowed` checks too). `None` after an
/// error, reported at the token at fault.
fn versions(cx: &Ctxt, expr: &Expr) -> Option<Vec<LitStr>> {
    let Expr::Array(array) = expr else {
        cx.error_spanned_by(
            expr,
            "versions must be a list of string literals, like versions = [\"v1\", \"v2\"]",
        );
        return None;
    };
    if array.elems.is_empty() {
        cx.error_spanned_by(
            array,
            "versions is empty: the endpoint would exist in no version; list at least one, or drop the option \
             to have it in every version",
        );
        return None;
    }
    let mut versions: Vec<LitStr> = Vec::new();
    let mut valid = true;
    for elem in &array.elems {
        let Some(lit) = lit_str(cx, elem, "each of versions") else {
            valid = false;
            continue;
        };
        let text = lit.value();
        if let Err(err) = apiview_grammar::check_version(&text) {
            cx.error_spanned_by(&lit, err.to_string());
            valid = false;
        } else if versions.iter().any(|seen| seen.value() == text) {
            cx.error_spanned_by(&lit, format!("version `{text}` is listed twice"));
            valid = false;
        }
        versions.push(lit);
    }
    valid.then_some(versions)
}
