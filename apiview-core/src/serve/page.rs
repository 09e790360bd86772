//! `#[paginate]` on a request in flight: the [`PageRequest`] read from the query
//! string with the endpoint's options and settings' `[pagination]`, and the
//! [`Page`] turned into DRF's shape with links back to this request.
//!
//! Only paginated endpoints call these: an endpoint without `#[paginate]` does no
//! work for pagination (the cursor key is drawn once, when the App is built).

use serde::Serialize;

use super::{Call, Outcome};
use crate::error::BizError;
use crate::paginate::{link_base, Links, Page, PageRequest, PaginateMeta};

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
        &link_base(&call.request, &call.runtime.settings.swagger),
        request.path(),
        request.uri().query(),
        page_request.style(),
    );
    match page.into_body(page_request, &links, &call.runtime.cursor_key) {
        Ok(body) => Outcome::from_serialize(&body),
        Err(err) => Outcome::Error(err),
    }
}
