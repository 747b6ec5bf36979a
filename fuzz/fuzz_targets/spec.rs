//! Fuzz target `spec`: see `checks::spec` for what it calls and asserts.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::spec(data));
