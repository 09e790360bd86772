//! Property tests: every packer gives back, on unpacking, the result or the error it
//! packed, for random JSON values and random business errors; and coercion gives
//! back any integer, float, string or list rendered as request text.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use apiview::__private::coerce;
use apiview::cipher::generate_private_key;
use apiview::packer::{
    DeetrPacker, DmrsPacker, PackContext, Packer, SafePacker, SimplePacker, UnpackContext,
};
use apiview::{BizError, RawValue};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

const REQUEST_ID: &str = "0123456789abcdef0123456789abcdef";

/// `cases` cases; a failure is reported with its shrunk input, not saved to a file
/// (proptest finds no `lib.rs` beside an integration test to save it next to).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any JSON value: nested arrays and objects of unicode strings, booleans, null, and
/// numbers up to the i64 and u64 extremes and every finite float.
fn json_value() -> impl Strategy<Value = Value> {
    let number = prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(Value::from(i64::MIN)),
        Just(Value::from(i64::MAX)),
        Just(Value::from(u64::MAX)),
        any::<f64>()
            .prop_filter_map("JSON has no NaN or infinity", Number::from_f64)
            .prop_map(Value::Number),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number,
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A business error with any non-zero code (0 means success in the deetr and dmrs
/// envelopes) and any message, braces included.
fn biz_error() -> impl Strategy<Value = BizError> {
    let code =
        prop_oneof![any::<i64>(), 1_000_000_000..2_000_000_000i64].prop_filter("0 is success", |c| *c != 0);
    (code, any::<String>()).prop_map(|(code, message)| BizError::new(code, message))
}

fn round_trip(packer: &dyn Packer, packed: &Value) -> Result<Value, BizError> {
    let bytes = serde_json::to_vec(packed).expect("a packed answer serializes");
    packer.unpack(&bytes, &UnpackContext::new())
}

fn result_round_trips(packer: &dyn Packer, value: &Value) -> Result<(), TestCaseError> {
    let packed = packer.pack_result(value.clone(), &PackContext::detached(REQUEST_ID))?;
    prop_assert_eq!(&round_trip(packer, &packed)?, value);
    Ok(())
}

fn error_round_trips(packer: &dyn Packer, error: &BizError) -> Result<(), TestCaseError> {
    let packed = packer.pack_error(error, &PackContext::detached(REQUEST_ID))?;
    let unpacked = round_trip(packer, &packed).expect_err("an error unpacks as an error");
    prop_assert_eq!(unpacked.code(), error.code());
    prop_assert_eq!(unpacked.message(), error.message());
    Ok(())
}

/// One client key for every safe case: RSA key generation is slow in debug builds.
fn safe_packers() -> &'static (SafePacker, SafePacker) {
    static PACKERS: OnceLock<(SafePacker, SafePacker)> = OnceLock::new();
    PACKERS.get_or_init(|| {
        let private = generate_private_key(1024).expect("an RSA key generates");
        let store = HashMap::from([("demo".to_owned(), private.to_public_key())]);
        (
            SafePacker::new(Arc::new(store), "clientId"),
            SafePacker::for_client(private),
        )
    })
}

/// Encrypts a simple envelope for the client, as `SafePacker::pack_result` does once it
/// has found the client in the request (outside a running App, a `PackContext` carries no
/// request), then unpacks it as the client.
fn safe_round_trip(envelope: &Value) -> Result<Value, BizError> {
    let (server, client) = safe_packers();
    let packed = server
        .pack_for("demo", envelope)
        .expect("a known client's answer packs");
    round_trip(client, &packed)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn simple_results_round_trip(value in json_value()) {
        result_round_trips(&SimplePacker, &value)?;
    }

    #[test]
    fn deetr_results_round_trip(value in json_value()) {
        result_round_trips(&DeetrPacker, &value)?;
    }

    #[test]
    fn dmrs_results_round_trip(value in json_value()) {
        result_round_trips(&DmrsPacker, &value)?;
    }

    #[test]
    fn simple_errors_round_trip(error in biz_error()) {
        error_round_trips(&SimplePacker, &error)?;
    }

    #[test]
    fn deetr_errors_round_trip(error in biz_error()) {
        error_round_trips(&DeetrPacker, &error)?;
    }

    #[test]
    fn dmrs_errors_round_trip(error in biz_error()) {
        error_round_trips(&DmrsPacker, &error)?;
    }

    #[test]
    fn text_coerces_to_the_integer_it_renders(n in any::<i64>(), pad in "[ \t]{0,2}") {
        let text = format!("{pad}{n}{pad}");
        prop_assert_eq!(coerce::<i64>("n", Some(RawValue::Text(&text)))?, n);
    }

    #[test]
    fn text_coerces_to_the_float_it_renders(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        let text = x.to_string();
        prop_assert_eq!(coerce::<f64>("x", Some(RawValue::Text(&text)))?, x);
    }

    #[test]
    fn any_string_coerces_to_itself(s in any::<String>()) {
        prop_assert_eq!(&coerce::<String>("s", Some(RawValue::Text(&s)))?, &s);
        let json = Value::String(s.clone());
        prop_assert_eq!(&coerce::<String>("s", Some(RawValue::Json(&json)))?, &s);
    }

    #[test]
    fn a_borrowed_json_string_coerces_as_the_parsed_one(s in json_string_text()) {
        let parsed = Value::String(s.clone());
        same_coercion(&s, &parsed)?;
    }

    #[test]
    fn repeated_keys_coerce_to_the_list(ids in prop::collection::vec(any::<i64>(), 2..8)) {
        let texts: Vec<String> = ids.iter().map(i64::to_string).collect();
        let raw = RawValue::Texts(texts.iter().map(String::as_str).collect());
        prop_assert_eq!(&coerce::<Vec<i64>>("ids", Some(raw))?, &ids);
        let json_text = serde_json::to_string(&ids).expect("a list serializes");
        prop_assert_eq!(&coerce::<Vec<i64>>("ids", Some(RawValue::Text(&json_text)))?, &ids);
    }
}

/// Strings that coerce into many types: numbers, booleans, lists, enum variants.
fn json_string_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "-?[0-9]{1,20}(\\.[0-9]{1,5})?( )?",
        "( )?(true|false|TRUE|1|0|yes)",
        "\\[[0-9, ]{0,10}\\]",
        "(Red|Green|red|)",
        ".",
    ]
}

