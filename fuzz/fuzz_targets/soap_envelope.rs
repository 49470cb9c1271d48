//! The text SOAP envelope reader (1.1 and 1.2), then write and read again.
//! Input format and checks: `indigo::__fuzz::soap_envelope`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indigo::__fuzz::soap_envelope(data));
