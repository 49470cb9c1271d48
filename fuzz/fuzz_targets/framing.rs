//! net.tcp framing records (MC-NMF), decoded and re-encoded.
//! Input format and checks: `indigo::__fuzz::framing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indigo::__fuzz::framing(data));
