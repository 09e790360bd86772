//! `#[paginate]`, `#[paginate(style = "..", page_size = N, max_page_size = N)]`.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::Attribute;

use super::args::{lit_str, lit_usize, Args};
use super::Helpers;
use crate::ctxt::Ctxt;

pub struct Paginate {
    /// `page_number`, `limit_offset` or `cursor`, checked.
    pub style: Option<String>,
    pub page_size: Option<u64>,
    pub max_page_size: Option<u64>,
    pub span: Span,
}

const STYLES: [&str; 3] = ["page_number", "limit_offset", "cursor"];

pub fn paginate(cx: &Ctxt, attr: &Attribute, args: &Args, helpers: &mut Helpers) {
    args.reject_unknown(cx, "paginate", &["style", "page_size", "max_page_size"]);
    for extra in &args.positional {
        cx.error_spanned_by(
            extra,
            "#[paginate] options are named: #[paginate(style = \"page_number\", page_size = 20, max_page_size = 100)]",
        );
    }
    let style = args.option("style").and_then(|expr| lit_str(cx, expr, "style")).and_then(|lit| {
        let style = lit.value();
        if STYLES.contains(&style.as_str()) {
            Some(style)
        } else {
            cx.error_spanned_by(
                &lit,
                format!("unknown pagination style `{style}`; use \"page_number\", \"limit_offset\" or \"cursor\""),
            );
            None
        }
    });
    let size = |key: &str| {
        let lit = lit_usize(cx, args.option(key)?, key)?;
        let value = lit.base10_parse::<u64>().ok()?;
        if value == 0 {
            cx.error_spanned_by(&lit, format!("{key} must be at least 1"));
            return None;
        }
        Some(value)
    };
    let page_size = size("page_size");
    let max_page_size = size("max_page_size");
    let paginate = Paginate {
        style,
        page_size,
        max_page_size,
        span: attr.path().span(),
    };
    helpers.paginate.set(cx, "#[paginate]", attr, paginate);
}
