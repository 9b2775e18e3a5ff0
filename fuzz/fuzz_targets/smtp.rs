#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| prebounce_fuzz::smtp(data));
