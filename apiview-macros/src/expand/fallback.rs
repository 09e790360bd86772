//! What `#[apiview]` emits when it reported errors (thiserror's `fallback.rs`): the
//! endpoint's unit struct with stub impls of `Handler` and `poem::Endpoint`, so that
//! `App::at("/x", f)` and other uses of the endpoint still type-check and the user
//! sees only our messages, not a trait error cascading from them.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::Endpoint;

/// The errors, the function (in an anonymous constant, so that what only it uses is
/// not reported unused and its name stays the struct's), then the struct and its
/// stub impls.
pub fn fallback(endpoint: &Endpoint, errors: TokenStream) -> TokenStream {
    let vis = &endpoint.func.vis;
    let name = endpoint.name();
    let doc_attrs = &endpoint.doc_attrs;
    let mut func = endpoint.func.clone();
    func.vis = syn::Visibility::Inherited;
    quote! {
        #errors

        const _: () = {
            #[allow(dead_code)]
            #func
        };

        #(#doc_attrs)*
        #[allow(non_camel_case_types)]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        #vis struct #name;

        impl ::apiview::__private::Handler for #name {
            fn meta(&self) -> &'static ::apiview::__private::EndpointMeta {
                ::core::unreachable!()
            }

            #[allow(unreachable_code, clippy::diverging_sub_expression)]
            fn run(
                &self,
                _: ::apiview::__private::Call,
            ) -> impl ::core::future::Future<Output = ::apiview::__private::Outcome> + ::core::marker::Send + '_ {
                ::core::future::ready::<::apiview::__private::Outcome>(::core::unreachable!())
            }
        }

        impl ::apiview::__private::poem::Endpoint for #name {
            type Output = ::apiview::__private::poem::Response;

            async fn call(
                &self,
                _: ::apiview::__private::poem::Request,
            ) -> ::apiview::__private::poem::Result<::apiview::__private::poem::Response> {
                ::core::unreachable!()
            }
        }
    }
}
