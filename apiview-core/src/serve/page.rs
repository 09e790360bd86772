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

/// What goes before the endpoint's path in the links.
///
/// With `swagger.api_host` set, the document's server: `api_host` (with `http://`
/// when it names no scheme) and `api_basepath`, as a client of the document would
/// write the URL. Without it, the request's `Host` if it is a plain `host[:port]`
/// (the client writes that header, so nothing else is trusted), and the prefix the
/// App is nested under (what the original URI has before the endpoint's path);
/// else no host: relative links.
fn link_prefix(call: &Call) -> String {
    let swagger = &call.runtime.settings.swagger;
    let api_host = swagger.api_host.trim().trim_end_matches('/');
    if !api_host.is_empty() {
        let base = swagger.api_basepath.trim().trim_matches('/');
        let scheme = if api_host.contains("://") { "" } else { "http://" };
        return if base.is_empty() {
            format!("{scheme}{api_host}")
        } else {
            format!("{scheme}{api_host}/{base}")
        };
    }
    let request = &call.request;
    let original = request.poem_request().original_uri().path();
    let mount = original.strip_suffix(request.path()).unwrap_or("");
    let host = request
        .header("host")
        .or_else(|| request.uri().authority().map(|authority| authority.as_str()));
    match host {
        Some(host) if sane_host(host) => format!("http://{host}{mount}"),
        _ => mount.to_owned(),
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
