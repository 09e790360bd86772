//! The endpoint model: the user's function, its parameters and helpers, its doc.

use proc_macro2::TokenStream;
use syn::{Attribute, FnArg, Ident, Item, ItemFn, Pat, ReturnType, Type};

use crate::attrs::apiview::{self, ApiviewArgs};
use crate::attrs::{self, FieldRef, Helpers, Validator};
use crate::ctxt::Ctxt;
use crate::ty::Shape;
use crate::Helper;

pub struct Endpoint {
    /// The function, helper attributes and `#[extract]` removed.
    pub func: ItemFn,
    pub args: ApiviewArgs,
    pub params: Vec<Param>,
    pub helpers: Helpers,
    pub doc_attrs: Vec<Attribute>,
    pub doc: crate::doc::Doc,
    pub output: Output,
}

pub struct Param {
    pub ident: Ident,
    pub ty: Type,
    /// The type, classified once for the document and the validators.
    pub shape: Shape,
    pub kind: ParamKind,
    /// Whether the request must carry it: filled from the request and not an
    /// `Option`, or named by `#[requires]`.
    pub required: bool,
}

/// Where a named parameter's value comes from.
#[derive(Clone)]
pub enum Source {
    Field,
    Payload,
    Cookie { name: String, default: Option<String> },
    Header { name: String },
    Meta { name: String },
}

pub enum ParamKind {
    Named(Source),
    RequestRef,
    RequestOwned,
    Extract,
    /// `PageRequest`, read by `#[paginate]`.
    Page,
    /// `Upload`, `Option<Upload>` or `Vec<Upload>`: the multipart file parts of its
    /// name.
    Upload,
    /// `Identity`, `&Identity` or `Option<Identity>`: the caller (DESIGN §14).
    Identity {
        optional: bool,
        by_ref: bool,
    },
    /// `BearerJwt` or `&BearerJwt`: the App's, to issue tokens with.
    Jwt {
        by_ref: bool,
    },
}

pub enum Output {
    Unit,
    Serialize(Type),
    Result(Type),
    Raw(Type),
    /// `Result<Raw<R>, E>`: answered as it is, or its error packed.
    RawResult(Type),
}

impl Param {
    pub fn source(&self) -> Option<&Source> {
        match &self.kind {
            ParamKind::Named(source) => Some(source),
            _ => None,
        }
    }

    /// Whether the function takes it as an `Option`.
    pub fn is_option(&self) -> bool {
        option_inner(&self.ty).is_some()
    }

    /// Whether it is an `f32` or `f64` (or an `Option` of one): integer bounds of
    /// `#[between]` are then written as float literals.
    pub fn is_float(&self) -> bool {
        self.shape.is_float()
    }
}

/// What a name in a `#[throttle]` key template reads.
pub enum ThrottleName<'a> {
    /// `{ip}`: the client address (a parameter of that name does not change it).
    ClientIp,
    /// A parameter filled from request data, from its source.
    Param(&'a Param, &'a Source),
    /// The `#[check_aclkey]` field, looked up by name.
    AclKey(&'a str),
}

impl Endpoint {
    /// What `name` in a `#[throttle]` key reads, if it names anything.
    pub fn throttle_name(&self, name: &str) -> Option<ThrottleName<'_>> {
        if name == "ip" {
            return Some(ThrottleName::ClientIp);
        }
        if let Some(param) = self.params.iter().find(|param| param.ident == name) {
            if let ParamKind::Named(source) = &param.kind {
                return Some(ThrottleName::Param(param, source));
            }
        }
        self.helpers
            .aclkey
            .get()
            .filter(|aclkey| aclkey.field == name)
            .map(|aclkey| ThrottleName::AclKey(&aclkey.field))
    }

    pub fn param(&self, ident: &Ident) -> Option<&Param> {
        self.params.iter().find(|param| param.ident == *ident)
    }

    pub fn name(&self) -> &Ident {
        &self.func.sig.ident
    }

    pub fn is_async(&self) -> bool {
        self.func.sig.asyncness.is_some()
    }

    /// Whether a request to it needs its body read: for parameters, validators,
    /// the aclkey (which may be a body field) or encrypted data.
    pub fn reads_body(&self) -> bool {
        // `PageRequest` is read from the query string alone; the caller and the
        // App's `BearerJwt` from no request data.
        self.params.iter().any(|param| {
            !matches!(
                param.kind,
                ParamKind::Page | ParamKind::Identity { .. } | ParamKind::Jwt { .. }
            )
        }) || self.helpers.decode_encrypted_data.is_some()
            || self.helpers.aclkey.is_some()
            || !self.helpers.validators.is_empty()
    }
}

