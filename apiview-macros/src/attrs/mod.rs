//! One small parser per helper attribute. Each turns an attribute into its piece of
//! the endpoint model, reporting bad arguments at their tokens.

pub mod apiview;
mod args;
mod auth;
mod cache;
pub mod cipher;
mod methods;
mod transform;
mod validators;

use proc_macro2::Span;
use syn::{Attribute, Expr, Ident, LitInt, LitStr};

pub use self::args::name as attr_name;
use crate::ctxt::Ctxt;

/// Every helper attribute `#[apiview]` understands.
pub const HELPERS: &[&str] = &[
    "requires",
    "choices",
    "between",
    "string_length_limit",
    "check_aclkey",
    "allow_get",
    "allow_post",
    "allow_put",
    "allow_delete",
    "allow_patch",
    "allow_head",
    "allow_options",
    "methods",
    "body_alias",
    "cookie_variable",
    "meta_variable",
    "header_variable",
    "cache",
    "rsa_decrypt",
    "decode_encrypted_data",
];

/// A request field named by a helper: a parameter of the function, or a string
/// literal naming a field the function does not take.
#[derive(Clone)]
pub enum FieldRef {
    Param(Ident),
    Named(LitStr),
}

impl FieldRef {
    pub fn name(&self) -> String {
        match self {
            FieldRef::Param(ident) => ident.to_string(),
            FieldRef::Named(lit) => lit.value(),
        }
    }
}

pub enum Validator {
    Requires(Vec<FieldRef>),
    RequiresAny(Vec<FieldRef>),
    Choices {
        field: Ident,
        allowed: Expr,
        allow_none: bool,
    },
    Between {
        field: Ident,
        min: Expr,
        max: Expr,
        include_min: bool,
        include_max: bool,
        allow_none: bool,
    },
    StringLength {
        field: Ident,
        min_length: Option<LitInt>,
        max_length: Option<LitInt>,
        too_short_message: Option<LitStr>,
        too_long_message: Option<LitStr>,
    },
}

pub enum AclKeys {
    Settings,
    Literals(Vec<LitStr>),
    Function(Expr),
}

pub struct AclKey {
    pub keys: AclKeys,
    pub field: String,
    pub span: Span,
}

/// Where a transformer helper fills a parameter from.
pub enum TransformSource {
    Payload,
    Cookie { name: String, default: Option<String> },
    Header { name: String },
    Meta { name: String },
}

pub struct Transform {
    pub param: Ident,
    pub source: TransformSource,
    pub helper: &'static str,
}

#[derive(Default)]
pub struct Helpers {
    pub validators: Vec<Validator>,
    pub aclkey: Option<AclKey>,
    /// The allow-list, each method with the token that named it.
    pub methods: Vec<(String, Span)>,
    pub transforms: Vec<Transform>,
    pub cache: Option<cache::CacheAttr>,
    pub rsa_decrypt: Vec<cipher::RsaDecrypt>,
    pub decode_encrypted_data: Option<Span>,
}

/// Whether `attr` is one of ours.
pub fn is_helper(attr: &Attribute) -> bool {
    HELPERS.contains(&attr_name(attr).as_str())
}

/// Adds the helper `attr` to `helpers`.
pub fn parse_helper(cx: &Ctxt, attr: &Attribute, helpers: &mut Helpers) {
    let name = attr_name(attr);
    let Some(args) = args::Args::parse(cx, attr) else {
        return;
    };
    match name.as_str() {
        "requires" => validators::requires(cx, attr, &args, helpers),
        "choices" => validators::choices(cx, attr, &args, helpers),
        "between" => validators::between(cx, attr, &args, helpers),
        "string_length_limit" => validators::string_length_limit(cx, attr, &args, helpers),
        "check_aclkey" => auth::check_aclkey(cx, attr, &args, helpers),
        "methods" => methods::methods(cx, attr, &args, helpers),
        "cache" => cache::cache(cx, attr, &args, helpers),
        "rsa_decrypt" => cipher::rsa_decrypt(cx, attr, &args, helpers),
        "decode_encrypted_data" => cipher::decode_encrypted_data(cx, attr, &args, helpers),
        "body_alias" | "cookie_variable" | "meta_variable" | "header_variable" => {
            transform::transform(cx, attr, &name, &args, helpers)
        }
        allow => methods::allow(cx, attr, allow, &args, helpers),
    }
}
