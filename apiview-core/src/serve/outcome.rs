//! What an endpoint's run gives before packing, and the answer that skips packing.

use serde::Serialize;

use crate::error::BizError;

/// An endpoint's answer before packing.
///
/// ```
/// use apiview::__private::Outcome;
///
/// assert!(matches!(Outcome::from_serialize("pong"), Outcome::Json(_)));
/// ```
#[derive(Debug)]
pub enum Outcome {
    /// A result already serialized as JSON text (an endpoint's return value, a cache
    /// hit), packed with [`Packer::write_result_json`](crate::packer::Packer::write_result_json).
    Json(bytes::Bytes),
    /// A response sent as is (`Raw`).
    Raw(poem::Response),
    /// An error, to be packed with `pack_error`.
    Error(BizError),
}

impl Outcome {
    /// Serializes a result to JSON text, once: packers write it into their envelope
    /// as it is (no `Value` tree in between). A value that does not serialize is a
    /// `SysError` (logged).
    ///
    /// ```
    /// use apiview::__private::Outcome;
    ///
    /// let Outcome::Json(json) = Outcome::from_serialize(&[1, 2]) else { unreachable!() };
    /// assert_eq!(&json[..], b"[1,2]");
    /// ```
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Outcome {
        // Most results are short: written on the stack first, then copied into bytes of
        // their exact size (one allocation, where a growing buffer turned into bytes
        // takes two).
        let mut stack = [0u8; 256];
        let mut cursor = std::io::Cursor::new(&mut stack[..]);
        if serde_json::to_writer(&mut cursor, value).is_ok() {
            let len = cursor.position() as usize;
            return Outcome::Json(bytes::Bytes::copy_from_slice(&stack[..len]));
        }
        match serde_json::to_vec(value) {
            Ok(json) => Outcome::Json(json.into()),
            Err(err) => {
                tracing::error!(%err, "the endpoint's result does not serialize to JSON");
                Outcome::Error(BizError::sys_error())
            }
        }
    }

    /// A `Result` of a serializable value or an error.
    ///
    /// ```
    /// use apiview::{__private::Outcome, BizError};
    ///
    /// let outcome = Outcome::from_result::<u8, BizError>(Err(BizError::bad_parameter("a")));
    /// assert!(matches!(outcome, Outcome::Error(err) if err.code() == 1001060002));
    /// ```
    pub fn from_result<T: Serialize, E: Into<BizError>>(result: Result<T, E>) -> Outcome {
        match result {
            Ok(value) => Outcome::from_serialize(&value),
            Err(err) => Outcome::Error(err.into()),
        }
    }
}

/// A response that skips packing (django-apiview's `DoNotPack`): files, streams,
/// redirects.
///
/// ```
/// use apiview::prelude::*;
/// use poem::web::Redirect;
///
/// #[apiview]
/// fn old_home() -> Raw<Redirect> {
///     Raw(Redirect::see_other("/home"))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// let app = App::new(Settings::default()).at("/old", old_home).into_endpoint();
/// let response = app.get_response(Request::builder().uri_str("/old").finish()).await;
/// // The redirect as it is, no envelope.
/// assert_eq!(response.status(), poem::http::StatusCode::SEE_OTHER);
/// assert_eq!(response.headers()["location"], "/home");
/// # });
/// ```
#[derive(Debug)]
pub struct Raw<R>(pub R);