#[derive(Debug, PartialEq, serde::Deserialize)]
enum Color {
    Red,
    Green,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Named {
    name: String,
}

/// `text` borrowed from a body (`JsonStr`) and the same string parsed (`Json`) give
/// the same value or the same error, in every target type.
fn same_coercion(text: &str, parsed: &Value) -> Result<(), TestCaseError> {
    fn both<T: serde::de::DeserializeOwned + std::fmt::Debug + PartialEq>(
        text: &str,
        parsed: &Value,
    ) -> Result<(), TestCaseError> {
        let outcome = |raw| coerce::<T>("p", Some(raw)).map_err(|err| (err.code(), err.to_string()));
        prop_assert_eq!(
            outcome(RawValue::JsonStr(text)),
            outcome(RawValue::Json(parsed)),
            "{:?} as {}",
            text,
            std::any::type_name::<T>()
        );
        Ok(())
    }
    both::<String>(text, parsed)?;
    both::<Option<String>>(text, parsed)?;
    both::<i64>(text, parsed)?;
    both::<u8>(text, parsed)?;
    both::<f64>(text, parsed)?;
    both::<bool>(text, parsed)?;
    both::<char>(text, parsed)?;
    both::<Option<i64>>(text, parsed)?;
    both::<Vec<String>>(text, parsed)?;
    both::<Vec<i64>>(text, parsed)?;
    both::<(i64,)>(text, parsed)?;
    both::<Color>(text, parsed)?;
    both::<Named>(text, parsed)?;
    both::<HashMap<String, i64>>(text, parsed)?;
    both::<()>(text, parsed)?;
    both::<Value>(text, parsed)
}

proptest! {
    // Each unpack decrypts the AES key with RSA: a few dozen cases keep this quick.
    #![proptest_config(config(24))]

    #[test]
    fn safe_results_round_trip(value in json_value()) {
        let envelope = SimplePacker.pack_result(value.clone(), &PackContext::detached(REQUEST_ID))?;
        prop_assert_eq!(safe_round_trip(&envelope)?, value);
    }

    #[test]
    fn safe_errors_round_trip(error in biz_error()) {
        let envelope = SimplePacker.pack_error(&error, &PackContext::detached(REQUEST_ID))?;
        let unpacked = safe_round_trip(&envelope).expect_err("an error unpacks as an error");
        prop_assert_eq!(unpacked.code(), error.code());
        prop_assert_eq!(unpacked.message(), error.message());
    }
}
