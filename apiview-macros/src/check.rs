//! The rules across attributes, one named function each (serde_derive's
//! `internals/check.rs`). `check` runs them all, so that every mistake is reported
//! in one build.

use syn::Ident;

use crate::attrs::{FieldRef, Validator};
use crate::ctxt::Ctxt;
use crate::model::{find_reference, Endpoint, Output, ParamKind};

pub fn check(cx: &Ctxt, endpoint: &Endpoint) {
    check_signature(cx, endpoint);
    check_helper_fields(cx, endpoint);
    check_one_source(cx, endpoint);
    check_cache_key_names(cx, endpoint);
    check_cache_output(cx, endpoint);
    check_content_type(cx, endpoint);
    check_doc_methods(cx, endpoint);
    check_blocking(cx, endpoint);
    check_paginate(cx, endpoint);
    check_throttle_key_names(cx, endpoint);
    check_throttle_repeats(cx, endpoint);
    check_permission_params(cx, endpoint);
    check_optional_identity(cx, endpoint);
}

/// Two `#[throttle]`s with the same rate, scope and key would be one counter
/// counting each request twice.
fn check_throttle_repeats(cx: &Ctxt, endpoint: &Endpoint) {
    let throttles = &endpoint.helpers.throttles;
    for (at, throttle) in throttles.iter().enumerate() {
        let same = |other: &&crate::attrs::throttle::Throttle| {
            other.rate == throttle.rate
                && other.scope == throttle.scope
                && other.literals == throttle.literals
                && other.names == throttle.names
        };
        if throttles[..at].iter().any(|other| same(&other)) {
            cx.error_at(
                throttle.span,
                format!(
                    "#[throttle(rate = \"{}\")] is given twice with the same scope and key: one counter would \
                     count each request twice",
                    throttle.rate
                ),
            );
        }
    }
}

/// Each `{name}` of a `#[throttle]` key template is `{ip}`, a parameter filled
/// from the request, or the field `#[check_aclkey]` reads.
fn check_throttle_key_names(cx: &Ctxt, endpoint: &Endpoint) {
    for throttle in &endpoint.helpers.throttles {
        let Some(key) = &throttle.key else { continue };
        for name in &throttle.names {
            if endpoint.throttle_name(name).is_some() {
                continue;
            }
            let mut known = vec!["`{ip}` (the client address)".to_owned()];
            known.extend(
                endpoint
                    .params
                    .iter()
                    .filter(|param| matches!(param.kind, ParamKind::Named(_)))
                    .map(|param| format!("`{{{}}}`", param.ident)),
            );
            if let Some(aclkey) = endpoint.helpers.aclkey.get() {
                known.push(format!("`{{{}}}` (the #[check_aclkey] field)", aclkey.field));
            }
            cx.error_spanned_by(
                key,
                format!(
                    "`{{{name}}}` in the throttle key is not a parameter of `{}`, the #[check_aclkey] field or \
                     a built-in; use {}",
                    endpoint.name(),
                    known.join(", ")
                ),
            );
        }
    }
}

/// apiview must know every parameter's type and call the function plainly: no
/// generic or lifetime parameters, no `where` clause, not `unsafe`, variadic or
/// `extern`.
fn check_signature(cx: &Ctxt, endpoint: &Endpoint) {
    let sig = &endpoint.func.sig;
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics.params,
            "an endpoint cannot have generic or lifetime parameters: apiview must know every parameter's \
             type (elided lifetimes, as in `&ApiRequest`, are fine)",
        );
    }
    if let Some(clause) = &sig.generics.where_clause {
        cx.error_spanned_by(
            clause,
            "an endpoint cannot have a `where` clause: apiview must know every parameter's type",
        );
    }
    if let Some(token) = &sig.unsafety {
        cx.error_spanned_by(token, "an endpoint cannot be `unsafe fn`");
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, "an endpoint cannot be variadic");
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned_by(abi, "an endpoint cannot be `extern`");
    }
}

