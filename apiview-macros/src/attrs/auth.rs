//! `check_aclkey`, `login_required`, `permission`.

use syn::spanned::Spanned;
use syn::{Attribute, Expr};

use super::args::{ident_of, lit_str, Args};
use super::{AclKey, AclKeys, Helpers, Permission};
use crate::ctxt::Ctxt;

pub fn check_aclkey(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    args.reject_unknown(cx, "check_aclkey", &["aclkey", "aclkeys", "field"]);
    for extra in &args.positional {
        cx.error_spanned_by(
            extra,
            "#[check_aclkey] options are named: aclkey = \"..\", aclkeys = [\"..\"], aclkey = my_fn, field = \"aclkey\"",
        );
    }
    let keys = match (args.option("aclkey"), args.option("aclkeys")) {
        (Some(_), Some(both)) => {
            cx.error_spanned_by(both, "give either aclkey or aclkeys, not both");
            return;
        }
        (None, None) => AclKeys::Settings,
        (Some(Expr::Path(path)), None) | (None, Some(Expr::Path(path))) => {
            AclKeys::Function(Expr::Path(path.clone()))
        }
        (Some(key), None) => match lit_str(cx, key, "aclkey") {
            Some(lit) if lit.value().is_empty() => {
                cx.error_spanned_by(
                    &lit,
                    "an empty aclkey never matches; give the key, or omit it to use settings",
                );
                return;
            }
            Some(lit) => AclKeys::Literals(vec![lit]),
            None => return,
        },
        (None, Some(Expr::Array(array))) => {
            let keys: Vec<_> = array
                .elems
                .iter()
                .filter_map(|e| lit_str(cx, e, "each of aclkeys"))
                .collect();
            if keys.is_empty() {
                cx.error_spanned_by(array, "aclkeys is empty: no request could pass");
            }
            AclKeys::Literals(keys)
        }
        (None, Some(other)) => {
            cx.error_spanned_by(
                other,
                "aclkeys must be a list of string literals or a function name",
            );
            return;
        }
    };
    let field = match args.option("field") {
        Some(expr) => match lit_str(cx, expr, "field") {
            Some(lit) => lit.value(),
            None => return,
        },
        None => "aclkey".to_owned(),
    };
    let aclkey = AclKey {
        keys,
        field,
        span: attr.span(),
    };
    helpers.aclkey.set(cx, "#[check_aclkey]", attr, aclkey);
}

pub fn login_required(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    if !args.is_empty() {
        cx.error_spanned_by(
            &attr.meta,
            "#[login_required] takes no arguments; who may call is decided by #[permission(..)]",
        );
    }
    helpers
        .login_required
        .set(cx, "#[login_required]", attr, attr.span());
}

const PERMISSION_SHAPE: &str =
    "#[permission(..)] names a function: #[permission(can_edit)], or with the endpoint's parameters it takes \
     after the identity, #[permission(can_edit(id, title))]";

pub fn permission(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    args.reject_unknown(cx, "permission", &[]);
    let Some(first) = args.positional.first() else {
        if args.options.is_empty() {
            cx.error_spanned_by(&attr.meta, PERMISSION_SHAPE);
        }
        return;
    };
    for extra in &args.positional[1..] {
        cx.error_spanned_by(
            extra,
            "one function per #[permission(..)]; write one #[permission(..)] per function, all must pass",
        );
    }
    let (function, arguments) = match first {
        Expr::Path(path) if path.qself.is_none() => (path.path.clone(), Vec::new()),
        Expr::Call(call) => match &*call.func {
            Expr::Path(path) if path.qself.is_none() => (path.path.clone(), call.args.iter().collect()),
            other => {
                cx.error_spanned_by(other, PERMISSION_SHAPE);
                return;
            }
        },
        other => {
            cx.error_spanned_by(other, PERMISSION_SHAPE);
            return;
        }
    };
    let mut params: Vec<syn::Ident> = Vec::new();
    for argument in arguments {
        match ident_of(argument) {
            Some(ident) if params.contains(ident) => {
                cx.error_spanned_by(ident, format!("`{ident}` is listed twice"));
            }
            Some(ident) => params.push(ident.clone()),
            None => cx.error_spanned_by(
                argument,
                "list the endpoint's parameters the permission function takes, by name, like can_edit(id, title): \
                 each is passed by reference after the identity",
            ),
        }
    }
    helpers.permissions.push(Permission { function, params });
}
