//! The listener's preamble check, then the session's records.
//! Input format and checks: `indigo::__fuzz::preamble`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indigo::__fuzz::preamble(data));
