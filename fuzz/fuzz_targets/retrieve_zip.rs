//! Fuzz target `retrieve_zip`: see `checks::retrieve_zip` for what it calls and asserts.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::retrieve_zip(data));
