//! `check_aclkey`.

use syn::spanned::Spanned;
use syn::{Attribute, Expr};

use super::args::{lit_str, Args};
use super::{AclKey, AclKeys, Helpers};
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
