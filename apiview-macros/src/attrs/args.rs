//! The argument list shared by every helper attribute: positional expressions and
//! `key = value` options, kept with their tokens for error spans.

use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitBool, LitInt, LitStr, Token};

use crate::attr::Attrs;
use crate::ctxt::Ctxt;

pub struct Args {
    pub positional: Vec<Expr>,
    pub options: Attrs<Ident, Expr>,
}

impl Args {
    /// Parses `#[name(a, b, key = value)]`; `#[name]` has no arguments.
    pub fn parse(cx: &Ctxt, attr: &Attribute) -> Option<Args> {
        let exprs = match &attr.meta {
            syn::Meta::Path(_) => Punctuated::new(),
            syn::Meta::List(list) => {
                match list.parse_args_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
                    Ok(exprs) => exprs,
                    Err(err) => {
                        cx.syn_error(err);
                        return None;
                    }
                }
            }
            syn::Meta::NameValue(nv) => {
                cx.error_spanned_by(
                    nv,
                    format!("write #[{}(..)], not #[{} = ..]", name(attr), name(attr)),
                );
                return None;
            }
        };
        let mut args = Args {
            positional: Vec::new(),
            options: Attrs::default(),
        };
        for expr in exprs {
            match expr {
                Expr::Assign(assign) => match &*assign.left {
                    Expr::Path(path) if path.path.get_ident().is_some() => {
                        let key = path.path.get_ident().cloned().unwrap();
                        let name = format!("option `{key}`");
                        args.options.insert(cx, name, &key, key.clone(), *assign.right);
                    }
                    other => cx.error_spanned_by(other, "expected an option name before `=`"),
                },
                other => {
                    if !args.options.is_empty() {
                        cx.error_spanned_by(&other, "positional arguments go before `key = value` options");
                    }
                    args.positional.push(other);
                }
            }
        }
        Some(args)
    }

    /// Reports every option not in `known`.
    pub fn reject_unknown(&self, cx: &Ctxt, helper: &str, known: &[&str]) {
        for key in self.options.keys() {
            if !known.contains(&key.to_string().as_str()) {
                let expected = if known.is_empty() {
                    format!("#[{helper}] takes no options")
                } else {
                    format!("expected one of: {}", known.join(", "))
                };
                cx.error_spanned_by(key, format!("unknown option `{key}` for #[{helper}]; {expected}"));
            }
        }
    }

    pub fn option(&self, key: &str) -> Option<&Expr> {
        self.options.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether the attribute has no arguments at all.
    pub fn is_empty(&self) -> bool {
        self.positional.is_empty() && self.options.is_empty()
    }
}

pub fn name(attr: &Attribute) -> String {
    attr.path()
        .segments
        .last()
        .map(|segment| segment.ident.to_string())
        .unwrap_or_default()
}

pub fn ident_of(expr: &Expr) -> Option<&Ident> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident(),
        _ => None,
    }
}

pub fn lit_str(cx: &Ctxt, expr: &Expr, what: &str) -> Option<LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit.clone()),
        other => {
            cx.error_spanned_by(other, format!("{what} must be a string literal, like \"text\""));
            None
        }
    }
}

pub fn lit_bool(cx: &Ctxt, expr: &Expr, what: &str) -> bool {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(LitBool { value, .. }),
            ..
        }) => *value,
        other => {
            cx.error_spanned_by(other, format!("{what} must be `true` or `false`"));
            false
        }
    }
}

pub fn lit_usize(cx: &Ctxt, expr: &Expr, what: &str) -> Option<LitInt> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) if lit.base10_parse::<usize>().is_ok() => Some(lit.clone()),
        other => {
            cx.error_spanned_by(
                other,
                format!("{what} must be a non-negative integer literal, like 10"),
            );
            None
        }
    }
}
