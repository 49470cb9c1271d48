//! .NET Binary XML with session string tables: every read route, re-encoding.
//! Input format and checks: `indigo::__fuzz::binary_xml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indigo::__fuzz::binary_xml(data));
