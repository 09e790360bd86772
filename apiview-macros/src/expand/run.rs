//! The body of `Handler::run` and `Handler::guard`: the phases, the call, the
//! conversion of the answer.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, LitFloat};

use super::{field_source, local, opt, raw_local, source_tokens};
use crate::attrs::{AclKeys, FieldRef, Permission, Validator};
use crate::model::{option_inner, type_name, Endpoint, Output, Param, ParamKind};

/// The statements of the run body before the call, in phase order.
pub(super) fn phases(endpoint: &Endpoint) -> Vec<TokenStream> {
    let mut phases = Phases {
        endpoint,
        injected: HashSet::new(),
        fetched: HashSet::new(),
        code: Vec::new(),
    };
    // The aclkey check is `Handler::guard`, which the runtime runs before any
    // decryption (DESIGN §2.3), and authentication after it; then permissions, each
    // injecting the parameters it takes; then decryption, then the validators.
    for permission in &endpoint.helpers.permissions {
        phases.permission(permission);
    }
    for decrypt in endpoint.helpers.rsa_decrypt.values() {
        phases.decrypt(decrypt);
    }
    for validator in &endpoint.helpers.validators {
        phases.validator(validator);
    }
    for param in &endpoint.params {
        phases.inject(param);
    }
    phases.code
}

struct Phases<'a> {
    endpoint: &'a Endpoint,
    injected: HashSet<String>,
    /// Parameters whose raw value `#[requires]` looked up into a local, which
    /// injection coerces instead of looking the name up again.
    fetched: HashSet<String>,
    code: Vec<TokenStream>,
}