impl Endpoint {
    /// Whether it asks who its caller is: required by `#[login_required]`, a
    /// `#[permission]` or an `Identity` parameter, optional with `Option<Identity>`.
    pub fn auth_use(&self) -> AuthUse {
        let required = self.helpers.login_required.is_some()
            || !self.helpers.permissions.is_empty()
            || self
                .params
                .iter()
                .any(|param| matches!(param.kind, ParamKind::Identity { optional: false, .. }));
        if required {
            AuthUse::Required
        } else if self
            .params
            .iter()
            .any(|param| matches!(param.kind, ParamKind::Identity { optional: true, .. }))
        {
            AuthUse::Optional
        } else {
            AuthUse::None
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AuthUse {
    None,
    Optional,
    Required,
}

/// Classifies `Identity`, `&Identity`, `Option<Identity>`, `BearerJwt` and
/// `&BearerJwt`; `Err` with what to write for another way to take them.
fn auth_kind(ty: &Type) -> Option<Result<ParamKind, &'static str>> {
    let name = type_name(ty)?;
    let by_ref = match ty {
        Type::Reference(reference) if reference.mutability.is_some() => {
            return matches!(name.as_str(), "Identity" | "BearerJwt").then_some(Err(
                "take it as `&Identity` / `&BearerJwt`; it cannot be borrowed mutably",
            ));
        }
        Type::Reference(_) => true,
        _ => false,
    };
    match name.as_str() {
        "Identity" => Some(Ok(ParamKind::Identity {
            optional: false,
            by_ref,
        })),
        "BearerJwt" => Some(Ok(ParamKind::Jwt { by_ref })),
        "Option" => {
            let inner = option_inner(ty).or_else(|| match ty {
                Type::Reference(reference) => option_inner(&reference.elem),
                _ => None,
            })?;
            match (
                type_name(inner).as_deref(),
                by_ref || matches!(inner, Type::Reference(_)),
            ) {
                (Some("Identity"), false) => Some(Ok(ParamKind::Identity {
                    optional: true,
                    by_ref: false,
                })),
                (Some("Identity"), true) => Some(Err(
                    "an optional caller is taken as `Option<Identity>` (cheap to clone), not by reference",
                )),
                (Some("BearerJwt"), _) => Some(Err(
                    "the App's `BearerJwt` is taken as `&BearerJwt`; an App that has none does not start",
                )),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The last path segment's name of a type (`Option`, `Result`), references peeled.
pub fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|segment| segment.ident.to_string()),
        Type::Reference(reference) => type_name(&reference.elem),
        Type::Paren(paren) => type_name(&paren.elem),
        Type::Group(group) => type_name(&group.elem),
        _ => None,
    }
}

/// `Upload`, `Option<Upload>` or `Vec<Upload>`.
fn is_upload(ty: &Type) -> bool {
    let inner = match type_name(ty).as_deref() {
        Some("Upload") => return true,
        Some("Option" | "Vec") => generic_arg(ty),
        _ => None,
    };
    inner.is_some_and(|inner| type_name(inner).as_deref() == Some("Upload"))
}

/// The first type argument of a path type (`T` of `Vec<T>`).
fn generic_arg(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    match &path.path.segments.last()?.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        }),
        _ => None,
    }
}

/// `T` of `Option<T>`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.path.segments.last()?.ident != "Option" {
        return None;
    }
    generic_arg(ty)
}

