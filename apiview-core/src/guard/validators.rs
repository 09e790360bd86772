//! `requires`, `choices`, `between` and `string_length_limit`.

use std::fmt::{self, Debug};

use crate::error::{codes, BizError, ErrorClass};
use crate::meta::Source;
use crate::request::{ApiRequest, RawValue};

/// `#[requires(a, b)]`: each source must be present (not absent, not `null`).
///
/// ```
/// use apiview::prelude::*;
/// use apiview::__private::validators::requires;
/// use apiview::request::Source;
///
/// // What #[requires("token")] runs; see tests/helpers/requires.rs for it over HTTP.
/// #[apiview]
/// fn guarded(request: &ApiRequest) -> apiview::Result<&'static str> {
///     requires(request, &[("token", Source::Field { name: "token", header: "token" })])?;
///     Ok("ok")
/// }
///
/// let app = App::new(Settings::default()).at("/guarded", guarded).into_endpoint();
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// # async fn get(app: &impl Endpoint, uri: &str) -> serde_json::Value {
/// #     let response = app.get_response(Request::builder().uri_str(uri).finish()).await;
/// #     response.into_body().into_json().await.unwrap()
/// # }
/// assert_eq!(get(&app, "/guarded?token=t").await["result"], "ok");
/// let error = &get(&app, "/guarded").await["error"];
/// assert_eq!(error["code"], 1001060001);
/// assert_eq!(error["message"], "Missing parameter: token.");
/// # });
/// ```
pub fn requires(request: &ApiRequest, fields: &[(&str, Source)]) -> Result<(), BizError> {
    for (name, source) in fields {
        if !request.get(source).is_some_and(|value| value.is_present()) {
            return Err(BizError::missing_parameter(name));
        }
    }
    Ok(())
}

/// One field of `#[requires(..)]`, given the value the request has for it: present
/// and not JSON `null`. What `#[requires]` generates for each field, with the value
/// it then coerces, so that the request is searched once per name.
///
/// ```
/// use apiview::__private::validators::require;
/// use apiview::RawValue;
///
/// assert!(require("a", &Some(RawValue::Text("1"))).is_ok());
/// assert_eq!(require("a", &None).unwrap_err().code(), 1001060001);
/// ```
pub fn require(name: &str, value: &Option<RawValue<'_>>) -> Result<(), BizError> {
    if value.as_ref().is_some_and(RawValue::is_present) {
        Ok(())
    } else {
        Err(BizError::missing_parameter(name))
    }
}

/// `#[requires(any(a, b))]`: at least one source present and not empty.
///
/// ```
/// use apiview::prelude::*;
/// use apiview::__private::validators::requires_any;
/// use apiview::request::Source;
///
/// #[apiview]
/// fn contact(request: &ApiRequest) -> apiview::Result<()> {
///     requires_any(request, &[
///         ("phone", Source::Field { name: "phone", header: "phone" }),
///         ("email", Source::Field { name: "email", header: "email" }),
///     ])
/// }
///
/// let app = App::new(Settings::default()).at("/contact", contact).into_endpoint();
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # use poem::{Endpoint, Request};
/// # async fn get(app: &impl Endpoint, uri: &str) -> serde_json::Value {
/// #     let response = app.get_response(Request::builder().uri_str(uri).finish()).await;
/// #     response.into_body().into_json().await.unwrap()
/// # }
/// assert_eq!(get(&app, "/contact?email=ann@example.com").await["success"], true);
/// // Present but empty is not enough.
/// assert_eq!(get(&app, "/contact?phone=").await["error"]["code"], 1001060001);
/// # });
/// ```
pub fn requires_any(request: &ApiRequest, fields: &[(&str, Source)]) -> Result<(), BizError> {
    if fields
        .iter()
        .any(|(_, source)| request.get(source).is_some_and(|value| value.is_filled()))
    {
        return Ok(());
    }
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    Err(BizError::missing_parameter(&names.join(" or ")))
}

/// `#[choices(op, [..])]`: `value` must equal one of `allowed`.
///
/// ```
/// use apiview::__private::validators::choices;
///
/// assert!(choices("op", &"add".to_string(), ["add", "sub"]).is_ok());
/// assert_eq!(choices("op", &3, [1, 2]).unwrap_err().message(), "Bad parameter: op. Value 3 is not one of [1, 2].");
/// ```
pub fn choices<T, I>(name: &str, value: &T, allowed: I) -> Result<(), BizError>
where
    I: IntoIterator,
    I::Item: Debug,
    T: PartialEq<I::Item> + Debug,
{
    let allowed: Vec<I::Item> = allowed.into_iter().collect();
    if allowed.iter().any(|choice| value == choice) {
        Ok(())
    } else {
        Err(BizError::bad_choice(name, DebugText(value), DebugText(&allowed)))
    }
}

/// `#[between(..)]`'s range as text: `[0, 100]`, `(0, 100]`, `[0, ∞)`.
///
/// ```
/// use apiview::__private::validators::range_text;
///
/// assert_eq!(range_text(Some(&0), Some(&100), true, false), "[0, 100)");
/// assert_eq!(range_text(None, Some(&1.5), true, true), "(-∞, 1.5]");
/// ```
pub fn range_text(
    min: Option<&dyn Debug>,
    max: Option<&dyn Debug>,
    include_min: bool,
    include_max: bool,
) -> String {
    let open = if include_min && min.is_some() { '[' } else { '(' };
    let close = if include_max && max.is_some() { ']' } else { ')' };
    let min = min.map_or_else(|| "-∞".to_owned(), |min| format!("{min:?}"));
    let max = max.map_or_else(|| "∞".to_owned(), |max| format!("{max:?}"));
    format!("{open}{min}, {max}{close}")
}

/// `BadParameter` for a value outside a `between` range.
///
/// ```
/// let err = apiview::__private::validators::out_of_range("a", &101, "[0, 100]".into());
/// assert_eq!(err.message(), "Bad parameter: a. Value 101 is out of range [0, 100].");
/// ```
pub fn out_of_range(name: &str, value: &dyn Debug, range: String) -> BizError {
    BizError::out_of_range(name, DebugText(value), range)
}

/// `#[string_length_limit(..)]`: the length in characters (code points, as Python's
/// `len`) within `[min_length, max_length]`.
///
/// ```
/// use apiview::__private::validators::string_length;
///
/// assert!(string_length("测试", Some(2), Some(4), None, None).is_ok()); // 2 characters, 6 bytes
/// assert_eq!(string_length("x", Some(2), None, None, None).unwrap_err().code(), 1001060004);
/// ```
pub fn string_length(
    text: &str,
    min_length: Option<usize>,
    max_length: Option<usize>,
    too_short_message: Option<&'static str>,
    too_long_message: Option<&'static str>,
) -> Result<(), BizError> {
    let length = text.chars().count();
    if let Some(min_length) = min_length.filter(|min| length < *min) {
        return Err(match too_short_message {
            Some(message) => BizError::new(codes::STRING_TOO_SHORT.code, message)
                .with_class(ErrorClass::Parameter)
                .with("min_length", min_length),
            None => BizError::string_too_short(min_length),
        });
    }
    if let Some(max_length) = max_length.filter(|max| length > *max) {
        return Err(match too_long_message {
            Some(message) => BizError::new(codes::STRING_TOO_LONG.code, message)
                .with_class(ErrorClass::Parameter)
                .with("max_length", max_length),
            None => BizError::string_too_long(max_length),
        });
    }
    Ok(())
}

struct DebugText<'a, T: ?Sized>(&'a T);

impl<T: Debug + ?Sized> fmt::Display for DebugText<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
