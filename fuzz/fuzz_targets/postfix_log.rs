#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| prebounce_fuzz::postfix_log(data));
