//! Fuzz target `rest_json`: see `checks::rest_json` for what it calls and asserts.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::rest_json(data));