/// Every parameter a validator, `#[rsa_decrypt]` or a transformer names is a
/// parameter of the function filled from request data (not `ApiRequest`, not
/// `#[extract]`). `#[requires("token")]` names a request field instead and is not
/// checked.
fn check_helper_fields(cx: &Ctxt, endpoint: &Endpoint) {
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
    for decrypt in endpoint.helpers.rsa_decrypt.values() {
        named_param(cx, endpoint, &decrypt.field, "rsa_decrypt");
    }
    for transform in &endpoint.helpers.transforms {
        named_param(cx, endpoint, &transform.param, transform.helper.name());
    }
}

/// A parameter has one source: two transformers (`#[body_alias]`,
/// `#[cookie_variable]`, …) on the same parameter are refused, the first one is
/// kept.
fn check_one_source(cx: &Ctxt, endpoint: &Endpoint) {
    let mut transformed: Vec<&Ident> = Vec::new();
    for transform in &endpoint.helpers.transforms {
        if endpoint.param(&transform.param).is_none() {
            continue; // check_helper_fields reports it
        }
        if transformed.contains(&&transform.param) {
            cx.error_spanned_by(
                &transform.param,
                format!(
                    "`{}` already has a source from another helper; #[{}] would replace it",
                    transform.param,
                    transform.helper.name()
                ),
            );
        } else {
            transformed.push(&transform.param);
        }
    }
}

/// Each `{name}` of a `#[cache]` key template is a parameter filled from the
/// request (with `batch = true`, a name may also be a field of each element).
fn check_cache_key_names(cx: &Ctxt, endpoint: &Endpoint) {
    let Some(cache) = endpoint.helpers.cache.get() else {
        return;
    };
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
}

/// `content_type` names what a `Raw` answer is: a packed answer is JSON. It is a media
/// type, `type/subtype` of token characters, without parameters.
fn check_content_type(cx: &Ctxt, endpoint: &Endpoint) {
    let Some(lit) = &endpoint.args.content_type else {
        return;
    };
    if !matches!(endpoint.output, Output::Raw(_) | Output::RawResult(_)) {
        cx.error_spanned_by(
            lit,
            "`content_type` documents a `Raw` answer; this endpoint's answer is packed as JSON: remove it, or return `Raw<..>`",
        );
        return;
    }
    let value = lit.value();
    let token = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let valid = value
        .split_once('/')
        .is_some_and(|(kind, subtype)| token(kind) && token(subtype));
    if !valid {
        cx.error_spanned_by(
            lit,
            format!("`content_type` is a media type like \"text/html\" or \"image/png\", not `{value}`"),
        );
    }
}

/// `#[cache]` stores results as JSON: a `Raw` response cannot be cached.
fn check_cache_output(cx: &Ctxt, endpoint: &Endpoint) {
    if let (Some(cache), Output::Raw(_) | Output::RawResult(_)) =
        (endpoint.helpers.cache.get(), &endpoint.output)
    {
        cx.error_spanned_by(
            &cache.key,
            "#[cache] stores results as JSON; a `Raw` response cannot be cached",
        );
    }
}

/// A doc comment's `@methods` lists the same methods as the allow-list, when there
/// is one (without one, `@methods` is the documented list).
fn check_doc_methods(cx: &Ctxt, endpoint: &Endpoint) {
    let Some((documented, span)) = endpoint.doc.methods.get() else {
        return;
    };
    let allowed: Vec<_> = endpoint.helpers.methods.keys().copied().collect();
    let mut documented_sorted = documented.clone();
    let mut allowed_sorted = allowed.clone();
    documented_sorted.sort();
    allowed_sorted.sort();
    if !allowed.is_empty() && documented_sorted != allowed_sorted {
        let list = |methods: &[apiview_grammar::Method]| {
            methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
        };
        cx.error_at(
            *span,
            format!(
                "@methods says {} but the allow-list is {}; make them agree (or drop @methods: the allow-list is documented by itself)",
                list(documented),
                list(&allowed)
            ),
        );
    }
}

/// `blocking` runs a sync function on the blocking pool: the function is a plain
/// `fn`, and no `#[extract]` parameter borrows from the request.
fn check_blocking(cx: &Ctxt, endpoint: &Endpoint) {
    let Some(span) = endpoint.args.blocking else {
        return;
    };
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
        if let Some(reference) = find_reference(&param.ty) {
            cx.error_spanned_by(
                reference,
                "a `blocking` endpoint cannot borrow from the request; take an owned type",
            );
        }
    }
}

