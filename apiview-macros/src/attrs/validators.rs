//! `requires`, `choices`, `between`, `string_length_limit`.

use syn::{Attribute, Expr, ExprLit, Ident, Lit};

use super::args::{ident_of, lit_bool, lit_str, lit_usize, Args};
use super::{FieldRef, Helpers, Validator};
use crate::ctxt::Ctxt;

fn field_ref(cx: &Ctxt, expr: &Expr, helper: &str) -> Option<FieldRef> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(FieldRef::Named(lit.clone())),
        other => {
            match ident_of(other) {
                Some(ident) => Some(FieldRef::Param(ident.clone())),
                None => {
                    cx.error_spanned_by(
                    other,
                    format!("#[{helper}] expects a parameter name, or a string literal naming a request field"),
                );
                    None
                }
            }
        }
    }
}

/// The first positional argument: the parameter a typed validator checks.
fn checked_param(cx: &Ctxt, attr: &Attribute, args: &Args, helper: &str, usage: &str) -> Option<Ident> {
    let Some(first) = args.positional.first() else {
        cx.error_spanned_by(attr, format!("#[{helper}] needs the parameter to check: {usage}"));
        return None;
    };
    match ident_of(first) {
        Some(ident) => Some(ident.clone()),
        None => {
            cx.error_spanned_by(
                first,
                format!("#[{helper}] checks a parameter of the function; write its name, as in {usage}"),
            );
            None
        }
    }
}

pub fn requires(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    args.reject_unknown(cx, "requires", &[]);
    if args.positional.is_empty() {
        cx.error_spanned_by(
            attr,
            "#[requires] needs at least one field: #[requires(a, b)] or #[requires(any(a, b))]",
        );
        return;
    }
    let mut all = Vec::new();
    for expr in &args.positional {
        match expr {
            Expr::Call(call) if ident_of(&call.func).is_some_and(|f| f == "any") => {
                let any: Vec<FieldRef> = call
                    .args
                    .iter()
                    .filter_map(|e| field_ref(cx, e, "requires"))
                    .collect();
                if any.len() < 2 {
                    cx.error_spanned_by(
                        call,
                        "any(..) needs at least two fields; one field is just #[requires(a)]",
                    );
                }
                // Fields named before the group are checked before it: written order.
                if !all.is_empty() {
                    helpers
                        .validators
                        .push(Validator::Requires(std::mem::take(&mut all)));
                }
                helpers.validators.push(Validator::RequiresAny(any));
            }
            other => all.extend(field_ref(cx, other, "requires")),
        }
    }
    if !all.is_empty() {
        helpers.validators.push(Validator::Requires(all));
    }
}

pub fn choices(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    const USAGE: &str = "#[choices(op, [\"add\", \"sub\"])] or #[choices(op, allowed_ops)]";
    args.reject_unknown(cx, "choices", &["allow_none"]);
    let field = checked_param(cx, attr, args, "choices", USAGE);
    let allowed = match args.positional.get(1) {
        Some(expr @ Expr::Array(_)) => Some(expr.clone()),
        Some(expr @ Expr::Path(_)) => {
            Some(syn::parse_quote_spanned!(syn::spanned::Spanned::span(expr)=> #expr()))
        }
        Some(other) => {
            cx.error_spanned_by(
                other,
                format!("the choices must be a list literal or a function name: {USAGE}"),
            );
            None
        }
        None => {
            cx.error_spanned_by(attr, format!("#[choices] needs the allowed values: {USAGE}"));
            None
        }
    };
    for extra in args.positional.iter().skip(2) {
        cx.error_spanned_by(extra, format!("unexpected argument; {USAGE}"));
    }
    let allow_none = args
        .option("allow_none")
        .is_some_and(|e| lit_bool(cx, e, "allow_none"));
    if let (Some(field), Some(allowed)) = (field, allowed) {
        helpers.validators.push(Validator::Choices {
            field,
            allowed,
            allow_none,
        });
    }
}

fn bound(cx: &Ctxt, expr: &Expr) -> Option<Expr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(_) | Lit::Float(_),
            ..
        }) => Some(expr.clone()),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => {
            bound(cx, &unary.expr).map(|_| expr.clone())
        }
        Expr::Path(_) => Some(syn::parse_quote_spanned!(syn::spanned::Spanned::span(expr)=> #expr())),
        Expr::Block(_) => Some(expr.clone()),
        other => {
            cx.error_spanned_by(
                other,
                "a bound must be a number literal, a function name (called per request) or a block `{ EXPR }`",
            );
            None
        }
    }
}

pub fn between(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    const USAGE: &str = "#[between(a, 0, 100)]";
    args.reject_unknown(cx, "between", &["include_min", "include_max", "allow_none"]);
    let field = checked_param(cx, attr, args, "between", USAGE);
    if args.positional.len() != 3 {
        cx.error_spanned_by(
            attr,
            format!("#[between] takes a parameter and two bounds: {USAGE}"),
        );
        return;
    }
    let min = bound(cx, &args.positional[1]);
    let max = bound(cx, &args.positional[2]);
    let flag = |key: &str| args.option(key).map(|e| lit_bool(cx, e, key));
    let include_min = flag("include_min").unwrap_or(true);
    let include_max = flag("include_max").unwrap_or(true);
    let allow_none = flag("allow_none").unwrap_or(false);
    if let (Some(field), Some(min), Some(max)) = (field, min, max) {
        helpers.validators.push(Validator::Between {
            field,
            min,
            max,
            include_min,
            include_max,
            allow_none,
        });
    }
}

pub fn string_length_limit(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    const USAGE: &str = "#[string_length_limit(msg, max_length = 4096, min_length = 2)]";
    args.reject_unknown(
        cx,
        "string_length_limit",
        &[
            "max_length",
            "min_length",
            "too_short_message",
            "too_long_message",
        ],
    );
    let field = checked_param(cx, attr, args, "string_length_limit", USAGE);
    for extra in args.positional.iter().skip(1) {
        cx.error_spanned_by(extra, format!("unexpected argument; options are named: {USAGE}"));
    }
    let min_length = args
        .option("min_length")
        .and_then(|e| lit_usize(cx, e, "min_length"));
    let max_length = args
        .option("max_length")
        .and_then(|e| lit_usize(cx, e, "max_length"));
    let given = |key: &str| args.option(key).is_some();
    if !given("min_length") && !given("max_length") {
        cx.error_spanned_by(
            attr,
            format!("#[string_length_limit] needs max_length, min_length or both: {USAGE}"),
        );
    }
    if let (Some(min), Some(max)) = (&min_length, &max_length) {
        if min.base10_parse::<usize>().ok() > max.base10_parse::<usize>().ok() {
            cx.error_spanned_by(min, "min_length is greater than max_length: no string can pass");
        }
    }
    let too_short_message = args
        .option("too_short_message")
        .and_then(|e| lit_str(cx, e, "too_short_message"));
    let too_long_message = args
        .option("too_long_message")
        .and_then(|e| lit_str(cx, e, "too_long_message"));
    if let Some(field) = field {
        helpers.validators.push(Validator::StringLength {
            field,
            min_length,
            max_length,
            too_short_message,
            too_long_message,
        });
    }
}
