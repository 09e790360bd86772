//! One small parser per helper attribute. Each turns an attribute into its piece of
//! the endpoint model, reporting bad arguments at their tokens.

pub mod apiview;
mod args;
mod auth;
mod cache;
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
];

/// Helpers of the design that later versions bring.
const NOT_YET: &[&str] = &["rsa_decrypt", "decode_encrypted_data"];

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
}

/// Whether `attr` is one of ours (known or coming later).
pub fn is_helper(attr: &Attribute) -> bool {
    let name = attr_name(attr);
    HELPERS.contains(&name.as_str()) || NOT_YET.contains(&name.as_str())
}

/// Adds the helper `attr` to `helpers`.
pub fn parse_helper(cx: &Ctxt, attr: &Attribute, helpers: &mut Helpers) {
    let name = attr_name(attr);
    if NOT_YET.contains(&name.as_str()) {
        cx.error_spanned_by(
            attr,
            format!("#[{name}] is not available in this version of apiview yet; remove it"),
        );
        return;
    }
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
        "body_alias" | "cookie_variable" | "meta_variable" | "header_variable" => {
            transform::transform(cx, attr, &name, &args, helpers)
        }
        allow => methods::allow(cx, attr, allow, &args, helpers),
    }
}