pub fn parse(cx: &Ctxt, args: TokenStream, item: TokenStream) -> Option<Endpoint> {
    let args = apiview::parse(cx, args);
    let item: Item = match syn::parse2(item) {
        Ok(item) => item,
        Err(err) => {
            cx.syn_error(err);
            return None;
        }
    };
    let Item::Fn(mut func) = item else {
        cx.error_spanned_by(
            &item,
            "#[apiview] goes on a function (`fn` or `async fn`); it turns the function into an endpoint",
        );
        return None;
    };

    let mut helpers = Helpers::default();
    let mut doc_attrs = Vec::new();
    let mut kept = Vec::new();
    for attr in std::mem::take(&mut func.attrs) {
        if attr.path().is_ident("doc") {
            doc_attrs.push(attr);
        } else if let Some(helper) = Helper::of(&attr) {
            attrs::parse_helper(cx, helper, &attr, &mut helpers);
        } else if attrs::attr_name(&attr) == "apiview" {
            cx.error_spanned_by(&attr, "#[apiview] is given twice");
        } else {
            kept.push(attr);
        }
    }
    func.attrs = kept;

    let mut params = Vec::new();
    for input in func.sig.inputs.iter_mut() {
        let FnArg::Typed(typed) = input else {
            cx.error_spanned_by(input, "an endpoint is a free function; `self` cannot be injected");
            continue;
        };
        let extract = typed.attrs.iter().any(|attr| attr.path().is_ident("extract"));
        typed.attrs.retain(|attr| !attr.path().is_ident("extract"));
        let ident = match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            other => {
                cx.error_spanned_by(
                    other,
                    "apiview fills parameters by name: write a plain name here, like `msg: String`",
                );
                continue;
            }
        };
        if let Type::ImplTrait(_) = &*typed.ty {
            cx.error_spanned_by(
                &typed.ty,
                "`impl Trait` parameters cannot be injected; name a concrete type",
            );
            continue;
        }
        let kind = if extract {
            ParamKind::Extract
        } else if type_name(&typed.ty).as_deref() == Some("ApiRequest") {
            match &*typed.ty {
                Type::Reference(reference) if reference.mutability.is_none() => ParamKind::RequestRef,
                Type::Reference(reference) => {
                    cx.error_spanned_by(
                        reference,
                        "take the request as `&ApiRequest`; it cannot be borrowed mutably",
                    );
                    continue;
                }
                _ => ParamKind::RequestOwned,
            }
        } else if let Some(kind) = auth_kind(&typed.ty) {
            match kind {
                Ok(kind) => kind,
                Err(message) => {
                    cx.error_spanned_by(&typed.ty, message);
                    continue;
                }
            }
        } else if type_name(&typed.ty).as_deref() == Some("PageRequest") {
            ParamKind::Page
        } else if is_upload(&typed.ty) {
            ParamKind::Upload
        } else if Shape::of(&typed.ty).has_file() {
            cx.error_spanned_by(
                &typed.ty,
                "files are taken as `Upload` (exactly one), `Option<Upload>` or `Vec<Upload>`",
            );
            continue;
        } else if let Some(reference) = find_reference(&typed.ty) {
            cx.error_spanned_by(
                reference,
                "request values do not outlive the request: take an owned type here, like `String` for `&str`",
            );
            continue;
        } else if ident == "_payload" {
            ParamKind::Named(Source::Payload)
        } else {
            ParamKind::Named(Source::Field)
        };
        params.push(Param {
            ident,
            shape: Shape::of(&typed.ty),
            ty: (*typed.ty).clone(),
            kind,
            required: false,
        });
    }

    apply_transforms(&helpers, &mut params);
    mark_required(&helpers, &mut params);

    let output = match &func.sig.output {
        ReturnType::Default => Output::Unit,
        ReturnType::Type(_, ty) => match (&**ty, type_name(ty).as_deref()) {
            (Type::ImplTrait(_), _) => {
                cx.error_spanned_by(
                    ty,
                    "an endpoint returns a concrete type, not `impl Trait`; wrap responses in `Raw(..)`",
                );
                Output::Unit
            }
            (_, Some("Result")) if generic_arg(ty).and_then(type_name).as_deref() == Some("Raw") => {
                Output::RawResult((**ty).clone())
            }
            (_, Some("Result")) => Output::Result((**ty).clone()),
            (_, Some("Raw")) => Output::Raw((**ty).clone()),
            _ => Output::Serialize((**ty).clone()),
        },
    };

    let doc = crate::doc::parse(cx, &doc_attrs);
    Some(Endpoint {
        func,
        args,
        params,
        helpers,
        doc_attrs,
        doc,
        output,
    })
}

/// Fills each parameter a transformer names from the transformer's source. The
/// first transformer of a parameter wins; `check::check_one_source` reports the
/// others, and `check::check_helper_fields` a transformer on no such parameter.
fn apply_transforms(helpers: &Helpers, params: &mut [Param]) {
    for transform in helpers.transforms.iter().rev() {
        let Some(param) = params.iter_mut().find(|param| param.ident == transform.param) else {
            continue;
        };
        if let ParamKind::Named(current) = &mut param.kind {
            *current = transform.source.clone();
        }
    }
}

fn mark_required(helpers: &Helpers, params: &mut [Param]) {
    let required_by_helpers: Vec<String> = helpers
        .validators
        .iter()
        .filter_map(|validator| match validator {
            Validator::Requires(fields) => Some(fields.iter().map(FieldRef::name)),
            _ => None,
        })
        .flatten()
        .collect();
    for param in params {
        param.required = match param.kind {
            // One file part: `Upload`; `Option<Upload>` and `Vec<Upload>` may have none.
            ParamKind::Upload => type_name(&param.ty).as_deref() == Some("Upload"),
            _ => {
                param.source().is_some()
                    && (!param.is_option() || required_by_helpers.contains(&param.ident.to_string()))
            }
        };
    }
}

/// The first reference or lifetime anywhere in a type.
pub fn find_reference(ty: &Type) -> Option<proc_macro2::TokenStream> {
    fn scan(tokens: proc_macro2::TokenStream) -> Option<proc_macro2::TokenStream> {
        let mut iter = tokens.into_iter().peekable();
        while let Some(token) = iter.next() {
            match &token {
                proc_macro2::TokenTree::Punct(punct) if punct.as_char() == '&' || punct.as_char() == '\'' => {
                    let mut found: proc_macro2::TokenStream = token.clone().into();
                    if let Some(next) = iter.peek() {
                        found.extend(std::iter::once(next.clone()));
                    }
                    return Some(found);
                }
                proc_macro2::TokenTree::Group(group) => {
                    if let Some(found) = scan(group.stream()) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }
    scan(quote::ToTokens::to_token_stream(ty))
}
