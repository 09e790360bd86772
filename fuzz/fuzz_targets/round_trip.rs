//! Shared by the `unpack_*` targets: whatever a packer unpacks from arbitrary bytes
//! must survive packing and unpacking again, unchanged.

use apiview::packer::{PackContext, Packer, UnpackContext};
use apiview::BizError;
use serde_json::Value;

/// Unpacks `data` with `packer`, packs the outcome again with the same packer, and
/// checks that unpacking that gives the same outcome.
pub fn check(packer: &dyn Packer, data: &[u8]) {
    let cx = UnpackContext::new();
    let first = packer.unpack(data, &cx);
    let packed = repack_with(packer, &first);
    let bytes = serde_json::to_vec(&packed).expect("a packed answer serializes");
    assert_same(&first, &packer.unpack(&bytes, &cx));
}

/// Panics unless both outcomes are the same result, or errors with the same code and
/// message.
pub fn assert_same(first: &Result<Value, BizError>, second: &Result<Value, BizError>) {
    match (first, second) {
        (Ok(value), Ok(again)) => assert_eq!(value, again, "the result changed"),
        (Err(error), Err(again)) => {
            assert_eq!(error.code(), again.code(), "the error code changed");
            assert_eq!(error.message(), again.message(), "the error message changed");
        }
        (first, second) => panic!("{first:?} became {second:?}"),
    }
}

fn repack_with(packer: &dyn Packer, outcome: &Result<Value, BizError>) -> Value {
    let cx = PackContext::detached("00000000000000000000000000000000");
    match outcome {
        Ok(value) => packer.pack_result(value.clone(), &cx),
        Err(error) => packer.pack_error(error, &cx),
    }
    .expect("a built-in packer packs without a request")
}