impl Phases<'_> {
    fn inject(&mut self, param: &Param) {
        if !self.injected.insert(param.ident.to_string()) {
            return;
        }
        let var = local(&param.ident);
        let name = param.ident.to_string();
        let ty = &param.ty;
        let blocking = self.endpoint.args.blocking.is_some();
        let statement = match &param.kind {
            ParamKind::Named(_) if self.fetched.contains(&name) => {
                let raw = raw_local(&param.ident);
                quote_spanned! {ty.span()=>
                    let #var: #ty = ::apiview::__private::coerce_param::<#ty>(#name, #raw)?;
                }
            }
            ParamKind::Named(source) => {
                let source = source_tokens(&name, source);
                quote_spanned! {ty.span()=>
                    let #var: #ty = ::apiview::__private::coerce_param::<#ty>(#name, __apiview_call.request.get(&#source))?;
                }
            }
            ParamKind::RequestRef if blocking => quote! {
                let #var = ::core::clone::Clone::clone(&__apiview_call.request);
            },
            ParamKind::RequestRef => quote! {
                let #var: &::apiview::__private::ApiRequest = &__apiview_call.request;
            },
            ParamKind::RequestOwned => quote! {
                let #var: ::apiview::__private::ApiRequest = ::core::clone::Clone::clone(&__apiview_call.request);
            },
            // The request's copy is kept for the links of the answer.
            ParamKind::Page => {
                let meta = super::meta::paginate(self.endpoint);
                quote_spanned! {ty.span()=>
                    let __apiview_page: ::apiview::__private::PageRequest =
                        ::apiview::__private::page_request(__apiview_call, &#meta)?;
                    let #var: #ty = ::core::clone::Clone::clone(&__apiview_page);
                }
            }
            ParamKind::Identity { optional: true, .. } => quote_spanned! {ty.span()=>
                let #var: #ty = ::apiview::__private::optional_identity(__apiview_call);
            },
            ParamKind::Identity { by_ref: true, .. } if !blocking => quote_spanned! {ty.span()=>
                let #var: #ty = ::apiview::__private::identity(__apiview_call)?;
            },
            // A blocking endpoint gets its own copy (the call stays on this thread).
            ParamKind::Identity { .. } => quote_spanned! {ty.span()=>
                let #var = ::core::clone::Clone::clone(::apiview::__private::identity(__apiview_call)?);
            },
            ParamKind::Jwt { by_ref: true } if !blocking => quote_spanned! {ty.span()=>
                let #var: #ty = ::apiview::__private::bearer_jwt(__apiview_call)?;
            },
            ParamKind::Jwt { .. } => quote_spanned! {ty.span()=>
                let #var = ::core::clone::Clone::clone(::apiview::__private::bearer_jwt(__apiview_call)?);
            },
            ParamKind::Upload => quote_spanned! {ty.span()=>
                let #var: #ty = ::apiview::__private::upload_param::<#ty>(__apiview_call, #name)?;
            },
            // Called directly rather than through a generic helper, which trips
            // rust-lang/rust#100013 for extractors that borrow (`Data<&T>`).
            ParamKind::Extract => quote_spanned! {ty.span()=>
                let #var: #ty = {
                    let mut __apiview_body = ::apiview::__private::poem::RequestBody::default();
                    match <#ty as ::apiview::__private::poem::FromRequest>::from_request(
                        __apiview_call.request.poem_request(),
                        &mut __apiview_body,
                    ).await {
                        ::core::result::Result::Ok(__apiview_value) => __apiview_value,
                        ::core::result::Result::Err(__apiview_error) => {
                            return ::core::result::Result::Err(::apiview::__private::extract_failed(#name, __apiview_error));
                        }
                    }
                };
            },
        };
        self.code.push(statement);
    }

    /// Phase "permissions" (DESIGN §14): injects the parameters the function takes,
    /// then calls it with the caller and references to them, awaiting it when it is
    /// `async`.
    fn permission(&mut self, permission: &Permission) {
        for ident in &permission.params {
            self.inject_named(ident);
        }
        let function = &permission.function;
        let args = permission.params.iter().map(|ident| {
            let var = local(ident);
            let param = self.endpoint.param(ident);
            // Already references.
            if param.is_some_and(|param| {
                matches!(
                    param.kind,
                    ParamKind::RequestRef | ParamKind::Jwt { by_ref: true }
                )
            }) {
                return quote_spanned!(ident.span()=> #var);
            }
            let inner = param.and_then(|param| option_inner(&param.ty));
            match inner {
                Some(inner) if type_name(inner).as_deref() == Some("String") => {
                    quote_spanned!(ident.span()=> ::core::option::Option::as_deref(&#var))
                }
                Some(_) => quote_spanned!(ident.span()=> ::core::option::Option::as_ref(&#var)),
                None => quote_spanned!(ident.span()=> &#var),
            }
        });
        let span = function.span();
        self.code.push(quote_spanned! {span=>
            {
                #[allow(unused_imports)]
                use ::apiview::__private::{AsyncPermission as _, SyncPermission as _};
                let __apiview_check = ::apiview::__private::PermissionCheck::new(
                    #function(::apiview::__private::identity(__apiview_call)?, #(#args),*)
                );
                // Bound here: a tail expression's temporaries would live across the await.
                let __apiview_answer = (&__apiview_check).permission();
                __apiview_answer
            }.await?;
        });
    }

    fn decrypt(&mut self, decrypt: &crate::attrs::cipher::RsaDecrypt) {
        let Some(param) = self.endpoint.param(&decrypt.field) else {
            return;
        };
        let Some(source) = param.source() else {
            return;
        };
        if !self.injected.insert(param.ident.to_string()) {
            return;
        }
        let var = local(&param.ident);
        let name = param.ident.to_string();
        let ty = &param.ty;
        let source = source_tokens(&name, source);
        let key = opt(decrypt.key.as_ref());
        self.code.push(quote_spanned! {ty.span()=>
            let #var: #ty = {
                let __apiview_plain = ::apiview::__private::rsa_decrypt_field(__apiview_call, #name, &#source, #key).await?;
                ::apiview::__private::coerce_param::<#ty>(
                    #name,
                    ::core::option::Option::map(
                        ::core::option::Option::as_deref(&__apiview_plain),
                        ::apiview::__private::RawValue::Text,
                    ),
                )?
            };
        });
    }

    /// A named parameter not injected yet, whose raw value `#[requires]` can look up
    /// once for injection too (a decrypted one is looked up by its own phase).
    fn prefetchable(&self, ident: &Ident) -> bool {
        let name = ident.to_string();
        let decrypted = self.endpoint.helpers.rsa_decrypt.contains(ident);
        !decrypted
            && !self.injected.contains(&name)
            && !self.fetched.contains(&name)
            && self
                .endpoint
                .param(ident)
                .is_some_and(|param| matches!(param.kind, ParamKind::Named(_)))
    }

    fn inject_named(&mut self, ident: &Ident) {
        if let Some(param) = self.endpoint.param(ident) {
            self.inject(param);
        }
    }

    /// `Option<&T>` over the parameter's value, whether it is an `Option` or not.
    fn optional_ref(&self, ident: &Ident) -> TokenStream {
        let var = local(ident);
        let is_option = self.endpoint.param(ident).is_some_and(Param::is_option);
        if is_option {
            quote!(::core::option::Option::as_ref(&#var))
        } else {
            quote!(::core::option::Option::Some(&#var))
        }
    }

    fn validator(&mut self, validator: &Validator) {
        match validator {
            Validator::Requires(fields) => {
                for field in fields {
                    let (name, source) = field_source(self.endpoint, field);
                    let raw = match field {
                        FieldRef::Param(ident) if self.prefetchable(ident) => {
                            let raw = raw_local(ident);
                            self.code.push(quote! {
                                let #raw = __apiview_call.request.get(&#source);
                            });
                            self.fetched.insert(ident.to_string());
                            quote!(&#raw)
                        }
                        _ => quote!(&__apiview_call.request.get(&#source)),
                    };
                    self.code.push(quote! {
                        ::apiview::__private::validators::require(#name, #raw)?;
                    });
                }
            }
            Validator::RequiresAny(fields) => {
                let function = quote!(requires_any);
                let pairs = fields.iter().map(|field| {
                    let (name, source) = field_source(self.endpoint, field);
                    quote!((#name, #source))
                });
                self.code.push(quote! {
                    ::apiview::__private::validators::#function(&__apiview_call.request, &[#(#pairs),*])?;
                });
            }
            Validator::Choices {
                field,
                allowed,
                allow_none,
            } => {
                self.inject_named(field);
                let name = field.to_string();
                let value = self.optional_ref(field);
                let check = quote_spanned! {allowed.span()=>
                    ::apiview::__private::validators::choices(#name, __apiview_v, #allowed)?
                };
                self.code.push(none_or(&name, *allow_none, value, check));
            }
            Validator::Between {
                field,
                min,
                max,
                include_min,
                include_max,
                allow_none,
            } => {
                self.inject_named(field);
                let name = field.to_string();
                let value = self.optional_ref(field);
                let float = self.endpoint.param(field).is_some_and(Param::is_float);
                let (min, max) = (float_bound(min, float), float_bound(max, float));
                // Spanned at the bounds, so that a bound of the wrong type is
                // blamed on the bound.
                let bind_min = quote_spanned!(min.span()=> let __apiview_min = #min;);
                let bind_max = quote_spanned!(max.span()=> let __apiview_max = #max;);
                let test_min = if *include_min {
                    quote_spanned!(min.span()=> *__apiview_v >= __apiview_min)
                } else {
                    quote_spanned!(min.span()=> *__apiview_v > __apiview_min)
                };
                let test_max = if *include_max {
                    quote_spanned!(max.span()=> *__apiview_v <= __apiview_max)
                } else {
                    quote_spanned!(max.span()=> *__apiview_v < __apiview_max)
                };
                let check = quote! {{
                    #bind_min
                    #bind_max
                    if !(#test_min && #test_max) {
                        return ::core::result::Result::Err(::apiview::__private::validators::out_of_range(
                            #name,
                            __apiview_v,
                            ::apiview::__private::validators::range_text(
                                ::core::option::Option::Some(&__apiview_min),
                                ::core::option::Option::Some(&__apiview_max),
                                #include_min,
                                #include_max,
                            ),
                        ));
                    }
                }};
                self.code.push(none_or(&name, *allow_none, value, check));
            }
            Validator::StringLength {
                field,
                min_length,
                max_length,
                too_short_message,
                too_long_message,
            } => {
                self.inject_named(field);
                let value = self.optional_ref(field);
                let min = opt(min_length.as_ref());
                let max = opt(max_length.as_ref());
                let short = opt(too_short_message.as_ref());
                let long = opt(too_long_message.as_ref());
                let as_str = quote_spanned! {field.span()=>
                    ::core::convert::AsRef::<str>::as_ref(__apiview_v)
                };
                self.code.push(quote! {
                    if let ::core::option::Option::Some(__apiview_v) = #value {
                        ::apiview::__private::validators::string_length(#as_str, #min, #max, #short, #long)?;
                    }
                });
            }
        }
    }
}

/// Runs `check` with `__apiview_v` bound when the value is there; an absent value
/// passes only with `allow_none`.
fn none_or(name: &str, allow_none: bool, value: TokenStream, check: TokenStream) -> TokenStream {
    let none = if allow_none {
        quote!({})
    } else {
        quote!(return ::core::result::Result::Err(::apiview::__private::BizError::missing_parameter(#name)))
    };
    quote! {
        match #value {
            ::core::option::Option::Some(__apiview_v) => { #check; }
            ::core::option::Option::None => #none,
        }
    }
}

/// An integer literal bound of a float parameter becomes a float literal, so that
/// `#[between(price, 0, 100)]` compiles for `price: f64`.
fn float_bound(bound: &Expr, float: bool) -> TokenStream {
    if !float {
        return bound.to_token_stream();
    }
    match bound {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => {
            let float = LitFloat::new(&format!("{}.0", int.base10_digits()), int.span());
            float.to_token_stream()
        }
        Expr::Unary(unary) => {
            let op = &unary.op;
            let inner = float_bound(&unary.expr, true);
            quote!(#op #inner)
        }
        other => other.to_token_stream(),
    }
}

/// The body of `Handler::guard`, for `#[check_aclkey]`.
pub(super) fn aclkey(endpoint: &Endpoint) -> Option<TokenStream> {
    let aclkey = endpoint.helpers.aclkey.get()?;
    let field = &aclkey.field;
    let keys = match &aclkey.keys {
        AclKeys::Settings => quote!(::apiview::__private::AclKeys::<[&str; 0]>::Settings),
        AclKeys::Literals(keys) => quote!(::apiview::__private::AclKeys::Given([#(#keys),*])),
        AclKeys::Function(function) => quote_spanned! {function.span()=>
            ::apiview::__private::AclKeys::Given(::apiview::__private::AclKeyList::into_keys(#function()))
        },
    };
    Some(quote_spanned! {aclkey.span=>
        ::apiview::__private::check_aclkey(__apiview_call, #field, #keys)?;
    })
}

pub(super) fn call_function(endpoint: &Endpoint) -> TokenStream {
    let name = endpoint.name();
    let blocking = endpoint.args.blocking.is_some();
    let args = endpoint.params.iter().map(|param| {
        let var = local(&param.ident);
        match param.kind {
            ParamKind::RequestRef
            | ParamKind::Identity { by_ref: true, .. }
            | ParamKind::Jwt { by_ref: true }
                if blocking =>
            {
                quote!(&#var)
            }
            _ => quote!(#var),
        }
    });
    if blocking {
        quote! {
            match ::apiview::__private::run_blocking(move || #name(#(#args),*)).await {
                ::core::result::Result::Ok(__apiview_ret) => __apiview_ret,
                ::core::result::Result::Err(__apiview_panic) => {
                    return ::core::result::Result::Err(
                        ::apiview::__private::blocking_panicked(__apiview_call, &__apiview_panic),
                    );
                }
            }
        }
    } else if endpoint.is_async() {
        quote!(#name(#(#args),*).await)
    } else {
        quote!(#name(#(#args),*))
    }
}

pub(super) fn convert_output(endpoint: &Endpoint) -> TokenStream {
    let output = &endpoint.output;
    if endpoint.helpers.paginate.is_some() {
        let ty = match output {
            Output::Serialize(ty) | Output::Result(ty) | Output::Raw(ty) | Output::RawResult(ty) => {
                quote!(#ty)
            }
            Output::Unit => quote!(()),
        };
        return quote_spanned! {ty.span()=>
            ::apiview::__private::page_outcome(
                __apiview_call,
                &__apiview_page,
                ::apiview::__private::IntoPage::into_page(__apiview_ret),
            )
        };
    }
    match output {
        Output::Unit => quote!(::apiview::__private::Outcome::from_serialize(&__apiview_ret)),
        Output::Serialize(ty) => quote_spanned! {ty.span()=>
            ::apiview::__private::Outcome::from_serialize::<#ty>(&__apiview_ret)
        },
        Output::Result(ty) => quote_spanned! {ty.span()=>
            ::apiview::__private::Outcome::from_result(__apiview_ret)
        },
        Output::Raw(ty) => quote_spanned! {ty.span()=>
            ::apiview::__private::raw_outcome(__apiview_ret)
        },
        Output::RawResult(ty) => quote_spanned! {ty.span()=>
            ::apiview::__private::raw_result_outcome(__apiview_ret)
        },
    }
}
