//! `#[cache]`: the lookup before the call, the store after it, and the `CacheSpec`
//! constant.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::opt;
use crate::model::Endpoint;

/// The cache phases around the function call, and the `CacheSpec` constant.
pub(super) fn cache(
    endpoint: &Endpoint,
    call: TokenStream,
    convert: TokenStream,
) -> (TokenStream, TokenStream) {
    let ok =
        quote!(::core::result::Result::Ok::<::apiview::__private::Outcome, ::apiview::__private::BizError>);
    let Some(cache) = endpoint.helpers.cache.get() else {
        return (
            TokenStream::new(),
            quote! {
                let __apiview_ret = #call;
                #ok(#convert)
            },
        );
    };
    let name = endpoint.name();
    let template = &cache.key;
    let literals = &cache.literals;
    let names = &cache.names;
    let expire = opt(cache.expire.as_ref());
    let backend = &cache.name;
    let (get, set, batch, ignore) = (
        cache.get_from_cache,
        cache.set_to_cache,
        cache.batch,
        cache.ignore_errors,
    );
    let aclkey_checked = endpoint.helpers.aclkey.is_some();
    let spec = quote! {
        impl #name {
            #[doc(hidden)]
            const __APIVIEW_CACHE: ::apiview::__private::cache::CacheSpec = ::apiview::__private::cache::CacheSpec {
                template: #template,
                literals: &[#(#literals),*],
                names: &[#(#names),*],
                expire: #expire,
                name: #backend,
                get_from_cache: #get,
                set_to_cache: #set,
                batch: #batch,
                ignore_errors: #ignore,
                aclkey_checked: #aclkey_checked,
            };
        }
    };
    let part = |name: &String| {
        let var = format_ident!("__apiview_p_{}", name);
        quote_spanned!(template.span()=> ::apiview::__private::cache::key_part(&#var))
    };
    let finish = if cache.batch {
        // Key parts from the parameters are taken before the call moves them.
        let params: Vec<TokenStream> = cache
            .names
            .iter()
            .filter(|name| {
                endpoint
                    .params
                    .iter()
                    .any(|param| param.ident == name.as_str() && param.source().is_some())
            })
            .map(|name| {
                let part = part(name);
                quote!((#name, #part))
            })
            .collect();
        quote! {
            let __apiview_key_params: ::std::vec::Vec<(
                &str,
                ::core::result::Result<::std::string::String, ::apiview::__private::cache::KeyPartError>,
            )> = ::std::vec![#(#params),*];
            let __apiview_ret = #call;
            let __apiview_outcome = #convert;
            ::apiview::__private::cache::store_batch(__apiview_call, &#name::__APIVIEW_CACHE, &__apiview_key_params, &__apiview_outcome).await?;
            #ok(__apiview_outcome)
        }
    } else {
        let parts = cache.names.iter().map(|name| {
            let var = format_ident!("__apiview_p_{}", name);
            quote_spanned!(template.span()=> &#var)
        });
        quote! {
            let __apiview_cache_key = ::apiview::__private::cache::fill_key(&[#(#literals),*], &[#(#parts),*]);
            let __apiview_miss = match ::apiview::__private::cache::lookup(__apiview_call, &#name::__APIVIEW_CACHE, &__apiview_cache_key).await? {
                ::core::result::Result::Ok(__apiview_hit) => return #ok(__apiview_hit),
                ::core::result::Result::Err(__apiview_miss) => __apiview_miss,
            };
            let __apiview_ret = #call;
            let __apiview_outcome = #convert;
            ::apiview::__private::cache::store(__apiview_call, &#name::__APIVIEW_CACHE, &__apiview_cache_key, __apiview_miss, &__apiview_outcome).await?;
            #ok(__apiview_outcome)
        }
    };
    (spec, finish)
}