/// `ident` must be a parameter filled from the request (not `ApiRequest`, not
/// `#[extract]`).
fn named_param(cx: &Ctxt, endpoint: &Endpoint, ident: &Ident, helper: &str) {
    match endpoint.param(ident).map(|param| &param.kind) {
        Some(ParamKind::Named(_)) => {}
        Some(ParamKind::Upload) => cx.error_spanned_by(
            ident,
            format!(
                "`{ident}` is an uploaded file, and #[{helper}] reads request fields; an `Upload` is \
                 required by its type (take `Option<Upload>` to make it optional) and bounded by \
                 limits.max_upload_bytes"
            ),
        ),
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

/// `#[paginate]` and a `PageRequest` parameter go together: one needs the other.
/// The return type (`Page<T>`) is checked by the compiler, through `IntoPage`. A
/// paginated answer holds links to this request, so it is not `#[cache]`d.
fn check_paginate(cx: &Ctxt, endpoint: &Endpoint) {
    let pages: Vec<_> = endpoint
        .params
        .iter()
        .filter(|param| matches!(param.kind, ParamKind::Page))
        .collect();
    match (endpoint.helpers.paginate.get(), pages.as_slice()) {
        (Some(paginate), []) => cx.error_at(
            paginate.span,
            "#[paginate] needs a `PageRequest` parameter, like `page: PageRequest`, to know which page to return",
        ),
        (None, [page, ..]) => cx.error_spanned_by(
            &page.ty,
            "a `PageRequest` parameter needs `#[paginate]` on the endpoint",
        ),
        (Some(_), [_, extra, ..]) => cx.error_spanned_by(&extra.ty, "an endpoint takes one `PageRequest`"),
        _ => {}
    }
    if let (Some(paginate), Some(_)) = (endpoint.helpers.paginate.get(), endpoint.helpers.cache.get()) {
        cx.error_at(
            paginate.span,
            "#[paginate] and #[cache] do not go together: a page holds links to its request; cache the query inside the function",
        );
    }
}

/// Each parameter a `#[permission(f(a, b))]` lists is a parameter filled from the
/// request, and not one `#[rsa_decrypt]` decrypts: permissions run before it (DESIGN
/// §2.3), so they would judge the ciphertext.
fn check_permission_params(cx: &Ctxt, endpoint: &Endpoint) {
    for permission in &endpoint.helpers.permissions {
        for ident in &permission.params {
            match endpoint.param(ident).map(|param| &param.kind) {
                Some(ParamKind::Identity { .. }) => cx.error_spanned_by(
                    ident,
                    format!(
                        "`{ident}` is the caller, which every permission function gets first, as `&Identity`; \
                         list only the request parameters it takes after it"
                    ),
                ),
                // What the App shares (`#[extract] db: Data<&Db>`), the request and the
                // App's `BearerJwt`: a permission may need them to decide.
                Some(ParamKind::Extract | ParamKind::RequestRef | ParamKind::RequestOwned | ParamKind::Jwt { .. }) => {}
                _ if endpoint.helpers.rsa_decrypt.contains(ident) => cx.error_spanned_by(
                    ident,
                    format!(
                        "`{ident}` is decrypted by #[rsa_decrypt], which runs after permissions (no private-key \
                         work for a caller without permission); a permission cannot read it"
                    ),
                ),
                _ => named_param(cx, endpoint, ident, "permission"),
            }
        }
    }
}

/// With `#[login_required]` or a `#[permission]` the caller is always known: an
/// `Option<Identity>` would never be `None`.
fn check_optional_identity(cx: &Ctxt, endpoint: &Endpoint) {
    let required_by = if endpoint.helpers.login_required.is_some() {
        "#[login_required]"
    } else if !endpoint.helpers.permissions.is_empty() {
        "#[permission(..)]"
    } else {
        return;
    };
    for param in &endpoint.params {
        if matches!(param.kind, ParamKind::Identity { optional: true, .. }) {
            cx.error_spanned_by(
                &param.ty,
                format!(
                    "with {required_by} the caller is always known: take `Identity`, not `Option<Identity>`"
                ),
            );
        }
    }
}
