//! `#[apiview]` and its helper attributes. Use them through the `apiview` crate.
//!
//! The expansion goes parse → model → check → expand: `attrs/` parses each helper
//! attribute, `model.rs` builds the endpoint from the function, `check.rs` applies
//! the rules across attributes, `expand.rs` generates the code.

mod attrs;
mod check;
mod ctxt;
mod expand;
mod model;

use proc_macro::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;

/// Turns a function into an apiview endpoint. See the `apiview` crate's docs.
#[proc_macro_attribute]
pub fn apiview(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::default();
    let endpoint = model::parse(&cx, args.into(), item.clone().into());
    if let Some(endpoint) = &endpoint {
        check::check(&cx, endpoint);
    }
    match endpoint {
        Some(endpoint) if !cx.has_errors() => expand::expand(&endpoint).into(),
        Some(endpoint) => {
            // Still emit the function (helpers stripped), so the user sees our
            // messages and not a cascade of "cannot find" errors.
            let errors = cx.into_compile_errors();
            let func = &endpoint.func;
            let docs = &endpoint.doc_attrs;
            quote!(#errors #(#docs)* #[allow(dead_code)] #func).into()
        }
        None => cx.into_compile_errors().into(),
    }
}

/// A helper written above `#[apiview]`, or without it: helpers only work below it,
/// where `#[apiview]` reads them.
fn misplaced(helper: &str, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.into();
    let has_apiview = syn::parse2::<syn::ItemFn>(item2.clone())
        .map(|func| func.attrs.iter().any(|attr| attrs::attr_name(attr) == "apiview"))
        .unwrap_or(false);
    let message = if has_apiview {
        format!(
            "#[{helper}] must be written below #[apiview]: #[apiview] reads its helpers, and attributes above it run before it"
        )
    } else {
        format!("#[{helper}] only works on an #[apiview] function, written below #[apiview]")
    };
    let error = syn::Error::new(proc_macro2::Span::call_site(), message).to_compile_error();
    quote!(#error #item2).into()
}

macro_rules! helpers {
    ($($(#[$doc:meta])* $name:ident,)*) => {$(
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(_args: TokenStream, item: TokenStream) -> TokenStream {
            misplaced(stringify!($name), item)
        }
    )*};
}

helpers! {
    /// `#[requires(a, b)]`, `#[requires(any(phone, email))]`: fields that must be present.
    requires,
    /// `#[choices(op, ["add", "sub"])]`, `#[choices(op, allowed_ops)]`, `allow_none = true`.
    choices,
    /// `#[between(a, 0, 100)]`, `include_min = false`, `include_max = false`, `allow_none = true`.
    between,
    /// `#[string_length_limit(msg, max_length = 4096, min_length = 2)]`.
    string_length_limit,
    /// `#[check_aclkey]`, `(aclkey = "..")`, `(aclkeys = [".."])`, `(aclkey = my_fn)`, `(field = "aclkey")`.
    check_aclkey,
    /// Allows GET.
    allow_get,
    /// Allows POST.
    allow_post,
    /// Allows PUT.
    allow_put,
    /// Allows DELETE.
    allow_delete,
    /// Allows PATCH.
    allow_patch,
    /// Allows HEAD.
    allow_head,
    /// Allows OPTIONS.
    allow_options,
    /// `#[methods(get, post)]`: the method allow-list.
    methods,
    /// `#[body_alias(user)]`: the whole body as parameter `user`.
    body_alias,
    /// `#[cookie_variable(uid)]`, `(userid, cookie = "uid", default = "..")`: a cookie as a parameter.
    cookie_variable,
    /// `#[meta_variable(agent, "HTTP_USER_AGENT")]`: a Django META value as a parameter.
    meta_variable,
    /// `#[header_variable(agent, "User-Agent")]`: a header as a parameter.
    header_variable,
}
