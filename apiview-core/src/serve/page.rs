//! `#[paginate]` on a request in flight: the [`PageRequest`] read from the query
//! string with the endpoint's options and settings' `[pagination]`, and the
//! [`Page`] turned into DRF's shape with links back to this request.
//!
//! Only paginated endpoints call these: an endpoint without `#[paginate]` does no
//! work for pagination (the cursor key is drawn once, when the App is built).

use serde::Serialize;

use super::{Call, Outcome};
use crate::error::BizError;
use crate::paginate::{sane_host, Links, Page, PageRequest, PaginateMeta};

/// The page the request asks for.
pub fn page_request(call: &Call, meta: &PaginateMeta) -> Result<PageRequest, BizError> {
    let settings = &call.runtime.settings.pagination;
    let style = meta.style.unwrap_or_else(|| settings.page_style());
    let max = meta.max_page_size.unwrap_or(settings.max_page_size);
    let size = meta.page_size.unwrap_or(settings.page_size);
    let request = &call.request;
    PageRequest::from_query(
        style,
        request.uri().query(),
        size,
        max,
        &call.runtime.cursor_key,
        request.path(),
    )
}

/// `scheme://host[:port]` for the links: `swagger.api_host` when it is set (with
/// `http://` when it names no scheme), else the request's `Host` if it is a plain
/// `host[:port]` (the client writes it), else nothing: relative links.
fn link_prefix(call: &Call) -> String {
    let api_host = call
        .runtime
        .settings
        .swagger
        .api_host
        .trim()
        .trim_end_matches('/');
    if !api_host.is_empty() {
        return if api_host.contains("://") {
            api_host.to_owned()
        } else {
            format!("http://{api_host}")
        };
    }
    let request = &call.request;
    let host = request
        .header("host")
        .or_else(|| request.uri().authority().map(|authority| authority.as_str()));
    match host {
        Some(host) if sane_host(host) => format!("http://{host}"),
        _ => String::new(),
    }
}

/// The page in DRF's shape, or the endpoint's error.
pub fn page_outcome<T: Serialize>(
    call: &Call,
    page_request: &PageRequest,
    page: Result<Page<T>, BizError>,
) -> Outcome {
    let page = match page {
        Ok(page) => page,
        Err(err) => return Outcome::Error(err),
    };
    let request = &call.request;
    let links = Links::new(
        &link_prefix(call),
        request.path(),
        request.uri().query(),
        page_request.style(),
    );
    match page.into_body(page_request, &links, &call.runtime.cursor_key) {
        Ok(body) => Outcome::from_serialize(&body),
        Err(err) => Outcome::Error(err),
    }
}
