//! Code generation: the endpoint value (a unit struct named after the function), its
//! `Handler` and `poem::Endpoint` impls. `run.rs` generates the run body, `meta.rs`
//! the static metadata, `cache.rs` the cache phases and spec; `fallback.rs` what is
//! emitted instead when the macro reported errors.
//!
//! The phases run in a fixed order: the throttle (`#[throttle]`, by the runtime from
//! the metadata, after the method and version checks) → the aclkey check
//! (`Handler::guard`, before any decryption) → authentication (by the runtime, for
//! endpoints whose meta asks) → `#[decode_encrypted_data]` (by the runtime, before
//! `run`) → `#[permission]`s, each injecting the parameters it takes → `rsa_decrypt` →
//! validators in written order, each injecting the parameters it
//! checks → remaining injections → the cache lookup → the function → the cache store.

mod cache;
mod fallback;
mod meta;
mod run;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::{Ident, LitStr};

use crate::attrs::FieldRef;
use crate::model::{Endpoint, Param, Source};

pub use self::fallback::fallback;

/// `::core::option::Option::Some(value)`, or `None`.
fn opt<T: ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

/// The local holding a parameter's raw request value (before coercion).
fn raw_local(ident: &Ident) -> Ident {
    format_ident!("__apiview_raw_{}", ident)
}

fn local(ident: &Ident) -> Ident {
    format_ident!("__apiview_p_{}", ident)
}

fn lit(text: &str) -> LitStr {
    LitStr::new(text, Span::call_site())
}

fn source_tokens(name: &str, source: &Source) -> TokenStream {
    match source {
        Source::Field => {
            let header = name.replace('_', "-");
            quote!(::apiview::__private::Source::Field { name: #name, header: #header })
        }
        Source::Payload => quote!(::apiview::__private::Source::Payload),
        Source::Cookie { name, default } => {
            let default = opt(default.as_ref());
            quote!(::apiview::__private::Source::Cookie { name: #name, default: #default })
        }
        Source::Header { name } => quote!(::apiview::__private::Source::Header { name: #name }),
        Source::Meta { name } => quote!(::apiview::__private::Source::Meta { name: #name }),
    }
}

fn field_source(endpoint: &Endpoint, field: &FieldRef) -> (String, TokenStream) {
    match field {
        FieldRef::Param(ident) => {
            let name = ident.to_string();
            let source = endpoint.param(ident).and_then(Param::source).map_or_else(
                || source_tokens(&name, &Source::Field),
                |source| source_tokens(&name, source),
            );
            (name, source)
        }
        FieldRef::Named(lit) => {
            let name = lit.value();
            let source = source_tokens(&name, &Source::Field);
            (name, source)
        }
    }
}

pub fn expand(endpoint: &Endpoint) -> TokenStream {
    let vis = &endpoint.func.vis;
    // The function moves inside the generated `run`, where `pub` would mean nothing
    // (and trip `unreachable_pub`).
    let mut func = endpoint.func.clone();
    func.vis = syn::Visibility::Inherited;
    let name = endpoint.name();
    let doc_attrs = &endpoint.doc_attrs;

    let statements = run::phases(endpoint);
    let guard = run::aclkey(endpoint).map(|check| {
        quote! {
            #[allow(clippy::needless_question_mark)]
            fn guard(
                &self,
                __apiview_call: &::apiview::__private::Call,
            ) -> ::core::result::Result<(), ::apiview::__private::BizError> {
                #check
                ::core::result::Result::Ok(())
            }
        }
    });
    let call = run::call_function(endpoint);
    let convert = run::convert_output(endpoint);
    let (cache_spec, finish) = cache::cache(endpoint, call, convert);
    let meta = meta::meta(endpoint);
    let description = lit(&format!("The `{name}` endpoint, made by `#[apiview]`."));

    quote! {
        #(#doc_attrs)*
        #[doc = ""]
        #[doc = #description]
        #[allow(non_camel_case_types)]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        #vis struct #name;

        #cache_spec

        impl ::apiview::__private::Handler for #name {
            fn meta(&self) -> &'static ::apiview::__private::EndpointMeta {
                static __APIVIEW_META: ::apiview::__private::EndpointMeta = #meta;
                &__APIVIEW_META
            }

            #guard

            #[allow(unused_variables, non_snake_case, clippy::needless_question_mark, clippy::let_unit_value)]
            fn run(
                &self,
                __apiview_call: ::apiview::__private::Call,
            ) -> impl ::core::future::Future<Output = ::apiview::__private::Outcome> + ::core::marker::Send + '_ {
                async move {
                    // Owned by the future, so that extractors borrow from inside it.
                    let __apiview_call = &__apiview_call;
                    #func
                    let __apiview_result: ::core::result::Result<::apiview::__private::Outcome, ::apiview::__private::BizError> = async {
                        #(#statements)*
                        #finish
                    }.await;
                    match __apiview_result {
                        ::core::result::Result::Ok(__apiview_outcome) => __apiview_outcome,
                        ::core::result::Result::Err(__apiview_error) => ::apiview::__private::Outcome::Error(__apiview_error),
                    }
                }
            }
        }

        impl ::apiview::__private::poem::Endpoint for #name {
            type Output = ::apiview::__private::poem::Response;

            async fn call(
                &self,
                __apiview_req: ::apiview::__private::poem::Request,
            ) -> ::apiview::__private::poem::Result<::apiview::__private::poem::Response> {
                ::core::result::Result::Ok(::apiview::__private::serve_standalone(self, __apiview_req).await)
            }
        }
    }
}
