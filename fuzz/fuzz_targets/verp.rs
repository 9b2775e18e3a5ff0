#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| prebounce_fuzz::verp(data));
