//! The `EndpointMeta` static: what the App, the allow-lists and the OpenAPI document
//! read about the endpoint.

use apiview_grammar::Method;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, ExprLit, Lifetime, Lit, LitStr, TypeReference};

use super::{opt, source_tokens};
use crate::attrs::{FieldRef, Validator};
use crate::model::{AuthUse, Endpoint, Output, ParamKind, Source, ThrottleName};

/// The `EndpointMeta` constant expression.
pub(super) fn meta(endpoint: &Endpoint) -> TokenStream {
    let name = endpoint.name().to_string();
    let summary = &endpoint.doc.summary;
    let description = &endpoint.doc.description;
    let doc = &endpoint.doc.text;
    let spec = doc_spec(endpoint);
    let checks = checks(endpoint);
    let methods = if endpoint.helpers.methods.is_empty() {
        opt(None::<TokenStream>)
    } else {
        let methods: Vec<Method> = endpoint.helpers.methods.keys().copied().collect();
        opt(Some(method_variants(&methods)))
    };
    let packer = opt(endpoint.args.packer.as_ref());
    let tag = opt(endpoint.args.tag.as_ref());
    let operation_id = opt(endpoint.args.operation_id.as_ref());
    let params = endpoint.params.iter().map(|param| {
        let name = param.ident.to_string();
        // An upload is a form field of the multipart body, for the document.
        let source = match param.kind {
            ParamKind::Upload => Some(source_tokens(&name, &Source::Field)),
            _ => param.source().map(|source| source_tokens(&name, source)),
        };
        let source = opt(source);
        let shape = &param.shape;
        let required = param.required;
        quote! {
            ::apiview::__private::ParamMeta { name: #name, source: #source, shape: #shape, required: #required }
        }
    });
    let reads_body = endpoint.reads_body();
    let checks_aclkey = endpoint.helpers.aclkey.is_some();
    let aclkey_field = opt(endpoint.helpers.aclkey.get().map(|aclkey| aclkey.field.as_str()));
    let auth = match endpoint.auth_use() {
        AuthUse::None => quote!(::apiview::__private::AuthUse::None),
        AuthUse::Optional => quote!(::apiview::__private::AuthUse::Optional),
        AuthUse::Required => quote!(::apiview::__private::AuthUse::Required),
    };
    // User code that may answer codes of its own (see `EndpointMeta::fallible`).
    let fallible = matches!(endpoint.output, Output::Result(_) | Output::RawResult(_))
        || !endpoint.helpers.permissions.is_empty()
        || !matches!(endpoint.auth_use(), AuthUse::None);
    let permissions = endpoint.helpers.permissions.iter().map(|permission| {
        let segments: Vec<String> = permission
            .function
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        segments.join("::")
    });
    let decode_encrypted_data = endpoint.helpers.decode_encrypted_data.is_some();
    let rsa_server_key = endpoint
        .helpers
        .rsa_decrypt
        .values()
        .any(|decrypt| decrypt.key.is_none());
    let rsa_keys: Vec<&LitStr> = endpoint
        .helpers
        .rsa_decrypt
        .values()
        .filter_map(|decrypt| decrypt.key.as_ref())
        .collect();
    let body_limit = opt(endpoint.args.body_limit);
    let content_type = opt(endpoint.args.content_type.as_ref().map(|lit| lit.value()));
    let paginate = opt(endpoint.helpers.paginate.is_some().then(|| paginate(endpoint)));
    let versions = opt(endpoint
        .args
        .versions
        .as_ref()
        .map(|versions| quote!(&[#(#versions),*])));
    let name_ident = endpoint.name();
    let result = result_schema(&endpoint.output);
    let cache = opt(endpoint
        .helpers
        .cache
        .is_some()
        .then(|| quote!(&#name_ident::__APIVIEW_CACHE)));
    let throttles = throttles(endpoint);
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
            aclkey_field: #aclkey_field,
            auth: #auth,
            permissions: &[#(#permissions),*],
            cache: #cache,
            decode_encrypted_data: #decode_encrypted_data,
            rsa_decrypt_server_key: #rsa_server_key,
            rsa_keys: &[#(#rsa_keys),*],
            spec: #spec,
            checks: &[#(#checks),*],
            result: #result,
            fallible: #fallible,
            paginate: #paginate,
            body_limit: #body_limit,
            content_type: #content_type,
            versions: #versions,
            throttles: &[#(#throttles),*],
        }
    }
}

/// The `#[throttle]` attributes, as `ThrottleSpec` constant expressions.
fn throttles(endpoint: &Endpoint) -> Vec<TokenStream> {
    let endpoint_name = endpoint.name().to_string();
    endpoint
        .helpers
        .throttles
        .iter()
        .map(|throttle| {
            let rate = throttle.rate.to_string();
            let count = throttle.rate.count;
            let period_s = throttle.rate.period_seconds();
            // Without `scope`, the function's own path: no two endpoints share it, and a
            // written scope (no `::` in it) never names it.
            let scope = match &throttle.scope {
                Some(scope) => quote!(#scope),
                None => quote!(::core::concat!(::core::module_path!(), "::", #endpoint_name)),
            };
            let key = throttle
                .key
                .as_ref()
                .map_or_else(|| "{ip}".to_owned(), LitStr::value);
            let literals = &throttle.literals;
            let names = &throttle.names;
            let values = throttle
                .names
                .iter()
                .map(|name| match endpoint.throttle_name(name) {
                    Some(ThrottleName::Param(param, source)) => {
                        let source = source_tokens(&param.ident.to_string(), source);
                        quote!(::apiview::__private::ThrottleValue::Request(#source))
                    }
                    Some(ThrottleName::AclKey(field)) => {
                        let source = source_tokens(field, &Source::Field);
                        quote!(::apiview::__private::ThrottleValue::Request(#source))
                    }
                    // `check` reported any other name.
                    Some(ThrottleName::ClientIp) | None => {
                        quote!(::apiview::__private::ThrottleValue::ClientIp)
                    }
                });
            quote! {
                ::apiview::__private::ThrottleSpec {
                    rate: #rate,
                    count: #count,
                    period_s: #period_s,
                    scope: #scope,
                    key: #key,
                    literals: &[#(#literals),*],
                    names: &[#(#names),*],
                    values: &[#(#values),*],
                }
            }
        })
        .collect()
}

/// `#[paginate]`'s options, as a `PaginateMeta` constant expression.
pub(super) fn paginate(endpoint: &Endpoint) -> TokenStream {
    let Some(paginate) = endpoint.helpers.paginate.get() else {
        return quote!(::apiview::__private::PaginateMeta {
            style: ::core::option::Option::None,
            page_size: ::core::option::Option::None,
            max_page_size: ::core::option::Option::None
        });
    };
    let style = opt(paginate.style.as_deref().map(|style| {
        let variant = format_ident!(
            "{}",
            match style {
                "limit_offset" => "LimitOffset",
                "cursor" => "Cursor",
                _ => "PageNumber",
            }
        );
        quote!(::apiview::__private::PageStyle::#variant)
    }));
    let page_size = opt(paginate.page_size);
    let max_page_size = opt(paginate.max_page_size);
    quote! {
        ::apiview::__private::PaginateMeta {
            style: #style,
            page_size: #page_size,
            max_page_size: #max_page_size,
        }
    }
}

/// The function that gives the OpenAPI document the schema of the return type,
/// chosen by autoref specialization at the concrete type (see
/// `apiview_swagger::private`); `None` for `Raw`, which its `@response` blocks
/// describe.
fn result_schema(output: &Output) -> TokenStream {
    let ty = match output {
        Output::Raw(_) | Output::RawResult(_) => return quote!(::core::option::Option::None),
        Output::Unit => quote!(()),
        Output::Serialize(ty) | Output::Result(ty) => {
            let mut ty = ty.clone();
            StaticLifetimes.visit_type_mut(&mut ty);
            quote!(#ty)
        }
    };
    quote! {
        ::core::option::Option::Some({
            #[allow(clippy::needless_borrow)]
            fn __apiview_result_schema() -> ::apiview::__private::ResultSchema {
                #[allow(unused_imports)]
                use ::apiview::__private::swagger::{NoSchema as _, ResultOk as _, Schema as _};
                (&&&::apiview::__private::swagger::Probe::<#ty>::NEW).result_schema()
            }
            __apiview_result_schema
        })
    }
}

/// Elided and `'_` lifetimes become `'static`, so that the return type can be named
/// in a function without parameters.
struct StaticLifetimes;

impl VisitMut for StaticLifetimes {
    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if lifetime.ident == "_" {
            *lifetime = Lifetime::new("'static", lifetime.span());
        }
    }

    fn visit_type_reference_mut(&mut self, reference: &mut TypeReference) {
        if reference.lifetime.is_none() {
            reference.lifetime = Some(Lifetime::new("'static", Span::call_site()));
        }
        visit_mut::visit_type_reference_mut(self, reference);
    }
}

fn method_variants(methods: &[Method]) -> TokenStream {
    let variants = methods.iter().map(|method| {
        let variant = format_ident!("{}", method.variant());
        quote!(::apiview::__private::HttpMethod::#variant)
    });
    quote!(&[#(#variants),*])
}

fn doc_spec(endpoint: &Endpoint) -> TokenStream {
    let methods = opt(endpoint
        .doc
        .methods
        .get()
        .map(|(methods, _)| method_variants(methods)));
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
    let opt_usize =
        |lit: &Option<syn::LitInt>| opt(lit.as_ref().and_then(|lit| lit.base10_parse::<usize>().ok()));
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
                // A function's list, computed when the document is built; its items'
                // serializability is found at their concrete type (autoref, as the
                // result schema's), so a list of another type documents no enum.
                let computed = match allowed {
                    Expr::Array(_) => quote!(::core::option::Option::None),
                    call => quote! {
                        ::core::option::Option::Some({
                            #[allow(clippy::needless_borrow)]
                            fn __apiview_choices() -> ::core::option::Option<::std::vec::Vec<::apiview::__private::serde_json::Value>> {
                                #[allow(unused_imports)]
                                use ::apiview::__private::swagger::{OpaqueChoices as _, SerializeChoices as _};
                                (&&::apiview::__private::swagger::Choices::new(#call)).values()
                            }
                            __apiview_choices
                        })
                    },
                };
                let field = field.to_string();
                let values = opt(values);
                quote!(::apiview::__private::CheckMeta::Choices { field: #field, values: #values, computed: #computed })
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
                let (min, max) = (opt(literal_text(min)), opt(literal_text(max)));
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
