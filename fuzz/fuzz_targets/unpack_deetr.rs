//! `DeetrPacker::unpack` on arbitrary bytes: never panics, and what it returns survives a
//! second trip through the packer.

#![no_main]

mod round_trip;

use apiview::packer::DeetrPacker;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    round_trip::check(&DeetrPacker, data);
});
