//! One small parser per helper attribute. Each turns an attribute into its piece of
//! the endpoint model, reporting bad arguments at their tokens.

pub mod apiview;
mod args;
mod auth;
mod cache;
pub mod cipher;
mod methods;
pub mod paginate;
pub mod throttle;
mod transform;
mod validators;

use apiview_grammar::Method;
use proc_macro2::Span;
use syn::{Attribute, Expr, Ident, LitInt, LitStr};

pub use self::args::name as attr_name;
use crate::attr::{Attr, Attrs};
use crate::ctxt::Ctxt;
use crate::model::Source;
use crate::Helper;

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

/// `#[permission(can_edit(id, title))]`: the function, with the endpoint's
/// parameters it takes after the identity.
pub struct Permission {
    pub function: syn::Path,
    pub params: Vec<Ident>,
}

pub struct Transform {
    pub param: Ident,
    /// Never `Source::Field`: that is where a parameter comes from without one.
    pub source: Source,
    pub helper: Helper,
}

#[derive(Default)]
pub struct Helpers {
    pub validators: Vec<Validator>,
    pub aclkey: Attr<AclKey>,
    /// `#[login_required]`.
    pub login_required: Attr<Span>,
    /// The `#[permission(..)]`s, in written order.
    pub permissions: Vec<Permission>,
    /// The allow-list, each method with the token that named it.
    pub methods: Attrs<Method, Span>,
    pub transforms: Vec<Transform>,
    pub cache: Attr<cache::CacheAttr>,
    /// Keyed by the decrypted parameter.
    pub rsa_decrypt: Attrs<Ident, cipher::RsaDecrypt>,
    pub decode_encrypted_data: Attr<Span>,
    pub paginate: Attr<paginate::Paginate>,
    /// In written order; several may be stacked.
    pub throttles: Vec<throttle::Throttle>,
}

impl Helper {
    /// The helper `attr` names, if it is one of ours.
    pub fn of(attr: &Attribute) -> Option<Helper> {
        let name = attr_name(attr);
        Helper::ALL.iter().copied().find(|helper| helper.name() == name)
    }

    /// The method an `allow_*` helper allows.
    fn allowed_method(self) -> Option<Method> {
        self.name().strip_prefix("allow_").and_then(Method::parse)
    }
}

/// Adds `helper`, written as `attr`, to `helpers`.
pub fn parse_helper(cx: &Ctxt, helper: Helper, attr: &Attribute, helpers: &mut Helpers) {
    let Some(args) = args::Args::parse(cx, attr) else {
        return;
    };
    match helper {
        Helper::Requires => validators::requires(cx, attr, &args, helpers),
        Helper::Choices => validators::choices(cx, attr, &args, helpers),
        Helper::Between => validators::between(cx, attr, &args, helpers),
        Helper::StringLengthLimit => validators::string_length_limit(cx, attr, &args, helpers),
        Helper::CheckAclkey => auth::check_aclkey(cx, attr, &args, helpers),
        Helper::LoginRequired => auth::login_required(cx, attr, &args, helpers),
        Helper::Permission => auth::permission(cx, attr, &args, helpers),
        Helper::Methods => methods::methods(cx, attr, &args, helpers),
        Helper::Cache => cache::cache(cx, attr, &args, helpers),
        Helper::RsaDecrypt => cipher::rsa_decrypt(cx, attr, &args, helpers),
        Helper::DecodeEncryptedData => cipher::decode_encrypted_data(cx, attr, &args, helpers),
        Helper::Paginate => paginate::paginate(cx, attr, &args, helpers),
        Helper::Throttle => throttle::throttle(cx, attr, &args, helpers),
        Helper::BodyAlias => transform::transform(cx, attr, transform::Kind::BodyAlias, &args, helpers),
        Helper::CookieVariable => {
            transform::transform(cx, attr, transform::Kind::CookieVariable, &args, helpers)
        }
        Helper::MetaVariable => transform::transform(cx, attr, transform::Kind::MetaVariable, &args, helpers),
        Helper::HeaderVariable => {
            transform::transform(cx, attr, transform::Kind::HeaderVariable, &args, helpers)
        }
        Helper::AllowGet
        | Helper::AllowPost
        | Helper::AllowPut
        | Helper::AllowDelete
        | Helper::AllowPatch
        | Helper::AllowHead
        | Helper::AllowOptions => {
            let method = helper.allowed_method().expect("an allow_* helper names a method");
            methods::allow(cx, attr, helper, method, &args, helpers)
        }
    }
}
