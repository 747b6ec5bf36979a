//! Fuzz target `plan_file`: see `checks::plan_file` for what it calls and asserts.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::plan_file(data));
