//! Request ids: the client's `X-Request-Id` when it is a sane token, else a new one;
//! echoed on every answer.

use poem::http::header::{HeaderName, HeaderValue};
use poem::{Request, Response};

/// The response header carrying the request id.
pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";

/// The `X-Request-Id` header's name, parsed once.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// The request's `X-Request-Id` when it is a sane token (`None` when a new id is needed).
pub(crate) fn given_request_id(request: &Request) -> Option<&HeaderValue> {
    request
        .headers()
        .get(&REQUEST_ID)
        .filter(|value| is_sane_id(value))
}

/// 1 to 128 characters of `[A-Za-z0-9-_.:]`.
pub(crate) fn is_sane_id(value: &HeaderValue) -> bool {
    let id = value.as_bytes();
    !id.is_empty()
        && id.len() <= 128
        && id
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A new request id: 32 lowercase hex digits, in one allocation that its clones share
/// (the request, the answer and the [`ApiRequest`](crate::request::ApiRequest) each hold one).
pub(crate) fn new_request_id() -> HeaderValue {
    let mut hex = [0u8; 32];
    uuid::Uuid::new_v4().simple().encode_lower(&mut hex);
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(hex))
        .unwrap_or_else(|_| unreachable!("hex digits are a valid header value"))
}

/// The request's `X-Request-Id` when it is a sane token, else a new 32-hex id.
pub(crate) fn request_id_of(request: &Request) -> HeaderValue {
    given_request_id(request).cloned().unwrap_or_else(new_request_id)
}

pub(crate) fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if !response.headers().contains_key(&REQUEST_ID) {
        if let Ok(value) = HeaderValue::from_str(request_id) {
            response.headers_mut().insert(&REQUEST_ID, value);
        }
    }
    response
}
