//! WebAssembly bindings of `prebounce-core`, wrapped by the npm package
//! `prebounce` (see `js/` for the JavaScript API people use).
//!
//! Thin by design: every decision is the core's. What lives here is the
//! boundary — turning JavaScript values into Rust ones with clear
//! `TypeError`s, one shared [`Data`] for the page (curated disposable list
//! built in, the full list loadable on demand), and [`ResultSet`], which
//! checks a whole list in one crossing and hands back typed arrays instead of
//! a million objects.

use std::cell::RefCell;

use js_sys::{Array, Uint32Array, Uint8Array};
use prebounce_core::{
    list, unreadable, Checker, Data, DomainMemo, Options, Reason, SyntaxErrorCode, Verdict,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    /// The page's data: wasm runs on one thread, so a thread-local is the
    /// whole module's state.
    static DATA: RefCell<Data> = RefCell::new(Data::without_full_disposable());
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// The verdict as JSON text: JavaScript's `JSON.parse` builds the object,
/// which costs less code than building it field by field from Rust.
fn to_json(v: &Verdict) -> String {
    // Serializing a Verdict cannot fail: it holds only strings, numbers, booleans.
    serde_json::to_string(v).unwrap_or_default()
}

fn with_checker<R>(options: Options, f: impl FnOnce(&Checker<'_>) -> R) -> R {
    DATA.with(|d| f(&Checker::with_data(options, &d.borrow())))
}

/// The option names in bit order ([`Options::NAMES`]), joined by commas
/// (one string costs the module less code than an array).
#[wasm_bindgen(js_name = optionNames)]
pub fn option_names() -> String {
    let mut names = String::new();
    for name in Options::NAMES {
        if !names.is_empty() {
            names.push(',');
        }
        names.push_str(name);
    }
    names
}

/// The default options as bits ([`Options::to_bits`]: bit 0
/// `allow_quoted_local` … bit 5 `role_is_risky`). Options cross as bits, not
/// JSON: that keeps a serde deserializer out of the module (its size budget
/// is tight); the JavaScript wrapper validates the object and packs it.
#[wasm_bindgen(js_name = defaultOptionBits)]
pub fn default_option_bits() -> u8 {
    Options::DEFAULT_BITS
}

/// The verdict for one address at depth `syntax`, as JSON text; `options`
/// as [`Options::to_bits`] packs them.
#[wasm_bindgen]
pub fn check(address: &JsValue, options: u8) -> Result<String, JsValue> {
    let Some(address) = address.as_string() else {
        return Err(type_error("check(address): address must be a string"));
    };
    Ok(to_json(&with_checker(Options::from_bits(options), |c| {
        c.verdict(&address)
    })))
}

/// The whole corrected address for a likely typo, or `undefined`.
#[wasm_bindgen]
pub fn suggest(address: &JsValue) -> Result<Option<String>, JsValue> {
    let Some(address) = address.as_string() else {
        return Err(type_error("suggest(address): address must be a string"));
    };
    Ok(with_checker(Options::default(), |c| {
        c.verdict(&address).suggestion
    }))
}

/// Installs the full disposable list from the bytes of its data file.
#[wasm_bindgen(js_name = loadDisposableBytes)]
pub fn load_disposable_bytes(bytes: &[u8]) -> Result<(), JsValue> {
    DATA.with(|d| d.borrow_mut().load_disposable_filter(bytes))
        .map_err(|e| JsValue::from(JsError::new(&format!("prebounce: disposable data: {e}"))))
}

/// How many domains the full disposable list holds (0 until loaded) and how
/// many the built-in curated list holds: `[full, curated]`.
#[wasm_bindgen(js_name = disposableCounts)]
pub fn disposable_counts() -> Vec<u32> {
    DATA.with(|d| {
        let (full, curated) = d.borrow().disposable.counts();
        vec![full as u32, curated as u32]
    })
}

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The delimiter of a CSV list from its start (the code of `,`, `;` or a
/// tab): [`list::sniff_delimiter`].
#[wasm_bindgen(js_name = sniffDelimiter)]
pub fn sniff_delimiter(start: &str) -> u8 {
    list::sniff_delimiter(start.as_bytes())
}

/// The header and address column of a CSV list from its first records:
/// [`list::detect`], as `[has_header, column, by_name, found, width, rows]`
/// (booleans as 0 or 1). The records cross as one string: each cell ends
/// with U+001F and each record with U+001E (the JavaScript wrapper joins
/// them, and turns those two control characters inside a cell into U+FFFD,
/// which reads the same to the rule: neither white space, a digit, `@` nor
/// `.`).
/// One string costs the module far less code than an array of arrays.
#[wasm_bindgen(js_name = detectColumns)]
pub fn detect_columns(records: &str) -> Vec<u32> {
    // A plain byte loop: both separators are ASCII, so every cut is on a
    // character boundary.
    let mut rows: Vec<Vec<&str>> = Vec::new();
    let mut row = Vec::new();
    let mut start = 0;
    for (i, b) in records.bytes().enumerate() {
        match b {
            0x1f => row.push(&records[start..i]),
            0x1e => rows.push(std::mem::take(&mut row)),
            _ => continue,
        }
        start = i + 1;
    }
    let l = list::detect(&rows);
    // Counts of cells and records, bounded by wasm32's memory: they fit.
    [
        l.has_header as usize,
        l.column,
        l.by_name as usize,
        l.found as usize,
        l.width,
        l.rows,
    ]
    .map(|n| n as u32)
    .to_vec()
}

/// The verdict, as JSON text, for a line that is not UTF-8, given as decoded
/// with U+FFFD in place of the bad bytes: [`list::invalid_encoding`].
#[wasm_bindgen(js_name = invalidEncoding)]
pub fn invalid_encoding(text: &str) -> String {
    to_json(&list::invalid_encoding(text.to_owned()))
}

/// The first characters that make a spreadsheet run a cell as a formula
/// ([`list::FORMULA_STARTS`]), for the JavaScript wrapper's `guardFormula`:
/// it puts a `'` before a cell that starts with one, as
/// [`list::guard_formula`] does. The list crosses once; an export's millions
/// of cells then never cross into WebAssembly.
#[wasm_bindgen(js_name = formulaStarts)]
pub fn formula_starts() -> String {
    list::FORMULA_STARTS.to_owned()
}

/// The checked list: compact per-row codes in typed arrays, counts, and a
/// verdict object only for the rows asked for.
#[wasm_bindgen]
pub struct ResultSet {
    options: Options,
    /// The rows' text: the list as given (a newline-separated string), or
    /// the array's strings back to back; row `i` is `text[spans[i].0..spans[i].1]`.
    text: String,
    spans: Vec<(u32, u32)>,
    status: Vec<u8>,
    reason: Vec<u8>,
    flags: Vec<u8>,
    /// The syntax error code, or 255 for none.
    error: Vec<u8>,
    status_counts: [u32; 4],
    reason_counts: [u32; Reason::ALL.len()],
}

/// No syntax error, in [`ResultSet`]'s error column.
pub const NO_ERROR: u8 = 255;

impl ResultSet {
    fn with_capacity(options: Options, rows: usize, bytes: usize) -> ResultSet {
        ResultSet {
            options,
            text: String::with_capacity(bytes),
            spans: Vec::with_capacity(rows),
            status: Vec::with_capacity(rows),
            reason: Vec::with_capacity(rows),
            flags: Vec::with_capacity(rows),
            error: Vec::with_capacity(rows),
            status_counts: [0; 4],
            reason_counts: [0; Reason::ALL.len()],
        }
    }

    fn record(
        &mut self,
        span: (u32, u32),
        reason: Reason,
        flags: u8,
        error: Option<SyntaxErrorCode>,
    ) {
        self.spans.push(span);
        let status = reason.status();
        self.status.push(status.code());
        self.reason.push(reason.code());
        self.flags.push(flags);
        self.error
            .push(error.map_or(NO_ERROR, SyntaxErrorCode::code));
        self.status_counts[status.code() as usize] += 1;
        self.reason_counts[reason.code() as usize] += 1;
    }

    /// Appends an item's text and records it.
    fn push(&mut self, text: &str, reason: Reason, flags: u8, error: Option<SyntaxErrorCode>) {
        // Lists are bounded far below 4 GiB of text by wasm32's memory.
        let start = self.text.len() as u32;
        self.text.push_str(text);
        self.record((start, self.text.len() as u32), reason, flags, error);
    }

    fn row_text(&self, i: usize) -> &str {
        let (start, end) = self.spans[i];
        &self.text[start as usize..end as usize]
    }

    /// Checks every line of a newline-separated list (a final empty line is
    /// not a row; `\r\n` line ends are accepted). Keeps the string itself as
    /// the rows' text: no copy.
    pub fn from_lines(list: String, options: Options) -> ResultSet {
        let body_len = list.strip_suffix('\n').map_or(list.len(), str::len);
        // A capacity guess, not a count: counting would be one more pass over the list.
        let rows = body_len / 20 + 1;
        let mut set = ResultSet::with_capacity(options, rows, 0);
        if !list.is_empty() {
            with_checker(options, |c| {
                let mut memo = DomainMemo::new();
                let body = &list[..body_len];
                let bytes = body.as_bytes();
                let mut start = 0usize;
                // A plain byte loop: lines are short, so it beats memchr's set-up here.
                for end in (0..bytes.len())
                    .filter(|&i| bytes[i] == b'\n')
                    .chain(std::iter::once(bytes.len()))
                {
                    let line = &body[start..end];
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    let a = c.assess_memo(line, &mut memo);
                    set.record(
                        (start as u32, (start + line.len()) as u32),
                        a.reason,
                        a.flags.bits(),
                        a.error,
                    );
                    start = end + 1;
                }
            });
        }
        set.text = list;
        set
    }

    /// The full verdict of row `i`, or `None` past the end.
    pub fn verdict_of(&self, i: usize) -> Option<Verdict> {
        if i >= self.spans.len() {
            return None;
        }
        let text = self.row_text(i);
        if self.error[i] == SyntaxErrorCode::NotAString.code() {
            return Some(unreadable(text.to_owned(), SyntaxErrorCode::NotAString));
        }
        Some(with_checker(self.options, |c| c.verdict(text)))
    }

    /// The per-row status codes (see `prebounce_core::Status::code`).
    pub fn status_codes(&self) -> &[u8] {
        &self.status
    }
}

#[wasm_bindgen]
impl ResultSet {
    /// The number of rows.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        self.spans.len() as u32
    }

    /// Per-row status codes (0 valid, 1 invalid, 2 risky, 3 unknown), a fresh
    /// transferable `Uint8Array`.
    #[wasm_bindgen(js_name = statusCodes)]
    pub fn status_array(&self) -> Uint8Array {
        Uint8Array::from(&self.status[..])
    }

    /// Per-row reason codes (docs/DESIGN.md's order, `invalid_syntax` = 0 … `ok` = 17).
    #[wasm_bindgen(js_name = reasonCodes)]
    pub fn reason_array(&self) -> Uint8Array {
        Uint8Array::from(&self.reason[..])
    }

    /// Per-row flag bits: 1 disposable, 2 role, 4 free, 8 smtputf8.
    #[wasm_bindgen(js_name = flagBits)]
    pub fn flag_array(&self) -> Uint8Array {
        Uint8Array::from(&self.flags[..])
    }

    /// Per-row syntax error codes, 255 where there is none.
    #[wasm_bindgen(js_name = errorCodes)]
    pub fn error_array(&self) -> Uint8Array {
        Uint8Array::from(&self.error[..])
    }

    /// Rows per status code (4 counts).
    #[wasm_bindgen(js_name = statusCounts)]
    pub fn status_count_array(&self) -> Uint32Array {
        Uint32Array::from(&self.status_counts[..])
    }

    /// Rows per reason code (18 counts).
    #[wasm_bindgen(js_name = reasonCounts)]
    pub fn reason_count_array(&self) -> Uint32Array {
        Uint32Array::from(&self.reason_counts[..])
    }

    /// Row `i` as given (a non-string item as `String(item)`).
    pub fn input(&self, i: u32) -> Option<String> {
        ((i as usize) < self.spans.len()).then(|| self.row_text(i as usize).to_owned())
    }

    /// The full verdict of row `i` as JSON text (built now), or `undefined`.
    pub fn verdict(&self, i: u32) -> Option<String> {
        self.verdict_of(i as usize).map(|v| to_json(&v))
    }
}

/// Checks a newline-separated list handed over as UTF-8 bytes (what
/// `TextEncoder` makes of a string): a bulk copy into WebAssembly memory,
/// where passing the string itself costs a per-character loop in the glue.
#[wasm_bindgen(js_name = checkManyBytes)]
pub fn check_many_bytes(list: Vec<u8>, options: u8) -> Result<ResultSet, JsValue> {
    let list =
        String::from_utf8(list).map_err(|_| type_error("checkManyBytes: the list is not UTF-8"))?;
    Ok(ResultSet::from_lines(list, Options::from_bits(options)))
}

/// Checks a list in one call: an array (non-string items get their own
/// `invalid_syntax` verdict, code `not_a_string`) or one newline-separated
/// string.
#[wasm_bindgen(js_name = checkMany)]
pub fn check_many(list: &JsValue, options: u8) -> Result<ResultSet, JsValue> {
    let options = Options::from_bits(options);
    if let Some(s) = list.as_string() {
        return Ok(ResultSet::from_lines(s, options));
    }
    if !Array::is_array(list) {
        return Err(type_error(
            "checkMany(addresses): addresses must be an array or a newline-separated string",
        ));
    }
    let array = Array::from(list);
    let n = array.length() as usize;
    let mut set = ResultSet::with_capacity(options, n, n * 24);
    with_checker(options, |c| {
        let mut memo = DomainMemo::new();
        for item in array.iter() {
            match item.as_string() {
                Some(s) => {
                    let a = c.assess_memo(&s, &mut memo);
                    set.push(&s, a.reason, a.flags.bits(), a.error);
                }
                None => {
                    // JSON where it has one ({"x":1}, 5, null), else String(item)
                    // (undefined, Symbol(s), 10 for 10n).
                    let shown = if item.is_undefined() {
                        "undefined".to_owned()
                    } else {
                        js_sys::JSON::stringify(&item)
                            .ok()
                            .and_then(|j| j.as_string())
                            .unwrap_or_else(|| {
                                item.unchecked_ref::<js_sys::Object>().to_string().into()
                            })
                    };
                    set.push(
                        &shown,
                        Reason::InvalidSyntax,
                        0,
                        Some(SyntaxErrorCode::NotAString),
                    );
                }
            }
        }
    });
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prebounce_core::Status;

    #[test]
    fn lines_become_rows_with_codes_and_counts() {
        let set = ResultSet::from_lines(
            "a@example.com\r\nbad\nx@mailinator.com\n\nj@gmial.com\n".into(),
            Options::default(),
        );
        assert_eq!(set.spans.len(), 5);
        assert_eq!(set.row_text(0), "a@example.com");
        assert_eq!(set.row_text(1), "bad");
        assert_eq!(set.row_text(3), "");
        let reasons: Vec<Reason> = set
            .reason
            .iter()
            .map(|&r| Reason::from_code(r).unwrap())
            .collect();
        assert_eq!(
            reasons,
            [
                Reason::Ok,
                Reason::InvalidSyntax,
                Reason::Disposable,
                Reason::InvalidSyntax,
                Reason::PossibleTypo
            ]
        );
        assert_eq!(set.error[1], SyntaxErrorCode::MissingAt.code());
        assert_eq!(set.error[0], NO_ERROR);
        assert_eq!(set.status_counts, [1, 2, 2, 0]);
        assert_eq!(set.status_codes()[2], Status::Risky.code());
        let v = set.verdict_of(4).unwrap();
        assert_eq!(v.suggestion.as_deref(), Some("j@gmail.com"));
        assert!(set.verdict_of(5).is_none());
    }

    #[test]
    fn empty_list_has_no_rows() {
        assert_eq!(
            ResultSet::from_lines(String::new(), Options::default())
                .spans
                .len(),
            0
        );
        assert_eq!(
            ResultSet::from_lines("\n".into(), Options::default())
                .spans
                .len(),
            1
        );
    }
}
