//! The query parameters of a `#[paginate]` endpoint, by style: what a client may
//! send, with the sizes' default and maximum (the endpoint's options, else
//! settings' `[pagination]`).

use apiview_core::meta::PageStyle;
use apiview_core::{EndpointMeta, Settings};
use serde_json::{json, Value};

/// The paging parameters of `meta`'s endpoint, none if it does not paginate.
pub(crate) fn page_parameters(meta: &EndpointMeta, settings: &Settings) -> Vec<Value> {
    let Some(paginate) = meta.paginate else {
        return Vec::new();
    };
    let defaults = &settings.pagination;
    let style = paginate.style.unwrap_or_else(|| defaults.page_style());
    let max = paginate.max_page_size.unwrap_or(defaults.max_page_size).max(1);
    let size = paginate.page_size.unwrap_or(defaults.page_size).clamp(1, max);
    let size_parameter = |name: &str| {
        parameter(
            name,
            "How many items a page holds; a larger size is answered with the maximum.",
            json!({"type": "integer", "minimum": 1, "maximum": max, "default": size}),
        )
    };
    match style {
        PageStyle::PageNumber => vec![
            parameter(
                "page",
                "The page, from 1. A page past the last answers no results.",
                json!({"type": "integer", "minimum": 1, "default": 1}),
            ),
            size_parameter("page_size"),
        ],
        PageStyle::LimitOffset => vec![
            size_parameter("limit"),
            parameter(
                "offset",
                "How many items to skip.",
                json!({"type": "integer", "minimum": 0, "default": 0}),
            ),
        ],
        PageStyle::Cursor => vec![
            parameter(
                "cursor",
                "Where the page starts: copied from the previous page's `next` link. Opaque and signed; \
                 an altered cursor answers BadParameter.",
                json!({"type": "string"}),
            ),
            size_parameter("page_size"),
        ],
    }
}

fn parameter(name: &str, description: &str, schema: Value) -> Value {
    json!({
        "name": name,
        "in": "query",
        "required": false,
        "description": description,
        "schema": schema,
    })
}
