//! Fuzz target `soap_reply`: see `checks::soap_reply` for what it calls and asserts.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::soap_reply(data));
