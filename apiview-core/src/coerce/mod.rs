//! Coercion of request values into parameter types, through serde.
//!
//! Lenient where the wire is textual: `"42"` becomes an `i64`, `"true"`/`"1"` a
//! `bool`, a single value a `Vec` of one, JSON text in a query parameter a struct.

mod de;

use serde::de::DeserializeOwned;
use serde_json::Value;

use self::de::{JsonDe, JsonStrDe, Missing, TextDe, TextsDe};
use crate::error::{BizError, Words};
use crate::request::RawValue;

/// Coerces the value found for parameter `name` (or its absence) into `T`.
///
/// Absent (or JSON `null`) is `None` for an `Option`, and `MissingParameter`
/// otherwise; a value that cannot become `T` is `BadParameterType`.
///
/// ```
/// use apiview_core::__private::coerce;
/// use apiview_core::RawValue;
///
/// let n: i64 = coerce("a", Some(RawValue::Text("42"))).unwrap();
/// assert_eq!(n, 42);
/// let ids: Vec<u8> = coerce("ids", Some(RawValue::Texts(vec!["1", "2"]))).unwrap();
/// assert_eq!(ids, [1, 2]);
/// let missing: Option<String> = coerce("x", None).unwrap();
/// assert_eq!(missing, None);
/// assert_eq!(coerce::<u8>("a", Some(RawValue::Text("300"))).unwrap_err().code(), 1001060003);
/// ```
pub fn coerce<T: DeserializeOwned>(name: &str, raw: Option<RawValue<'_>>) -> Result<T, BizError> {
    let result = match &raw {
        None => T::deserialize(Missing),
        Some(RawValue::Json(value)) => T::deserialize(JsonDe(value)),
        Some(RawValue::JsonStr(text)) => T::deserialize(JsonStrDe(text)),
        Some(RawValue::Text(text)) => T::deserialize(TextDe(text)),
        Some(RawValue::Texts(items)) => T::deserialize(TextsDe(items)),
        // Whatever the type, `Option` included: the client sent a value, not UTF-8.
        Some(RawValue::Undecodable) => {
            tracing::debug!(parameter = name, "parameter's percent-decoding is not UTF-8");
            return Err(BizError::bad_parameter_type_for(name, expected_words::<T>()));
        }
    };
    result.map_err(|err| match raw {
        None | Some(RawValue::Json(Value::Null)) => BizError::missing_parameter(name),
        Some(_) => {
            tracing::debug!(parameter = name, %err, "parameter does not coerce");
            BizError::bad_parameter_type_for(name, expected_words::<T>())
        }
    })
}

/// A parameter type in words, in each language of the catalogue, for error messages
/// (`i64` → "an integer (i64)").
pub(crate) fn expected_words<T: ?Sized>() -> Words {
    let name = short_type_name(std::any::type_name::<T>());
    let inner = name
        .strip_prefix("Option<")
        .and_then(|rest| rest.strip_suffix('>'))
        .unwrap_or(&name);
    match inner {
        "String" | "str" | "&str" | "Cow<str>" => Words::fixed("a string", "字符串"),
        "bool" => Words::fixed("a boolean (true, false, 1 or 0)", "布尔值（true、false、1 或 0）"),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            Words::new(format!("an integer ({inner})"), format!("整数（{inner}）"))
        }
        "f32" | "f64" => Words::new(format!("a number ({inner})"), format!("数字（{inner}）")),
        other if other.starts_with("Vec<") => {
            Words::new(format!("a list ({other})"), format!("列表（{other}）"))
        }
        other => Words::new(other.to_owned(), other.to_owned()),
    }
}

fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            while out.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                out.pop();
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct User {
        name: String,
        age: u8,
    }

    #[test]
    fn expected_types_read_in_each_language() {
        assert_eq!(expected_words::<u8>().to_string(), "an integer (u8)");
        assert_eq!(
            expected_words::<Option<bool>>().to_string(),
            "a boolean (true, false, 1 or 0)"
        );
        assert_eq!(
            expected_words::<Vec<u8>>().in_language(crate::error::Language::ZhHans),
            "列表（Vec<u8>）"
        );
    }

    #[test]
    fn text_coerces_to_scalars() {
        assert_eq!(coerce::<f64>("x", Some(RawValue::Text("2.5"))).unwrap(), 2.5);
        assert!(coerce::<bool>("x", Some(RawValue::Text("1"))).unwrap());
        assert!(!coerce::<bool>("x", Some(RawValue::Text("false"))).unwrap());
        assert_eq!(coerce::<Vec<i32>>("x", Some(RawValue::Text("7"))).unwrap(), [7]);
        assert_eq!(
            coerce::<Vec<i32>>("x", Some(RawValue::Text("[1,2]"))).unwrap(),
            [1, 2]
        );
        assert_eq!(
            coerce::<Vec<String>>("x", Some(RawValue::Text("a,b"))).unwrap(),
            ["a,b"]
        );
        let user: User = coerce("u", Some(RawValue::Text(r#"{"name":"ann","age":3}"#))).unwrap();
        assert_eq!(user.age, 3);
    }

    #[test]
    fn json_strings_become_numbers_but_not_the_other_way() {
        let body = json!({"a": "42", "s": 42, "one": 5, "list": ["1", 2], "user": {"name": "bo", "age": 9}});
        let field = |name: &str| body.get(name).map(RawValue::Json);
        assert_eq!(coerce::<i64>("a", field("a")).unwrap(), 42);
        // A JSON number is not a string (text wires only are lenient that way).
        assert_eq!(coerce::<String>("s", field("s")).unwrap_err().code(), 1001060003);
        assert_eq!(coerce::<Vec<u32>>("one", field("one")).unwrap(), [5]);
        assert_eq!(coerce::<Vec<u32>>("list", field("list")).unwrap(), [1, 2]);
        assert_eq!(coerce::<User>("user", field("user")).unwrap().name, "bo");
        assert_eq!(
            coerce::<BTreeMap<String, Value>>("user", field("user"))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn failures_name_the_parameter() {
        let err = coerce::<i64>("a", Some(RawValue::Text("x"))).unwrap_err();
        assert_eq!(err.code(), 1001060003);
        assert_eq!(err.message(), "Bad parameter type: a. Expected an integer (i64).");
        let err = coerce::<i8>("a", Some(RawValue::Json(&json!(300)))).unwrap_err();
        assert_eq!(err.code(), 1001060003);
        let err = coerce::<i64>("a", Some(RawValue::Json(&json!([1, 2])))).unwrap_err();
        assert_eq!(err.code(), 1001060003);
        let err = coerce::<i64>("a", Some(RawValue::Texts(vec!["1", "2"]))).unwrap_err();
        assert_eq!(err.code(), 1001060003);
        let err = coerce::<String>("a", Some(RawValue::Json(&Value::Null))).unwrap_err();
        assert_eq!(err.code(), 1001060001);
        assert_eq!(
            coerce::<Option<String>>("a", Some(RawValue::Json(&Value::Null))).unwrap(),
            None
        );
    }

    #[test]
    fn type_names_are_short() {
        assert_eq!(
            short_type_name("alloc::vec::Vec<core::option::Option<i64>>"),
            "Vec<Option<i64>>"
        );
        assert_eq!(expected_words::<Option<String>>().to_string(), "a string");
    }
}
