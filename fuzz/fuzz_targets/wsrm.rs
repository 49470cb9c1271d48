//! The WS-ReliableMessaging readers; the header fast path against the general reader.
//! Input format and checks: `indigo::__fuzz::wsrm`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indigo::__fuzz::wsrm(data));
