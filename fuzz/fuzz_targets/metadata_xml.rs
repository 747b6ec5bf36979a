//! Fuzz target `metadata_xml`: see `checks::metadata_xml` for what it calls and asserts.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::metadata_xml(data));
