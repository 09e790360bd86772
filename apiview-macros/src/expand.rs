//! Code generation: the endpoint value, its `Handler` and `poem::Endpoint` impls, and
//! the phases in their fixed order: the aclkey check (`Handler::guard`, run before any
//! decryption) → `rsa_decrypt` → validators in written order, each injecting the
//! parameters it checks → remaining injections → the function.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, LitFloat, LitStr, Type};

use crate::attrs::{AclKeys, FieldRef, Validator};
use crate::model::{option_inner, type_name, Endpoint, Output, Param, ParamKind, Source};

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
            let default = match default {
                Some(text) => quote!(::core::option::Option::Some(#text)),
                None => quote!(::core::option::Option::None),
            };
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
                    let #var: #ty = ::apiview::__private::coerce::<#ty>(#name, #raw)?;
                }
            }
            ParamKind::Named(source) => {
                let source = source_tokens(&name, source);
                quote_spanned! {ty.span()=>
                    let #var: #ty = ::apiview::__private::coerce::<#ty>(#name, __apiview_call.request.get(&#source))?;
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
        let key = match &decrypt.key {
            Some(key) => quote!(::core::option::Option::Some(#key)),
            None => quote!(::core::option::Option::None),
        };
        self.code.push(quote_spanned! {ty.span()=>
            let #var: #ty = {
                let __apiview_plain = ::apiview::__private::rsa_decrypt_field(__apiview_call, #name, &#source, #key).await?;
                ::apiview::__private::coerce::<#ty>(
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
        let decrypted = self
            .endpoint
            .helpers
            .rsa_decrypt
            .iter()
            .any(|decrypt| decrypt.field == name);
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
        let is_option = self
            .endpoint
            .param(ident)
            .is_some_and(|param| option_inner(&param.ty).is_some());
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
                let float = self
                    .endpoint
                    .param(field)
                    .is_some_and(|param| is_float(&param.ty));
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
                let opt = |tokens: Option<&dyn ToTokens>| match tokens {
                    Some(tokens) => quote!(::core::option::Option::Some(#tokens)),
                    None => quote!(::core::option::Option::None),
                };
                let min = opt(min_length.as_ref().map(|t| t as &dyn ToTokens));
                let max = opt(max_length.as_ref().map(|t| t as &dyn ToTokens));
                let short = opt(too_short_message.as_ref().map(|t| t as &dyn ToTokens));
                let long = opt(too_long_message.as_ref().map(|t| t as &dyn ToTokens));
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

fn is_float(ty: &Type) -> bool {
    let ty = option_inner(ty).unwrap_or(ty);
    matches!(type_name(ty).as_deref(), Some("f32" | "f64"))
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

fn aclkey(endpoint: &Endpoint) -> Option<TokenStream> {
    let aclkey = endpoint.helpers.aclkey.as_ref()?;
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

fn meta(endpoint: &Endpoint) -> TokenStream {
    let name = endpoint.name().to_string();
    let summary = &endpoint.doc.summary;
    let description = &endpoint.doc.description;
    let doc = &endpoint.doc.text;
    let spec = doc_spec(endpoint);
    let checks = checks(endpoint);
    let methods = if endpoint.helpers.methods.is_empty() {
        quote!(::core::option::Option::None)
    } else {
        let names: Vec<String> = endpoint
            .helpers
            .methods
            .iter()
            .map(|(method, _)| method.clone())
            .collect();
        let variants = method_variants(&names);
        quote!(::core::option::Option::Some(#variants))
    };
    let opt_str = |value: &Option<LitStr>| match value {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };
    let packer = opt_str(&endpoint.args.packer);
    let tag = opt_str(&endpoint.args.tag);
    let operation_id = opt_str(&endpoint.args.operation_id);
    let required_by_helpers: HashSet<String> = endpoint
        .helpers
        .validators
        .iter()
        .filter_map(|validator| match validator {
            Validator::Requires(fields) => Some(fields.iter().map(FieldRef::name).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    let params = endpoint.params.iter().map(|param| {
        let name = param.ident.to_string();
        let source = match param.source() {
            Some(source) => {
                let tokens = source_tokens(&name, source);
                quote!(::core::option::Option::Some(#tokens))
            }
            None => quote!(::core::option::Option::None),
        };
        let rust_type = param.ty.to_token_stream().to_string();
        let required = param.source().is_some()
            && (option_inner(&param.ty).is_none() || required_by_helpers.contains(&name));
        quote! {
            ::apiview::__private::ParamMeta { name: #name, source: #source, rust_type: #rust_type, required: #required }
        }
    });
    let reads_body = !endpoint.params.is_empty()
        || endpoint.helpers.decode_encrypted_data.is_some()
        || endpoint.helpers.aclkey.is_some()
        || !endpoint.helpers.validators.is_empty();
    let checks_aclkey = endpoint.helpers.aclkey.is_some();
    let decode_encrypted_data = endpoint.helpers.decode_encrypted_data.is_some();
    let rsa_server_key = endpoint
        .helpers
        .rsa_decrypt
        .iter()
        .any(|decrypt| decrypt.key.is_none());
    let rsa_keys: Vec<&LitStr> = endpoint
        .helpers
        .rsa_decrypt
        .iter()
        .filter_map(|decrypt| decrypt.key.as_ref())
        .collect();
    let name_ident = endpoint.name();
    let cache = match &endpoint.helpers.cache {
        Some(_) => quote!(::core::option::Option::Some(&#name_ident::__APIVIEW_CACHE)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::apiview::__private::EndpointMeta {
            name: #name,
            module_path: ::core::module_path!(),
            summary: #summary,
            description: #description,
            doc: #doc,
            methods: #methods,
            packer: #packer,
            tag: #tag,
            operation_id: #operation_id,
            params: &[#(#params),*],
            reads_body: #reads_body,
            checks_aclkey: #checks_aclkey,
            cache: #cache,
            decode_encrypted_data: #decode_encrypted_data,
            rsa_decrypt_server_key: #rsa_server_key,
            rsa_keys: &[#(#rsa_keys),*],
            spec: #spec,
            checks: &[#(#checks),*],
        }
    }
}

fn method_variants(methods: &[String]) -> TokenStream {
    let variants = methods.iter().map(|method| {
        let mut chars = method.chars();
        let variant: String = chars
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(chars)
            .collect();
        let variant = format_ident!("{}", variant);
        quote!(::apiview::__private::HttpMethod::#variant)
    });
    quote!(&[#(#variants),*])
}

fn doc_spec(endpoint: &Endpoint) -> TokenStream {
    let methods = match &endpoint.doc.methods {
        Some((methods, _)) => {
            let variants = method_variants(methods);
            quote!(::core::option::Option::Some(#variants))
        }
        None => quote!(::core::option::Option::None),
    };
    let parameters = endpoint.doc.parameters.iter().map(|parameter| {
        let (name, location, spec) = (&parameter.name, &parameter.location, &parameter.spec_json);
        quote!(::apiview::__private::DocParameter { name: #name, location: #location, spec: #spec })
    });
    let responses = endpoint.doc.responses.iter().map(|response| {
        let (status, ok, description, example) = (response.status, response.ok, &response.description, &response.example_json);
        quote!(::apiview::__private::DocResponse { status: #status, ok: #ok, description: #description, example: #example })
    });
    quote! {
        ::apiview::__private::DocSpec {
            methods: #methods,
            parameters: &[#(#parameters),*],
            responses: &[#(#responses),*],
        }
    }
}

/// A literal's text for the document (`-5`, `1.5`), or `None` for a computed bound.
fn literal_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => Some(int.base10_digits().to_owned()),
        Expr::Lit(ExprLit {
            lit: Lit::Float(float),
            ..
        }) => Some(float.base10_digits().to_owned()),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => {
            literal_text(&unary.expr).map(|text| format!("-{text}"))
        }
        _ => None,
    }
}

fn checks(endpoint: &Endpoint) -> Vec<TokenStream> {
    let opt_str = |text: Option<String>| match text {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let opt_usize =
        |lit: &Option<syn::LitInt>| match lit.as_ref().and_then(|lit| lit.base10_parse::<usize>().ok()) {
            Some(value) => quote!(::core::option::Option::Some(#value)),
            None => quote!(::core::option::Option::None),
        };
    endpoint
        .helpers
        .validators
        .iter()
        .map(|validator| match validator {
            Validator::Requires(fields) | Validator::RequiresAny(fields) => {
                let any = matches!(validator, Validator::RequiresAny(_));
                let names = fields.iter().map(FieldRef::name);
                quote!(::apiview::__private::CheckMeta::Requires { fields: &[#(#names),*], any: #any })
            }
            Validator::Choices { field, allowed, .. } => {
                let values = match allowed {
                    Expr::Array(array) => {
                        let items: Option<Vec<String>> = array
                            .elems
                            .iter()
                            .map(|item| match item {
                                Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => {
                                    Some(serde_json::Value::String(text.value()).to_string())
                                }
                                Expr::Lit(ExprLit { lit: Lit::Bool(flag), .. }) => Some(flag.value.to_string()),
                                other => literal_text(other),
                            })
                            .collect();
                        items.map(|items| format!("[{}]", items.join(",")))
                    }
                    _ => None,
                };
                let field = field.to_string();
                let values = opt_str(values);
                quote!(::apiview::__private::CheckMeta::Choices { field: #field, values: #values })
            }
            Validator::Between {
                field,
                min,
                max,
                include_min,
                include_max,
                ..
            } => {
                let field = field.to_string();
                let (min, max) = (opt_str(literal_text(min)), opt_str(literal_text(max)));
                quote! {
                    ::apiview::__private::CheckMeta::Between {
                        field: #field, min: #min, max: #max, include_min: #include_min, include_max: #include_max,
                    }
                }
            }
            Validator::StringLength {
                field,
                min_length,
                max_length,
                ..
            } => {
                let field = field.to_string();
                let (min, max) = (opt_usize(min_length), opt_usize(max_length));
                quote!(::apiview::__private::CheckMeta::StringLength { field: #field, min_length: #min, max_length: #max })
            }
        })
        .collect()
}

fn call_function(endpoint: &Endpoint) -> TokenStream {
    let name = endpoint.name();
    let blocking = endpoint.args.blocking.is_some();
    let args = endpoint.params.iter().map(|param| {
        let var = local(&param.ident);
        match param.kind {
            ParamKind::RequestRef if blocking => quote!(&#var),
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

fn convert_output(output: &Output) -> TokenStream {
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
    }
}

/// The cache phases around the function call, and the `CacheSpec` constant.
fn cache(endpoint: &Endpoint, call: TokenStream, convert: TokenStream) -> (TokenStream, TokenStream) {
    let ok =
        quote!(::core::result::Result::Ok::<::apiview::__private::Outcome, ::apiview::__private::BizError>);
    let Some(cache) = &endpoint.helpers.cache else {
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
    let expire = match &cache.expire {
        Some(expire) => quote!(::core::option::Option::Some(#expire)),
        None => quote!(::core::option::Option::None),
    };
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

pub fn expand(endpoint: &Endpoint) -> TokenStream {
    let vis = &endpoint.func.vis;
    // The function moves inside the generated `run`, where `pub` would mean nothing
    // (and trip `unreachable_pub`).
    let mut func = endpoint.func.clone();
    func.vis = syn::Visibility::Inherited;
    let name = endpoint.name();
    let doc_attrs = &endpoint.doc_attrs;

    let mut phases = Phases {
        endpoint,
        injected: HashSet::new(),
        fetched: HashSet::new(),
        code: Vec::new(),
    };
    // The aclkey check is `Handler::guard`, which the runtime runs before any
    // decryption (DESIGN §2.3); then decryption, then the validators.
    for decrypt in &endpoint.helpers.rsa_decrypt {
        phases.decrypt(decrypt);
    }
    for validator in &endpoint.helpers.validators {
        phases.validator(validator);
    }
    for param in &endpoint.params {
        phases.inject(param);
    }
    let statements = phases.code;
    let guard = aclkey(endpoint).map(|check| {
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
    let call = call_function(endpoint);
    let convert = convert_output(&endpoint.output);
    let (cache_spec, finish) = cache(endpoint, call, convert);
    let meta = meta(endpoint);
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
