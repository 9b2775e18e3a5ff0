//! The bindings themselves, run in Node by wasm-bindgen-test-runner:
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//!  cargo test -p prebounce-wasm --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, TypeError};
use prebounce_core::Options;
use prebounce_wasm::{
    check, check_many, default_option_bits, detect_columns, formula_starts, load_disposable_bytes,
    sniff_delimiter, suggest, NO_ERROR,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const DEFAULT: u8 = Options::DEFAULT_BITS;

#[wasm_bindgen_test]
fn check_returns_design_json() {
    let json = check(&JsValue::from_str("John.Doe@Bücher.DE"), DEFAULT).unwrap();
    assert!(
        json.starts_with(r#"{"input":"John.Doe@Bücher.DE","address":"John.Doe@xn--bcher-kva.de""#),
        "{json}"
    );
    assert!(json.contains(r#""depth":"syntax""#));
}

#[wasm_bindgen_test]
fn non_strings_are_type_errors() {
    let e = check(&JsValue::from_f64(1.0), DEFAULT).unwrap_err();
    assert!(e.is_instance_of::<TypeError>());
    assert!(suggest(&JsValue::NULL)
        .unwrap_err()
        .is_instance_of::<TypeError>());
    let e = check_many(&JsValue::from_f64(3.0), DEFAULT).err().unwrap();
    assert!(e.is_instance_of::<TypeError>());
}

#[wasm_bindgen_test]
fn option_bits_follow_the_names() {
    assert_eq!(default_option_bits(), DEFAULT);
    let o = Options::from_bits(0b10_0000 | DEFAULT);
    assert!(o.role_is_risky && o.allow_smtputf8 && !o.allow_quoted_local);
    let json = check(&JsValue::from_str("info@example.com"), 0b10_0000 | DEFAULT).unwrap();
    assert!(json.contains(r#""reason":"role_account""#));
}

#[wasm_bindgen_test]
fn check_many_takes_arrays_with_non_strings() {
    let list = Array::of3(
        &"a@example.com".into(),
        &JsValue::from_f64(5.0),
        &"bad".into(),
    );
    let set = check_many(&list, DEFAULT).unwrap();
    assert_eq!(set.length(), 3);
    assert_eq!(set.error_array().to_vec(), vec![NO_ERROR, 1, 2]);
    assert_eq!(set.status_array().to_vec(), vec![0, 1, 1]);
    assert_eq!(set.status_count_array().to_vec(), vec![1, 2, 0, 0]);
    assert!(set.verdict(1).unwrap().contains(r#""input":"5""#));
    assert_eq!(set.input(2).as_deref(), Some("bad"));
    assert!(set.verdict(3).is_none());
}

#[wasm_bindgen_test]
fn check_many_takes_a_newline_separated_string() {
    let set = check_many(
        &JsValue::from_str("a@example.com\r\nj@gmial.com\n"),
        DEFAULT,
    )
    .unwrap();
    assert_eq!(set.length(), 2);
    assert!(set
        .verdict(1)
        .unwrap()
        .contains(r#""suggestion":"j@gmail.com""#));
}

#[wasm_bindgen_test]
fn garbage_disposable_data_is_refused_with_a_reason() {
    let e = load_disposable_bytes(b"not a filter").unwrap_err();
    let message = e.dyn_into::<js_sys::Error>().unwrap().message();
    assert!(String::from(message).contains("bad magic"));
}

#[wasm_bindgen_test]
fn list_rules_cross_the_boundary() {
    assert_eq!(sniff_delimiter("email;name\tcity\n"), b';');
    let records = "name\u{1f}E-mail\u{1f}\u{1e}Ann\u{1f}ann@x.com\u{1f}\u{1e}";
    assert_eq!(detect_columns(records), [1, 1, 1, 1, 2, 2]);
    assert_eq!(detect_columns(""), [0, 0, 0, 0, 0, 0]);
    assert_eq!(formula_starts(), "=+-@\t\r");
}
