//! The data-contract deserializer into several types; re-serialization is stable.
//! Input format and checks: `indigo::__fuzz::data_contract`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indigo::__fuzz::data_contract(data));
