//! Every path under `apiview::__private` that generated code names (the macro crate
//! and this runtime change separately: a path that goes missing must fail here, not
//! in a user's build).

#[allow(unused_imports)]
use apiview::__private::cache::{fill_key, key_part, lookup, store, store_batch, CacheSpec, KeyPartError};
#[allow(unused_imports)]
use apiview::__private::swagger::{NoSchema, Probe, ResultOk, Schema};
#[allow(unused_imports)]
use apiview::__private::validators::{
    choices, out_of_range, range_text, require, requires, requires_any, string_length,
};
#[allow(unused_imports)]
use apiview::__private::{
    blocking_panicked, check_aclkey, coerce, coerce_param, extract_failed, page_outcome, page_request, poem,
    raw_outcome, raw_result_outcome, rsa_decrypt_field, run_blocking, serde_json, serve_standalone,
    AclKeyList, AclKeys, ApiRequest, BizError, Call, CheckMeta, DocParameter, DocResponse, DocSpec,
    EndpointMeta, FromRequestData, Handler, HttpMethod, IntoPage, Outcome, Page, PageRequest, PageStyle,
    PaginateMeta, ParamMeta, Raw, RawResponse, RawValue, ResultSchema, Source, TypeShape,
};

#[test]
#[allow(clippy::needless_borrow)] // The autoref probe, as the macro writes it.
fn the_generated_code_door_has_every_path() {
    // The variants and associated items generated code names.
    let _ = [HttpMethod::Get, HttpMethod::Post];
    let _ = Source::Payload;
    let _ = RawValue::Text("x");
    let outcome: Outcome = Outcome::from_result::<u8, BizError>(Ok(1));
    assert!(matches!(outcome, Outcome::Json(_)));
    assert!(matches!(Outcome::from_serialize(&1), Outcome::Json(_)));
    let _ = AclKeys::Given(["k"]);
    let _ = AclKeyList::into_keys(String::from("k"));
    let _ = BizError::missing_parameter("x");
    let _: fn(&str) -> Result<String, KeyPartError> = |text| key_part(&text);
    let _: ResultSchema = (&&&Probe::<Result<u8, BizError>>::NEW).result_schema();
    let _: ResultSchema = (&&&Probe::<u8>::NEW).result_schema();
    let _: ResultSchema = (&&&Probe::<Call>::NEW).result_schema();
    let _ = [PageStyle::PageNumber, PageStyle::LimitOffset, PageStyle::Cursor];
    let _ = PaginateMeta {
        style: None,
        page_size: Some(1),
        max_page_size: None,
    };
    let page: Result<Page<u8>, BizError> = IntoPage::into_page(Page::new(vec![1], 1));
    assert!(page.is_ok());
    let _ = page_outcome::<u8>;
}
