//! Rules across attributes: every field a helper names is a parameter that can hold
//! it, each parameter has one source, `blocking` suits the function.

use syn::Ident;

use crate::attrs::{FieldRef, Validator};
use crate::ctxt::Ctxt;
use crate::model::{Endpoint, ParamKind};

pub fn check(cx: &Ctxt, endpoint: &Endpoint) {
    for validator in &endpoint.helpers.validators {
        match validator {
            Validator::Requires(fields) | Validator::RequiresAny(fields) => {
                for field in fields {
                    if let FieldRef::Param(ident) = field {
                        named_param(cx, endpoint, ident, "requires");
                    }
                }
            }
            Validator::Choices { field, .. } => named_param(cx, endpoint, field, "choices"),
            Validator::Between { field, .. } => named_param(cx, endpoint, field, "between"),
            Validator::StringLength { field, .. } => named_param(cx, endpoint, field, "string_length_limit"),
        }
    }
    for decrypt in &endpoint.helpers.rsa_decrypt {
        named_param(cx, endpoint, &decrypt.field, "rsa_decrypt");
    }
    for transform in &endpoint.helpers.transforms {
        named_param(cx, endpoint, &transform.param, transform.helper);
    }
    if let Some(cache) = &endpoint.helpers.cache {
        for name in &cache.names {
            let is_param = endpoint
                .params
                .iter()
                .any(|param| param.ident == name.as_str() && matches!(param.kind, ParamKind::Named(_)));
            if !is_param && !cache.batch {
                cx.error_spanned_by(
                    &cache.key,
                    format!(
                        "`{{{name}}}` in the key template is not a parameter of `{}`; a key is filled from the \
                         parameters (with batch = true, also from each element's fields)",
                        endpoint.name()
                    ),
                );
            }
        }
        if matches!(endpoint.output, crate::model::Output::Raw(_)) {
            cx.error_spanned_by(
                &cache.key,
                "#[cache] stores results as JSON; a `Raw` response cannot be cached",
            );
        }
    }
    if let Some((documented, span)) = &endpoint.doc.methods {
        let allowed: Vec<&String> = endpoint
            .helpers
            .methods
            .iter()
            .map(|(method, _)| method)
            .collect();
        let mut documented_sorted: Vec<&String> = documented.iter().collect();
        let mut allowed_sorted = allowed.clone();
        documented_sorted.sort();
        allowed_sorted.sort();
        if !allowed.is_empty() && documented_sorted != allowed_sorted {
            cx.error_at(
                *span,
                format!(
                    "@methods says {} but the allow-list is {}; make them agree (or drop @methods: the allow-list is documented by itself)",
                    documented.join(", "),
                    allowed.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    if let Some(span) = endpoint.args.blocking {
        if endpoint.is_async() {
            cx.error_at(
                span,
                "`blocking` runs a sync function on the blocking pool; remove it, or make the function a plain `fn`",
            );
        }
        for param in &endpoint.params {
            if !matches!(param.kind, ParamKind::Extract) {
                continue;
            }
            if let Some(reference) = crate::model::find_reference(&param.ty) {
                cx.error_spanned_by(
                    reference,
                    "a `blocking` endpoint cannot borrow from the request; take an owned type",
                );
            }
        }
    }
}

/// `ident` must be a parameter filled from the request (not `ApiRequest`, not
/// `#[extract]`).
fn named_param(cx: &Ctxt, endpoint: &Endpoint, ident: &Ident, helper: &str) {
    match endpoint.param(ident).map(|param| &param.kind) {
        Some(ParamKind::Named(_)) => {}
        Some(_) => cx.error_spanned_by(
            ident,
            format!("#[{helper}] needs a parameter filled from request data; `{ident}` is injected by type"),
        ),
        None => {
            let known: Vec<String> = endpoint
                .params
                .iter()
                .filter(|param| matches!(param.kind, ParamKind::Named(_)))
                .map(|param| format!("`{}`", param.ident))
                .collect();
            let known = if known.is_empty() {
                "it has none".to_owned()
            } else {
                format!("its parameters are {}", known.join(", "))
            };
            let hint = if helper == "requires" {
                format!(
                    "; to require a request field the function does not take, write #[requires(\"{ident}\")]"
                )
            } else {
                String::new()
            };
            cx.error_spanned_by(
                ident,
                format!(
                    "`{ident}` is not a parameter of `{}` ({known}){hint}",
                    endpoint.name()
                ),
            );
        }
    }
}
