//! A value found in the request under a name, before coercion.

use serde_json::Value;

/// A request value found under a name, before it is coerced into a parameter's type.
/// More kinds may come (a match needs a `_` arm); [`RawValue::as_str`] reads any
/// textual one.
///
/// ```
/// use apiview_core::RawValue;
///
/// assert!(RawValue::Text("1").is_filled());
/// assert!(!RawValue::Texts(vec![]).is_filled());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RawValue<'a> {
    /// A JSON value from the body.
    Json(&'a Value),
    /// A JSON string from the body that had no escapes, borrowed from the body as it
    /// arrived. It coerces exactly as the same string in [`RawValue::Json`] does.
    JsonStr(&'a str),
    /// One textual value: path segment, form field, query parameter, header, cookie.
    Text(&'a str),
    /// A textual key given several times (`?id=1&id=2`).
    Texts(Vec<&'a str>),
    /// A query or form value whose percent-decoding is not UTF-8 (`%FF`): no
    /// parameter type takes it, so that nothing is patched with U+FFFD silently.
    Undecodable,
}

impl<'a> RawValue<'a> {
    /// Present and not empty: not `null`, `""`, `[]` or `{}`.
    ///
    /// ```
    /// use apiview_core::RawValue;
    ///
    /// assert!(!RawValue::Text("").is_filled());
    /// assert!(!RawValue::Json(&serde_json::json!({})).is_filled());
    /// ```
    pub fn is_filled(&self) -> bool {
        match self {
            RawValue::Json(Value::Null) => false,
            RawValue::Json(Value::String(text)) => !text.is_empty(),
            RawValue::Text(text) | RawValue::JsonStr(text) => !text.is_empty(),
            RawValue::Json(Value::Array(items)) => !items.is_empty(),
            RawValue::Json(Value::Object(fields)) => !fields.is_empty(),
            RawValue::Json(_) => true,
            RawValue::Texts(items) => !items.is_empty(),
            RawValue::Undecodable => true,
        }
    }

    /// Present and not JSON `null`.
    ///
    /// ```
    /// use apiview_core::RawValue;
    ///
    /// assert!(RawValue::Text("").is_present());
    /// assert!(!RawValue::Json(&serde_json::Value::Null).is_present());
    /// ```
    pub fn is_present(&self) -> bool {
        !matches!(self, RawValue::Json(Value::Null))
    }

    /// As a JSON value (text stays text).
    ///
    /// ```
    /// use apiview_core::RawValue;
    ///
    /// assert_eq!(RawValue::Texts(vec!["1", "2"]).to_json(), serde_json::json!(["1", "2"]));
    /// ```
    pub fn to_json(&self) -> Value {
        match self {
            RawValue::Json(value) => (*value).clone(),
            RawValue::Text(text) | RawValue::JsonStr(text) => Value::String((*text).to_owned()),
            RawValue::Texts(items) => {
                Value::Array(items.iter().map(|t| Value::String((*t).to_owned())).collect())
            }
            RawValue::Undecodable => Value::Null,
        }
    }

    /// The text of a textual value or of a JSON string; `None` for any other JSON
    /// value and for a key given several times.
    ///
    /// ```
    /// use apiview_core::RawValue;
    ///
    /// assert_eq!(RawValue::Text("abc").as_str(), Some("abc"));
    /// assert_eq!(RawValue::Json(&serde_json::json!(42)).as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            RawValue::Text(text) | RawValue::JsonStr(text) => Some(text),
            RawValue::Json(Value::String(text)) => Some(text),
            RawValue::Json(_) | RawValue::Texts(_) | RawValue::Undecodable => None,
        }
    }
}
