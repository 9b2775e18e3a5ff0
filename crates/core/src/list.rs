//! Reading an address list: the rules the CLI (`prebounce check --file`) and
//! the list page (`www/list-worker.js`, through the npm package) share, so a
//! file is read the same way by both. Each side keeps its own CSV parser (the
//! `csv` crate, Papa Parse) and hands the decisions to this module:
//!
//! - the delimiter, sniffed from the first line ([`sniff_delimiter`]);
//! - whether the first record is a header, and which column holds the
//!   addresses ([`detect`]);
//! - the verdict for a line that is not UTF-8 ([`invalid_encoding`]);
//! - the spreadsheet-formula guard of exported cells ([`guard_formula`]),
//!   and its undoing when such a file is read back ([`unguard_formula`]).

use std::borrow::Cow;

use crate::check::unreadable;
use crate::{SyntaxErrorCode, Verdict};

/// The delimiters a list may use, in the order a tie goes: `,` then `;` then tab.
pub const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// The delimiter is sniffed from at most this many bytes of the start.
pub const SNIFF_BYTES: usize = 1 << 16;

/// The header and the address column are decided from this many records.
pub const SNIFF_ROWS: usize = 50;

/// Header names (trimmed, case-insensitive) that mark the address column.
pub const EMAIL_HEADERS: [&str; 8] = [
    "email",
    "e-mail",
    "email address",
    "e-mail address",
    "mail",
    "courriel",
    "correo",
    "address",
];

/// The delimiter of a CSV list: the one of [`DELIMITERS`] used most on its
/// first line (up to the first line break outside quotes, within
/// [`SNIFF_BYTES`]), not counting those inside double quotes. A tie goes to
/// the earlier in [`DELIMITERS`]; a line without any gives `,`.
pub fn sniff_delimiter(start: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in start.iter().take(SNIFF_BYTES) {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    DELIMITERS[most(&counts)]
}

/// Whether a header cell names the address column: one of [`EMAIL_HEADERS`],
/// ignoring case and surrounding white space. (The names are ASCII without a
/// `k`, so ASCII lowercasing matches as Unicode's would — and keeps Unicode's
/// case tables out of the browser module.)
pub fn is_email_header(cell: &str) -> bool {
    is_email_name(cell.trim())
}

/// [`is_email_header`] for a trimmed cell.
fn is_email_name(trimmed: &str) -> bool {
    EMAIL_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(trimmed))
}

/// How the first records of a CSV list read, from [`detect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The first record is a header, not an address row.
    pub has_header: bool,
    /// The 0-based address column.
    pub column: usize,
    /// The column was found by its header name ([`is_email_header`]).
    pub by_name: bool,
    /// The column was found at all: by name, or some of its cells (below a
    /// header) hold an `@`. Otherwise `column` is only the first column.
    pub found: bool,
    /// The most cells in one record.
    pub width: usize,
    /// How many records were looked at (at most [`SNIFF_ROWS`]).
    pub rows: usize,
}

/// Decides the header and the address column from the first records of a
/// CSV list (blank records left out; only the first [`SNIFF_ROWS`] count;
/// a cell that is not UTF-8 passed as decoded with U+FFFD for its bad bytes).
///
/// - The first record is a header when a cell names the address column
///   ([`is_email_header`]), or when it looks like names: no cell with an
///   `@`, no all-digit cell, and no `.` in the cell above the column where
///   the other records keep their addresses.
/// - The address column is the one named like "email"; else the column with
///   the most cells holding an `@` (below the header), the first on a tie.
pub fn detect<R: AsRef<[C]>, C: AsRef<str>>(records: &[R]) -> Layout {
    let records = &records[..records.len().min(SNIFF_ROWS)];
    let (header, below): (&[C], _) = match records.split_first() {
        Some((header, below)) => (header.as_ref(), below),
        None => (&[], &[][..]),
    };
    let width = records.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
    // Per column, the records below the first with an `@` there.
    let mut ats = vec![0usize; width];
    for r in below {
        add_at_signs(&mut ats, r.as_ref());
    }
    let by_at = most(&ats);
    let mut named = None;
    let mut looks_like_names = !header.is_empty();
    for (i, cell) in header.iter().enumerate() {
        let cell = cell.as_ref().trim();
        if named.is_none() && is_email_name(cell) {
            named = Some(i);
        }
        let number = !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit());
        if has(cell, b'@') || number || (i == by_at && has(cell, b'.')) {
            looks_like_names = false;
        }
    }
    let has_header = named.is_some() || looks_like_names;
    let column = match named {
        Some(i) => i,
        None if has_header => by_at,
        None => {
            // No header: the first record counts too.
            add_at_signs(&mut ats, header);
            most(&ats)
        }
    };
    Layout {
        has_header,
        column,
        by_name: named.is_some(),
        found: named.is_some() || ats.get(column).is_some_and(|&n| n > 0),
        width,
        rows: records.len(),
    }
}

/// Adds one to `counts[i]` for each cell `i` of `record` that holds an `@`.
fn add_at_signs<C: AsRef<str>>(counts: &mut [usize], record: &[C]) {
    for (count, cell) in counts.iter_mut().zip(record) {
        *count += usize::from(has(cell.as_ref(), b'@'));
    }
}

/// Whether `cell` holds the ASCII byte `b` (a plain loop: this runs on 50
/// records, and `str::contains` brings a searcher per call site into the
/// browser module).
fn has(cell: &str, b: u8) -> bool {
    cell.bytes().any(|x| x == b)
}

/// The index of the largest count, the first on a tie; 0 when there is none.
fn most(counts: &[usize]) -> usize {
    let mut best = 0;
    for (i, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = i;
        }
    }
    best
}

/// The verdict for a list line (or cell) that is not UTF-8: `invalid_syntax`
/// with error code `invalid_encoding`. `decoded` is the line as the reader
/// decoded it, U+FFFD in place of the bad bytes (`String::from_utf8_lossy`,
/// or a browser's `TextDecoder`: the same text).
pub fn invalid_encoding(decoded: String) -> Verdict {
    unreadable(decoded, SyntaxErrorCode::InvalidEncoding)
}

/// First characters that make a spreadsheet read a cell as a formula
/// (OWASP's CSV injection list): `=`, `+`, `-`, `@`, tab, carriage return.
pub const FORMULA_STARTS: &str = "=+-@\t\r";

/// An exported cell, guarded against spreadsheet formulas: one that starts
/// with one of [`FORMULA_STARTS`] gets a leading `'`, so a spreadsheet shows
/// it as text instead of running it. Addresses too (`-info@example.com`):
/// the guard is for files opened in a spreadsheet, and is the caller's choice.
pub fn guard_formula(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(|c| FORMULA_STARTS.contains(c)) {
        Cow::Owned(["'", cell].concat())
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell read back from a file [`guard_formula`] may have written: the
/// guard's `'` is dropped only when the character after it is one of
/// [`FORMULA_STARTS`], so `'=1` reads as `=1` and `'quoted'@example.com`
/// stays as it is. `unguard_formula(&guard_formula(c)) == c` for every cell
/// except one that itself starts with `'` and a character of
/// [`FORMULA_STARTS`] (`'=1`), which the guard leaves as it is.
pub fn unguard_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(|c| FORMULA_STARTS.contains(c)) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reason;

    fn sniff(s: &str) -> char {
        char::from(sniff_delimiter(s.as_bytes()))
    }

    #[test]
    fn the_most_used_delimiter_wins() {
        assert_eq!(sniff("a;b;c\n"), ';');
        assert_eq!(sniff("a\tb\n"), '\t');
        assert_eq!(sniff("a,b;c;d\n"), ';');
        assert_eq!(sniff("a\tb\tc,d;e\n"), '\t');
        assert_eq!(sniff("email\n"), ',');
        assert_eq!(sniff(""), ',');
    }

    #[test]
    fn ties_go_comma_then_semicolon_then_tab() {
        assert_eq!(sniff("a;b\tc\n"), ';');
        assert_eq!(sniff("a\tb;c\n"), ';');
        assert_eq!(sniff("a,b;c\n"), ',');
        assert_eq!(sniff("a;b,c\n"), ',');
        assert_eq!(sniff("a,b\tc\n"), ',');
        assert_eq!(sniff("a,b;c\td\n"), ',');
        assert_eq!(sniff("a;;b\t\tc,,d\n"), ',');
    }

    #[test]
    fn only_the_first_line_outside_quotes_counts() {
        assert_eq!(sniff("\"a; b; c\",email\n"), ',');
        assert_eq!(sniff("\"Doe, John\";email\n"), ';');
        assert_eq!(sniff("\"a\nb;c;d\"\te\n"), '\t');
        assert_eq!(sniff("a;b\nc,d,e,f\n"), ';');
        assert_eq!(sniff("a;b\r\nc,d,e,f\r\n"), ';');
    }

    #[test]
    fn sniffing_stops_at_its_limit() {
        let mut long = "x".repeat(SNIFF_BYTES - 1);
        long.push_str(";,,,\n");
        assert_eq!(sniff(&long), ';');
    }

    fn layout(rows: &[&[&str]]) -> Layout {
        detect(rows)
    }

    #[test]
    fn email_headers_ignore_case_and_space() {
        assert!(is_email_header(" E-Mail "));
        assert!(is_email_header("Email Address"));
        assert!(is_email_header("courriel"));
        assert!(!is_email_header("emails"));
        assert!(!is_email_header("e_mail"));
    }

    #[test]
    fn a_named_column_wins() {
        let l = layout(&[
            &["name", "E-mail", "backup"],
            &["Ann", "ann@x.com", "a@y.org"],
            &["Bob", "bob@x.com", "b@y.org"],
        ]);
        assert_eq!(
            l,
            Layout {
                has_header: true,
                column: 1,
                by_name: true,
                found: true,
                width: 3,
                rows: 3
            }
        );
        // Named, even with no address below it.
        let l = layout(&[&["email"]]);
        assert!(l.has_header && l.by_name && l.found);
    }

    #[test]
    fn else_the_column_with_the_most_at_signs_first_on_a_tie() {
        let l = layout(&[
            &["1", "John", "john@x.com", "x"],
            &["2", "Ann", "ann@y.org", "a@b.c"],
        ]);
        assert!(!l.has_header && !l.by_name && l.found);
        assert_eq!((l.column, l.width), (2, 4));
        let l = layout(&[&["a@x.com", "b@x.com"], &["c@x.com", "d@x.com"]]);
        assert_eq!(l.column, 0);
    }

    #[test]
    fn a_header_looks_like_names() {
        // No @, no digits-only cell, no dot above the addresses.
        let l = layout(&[&["who", "contact"], &["Ann", "ann@y.org"]]);
        assert!(l.has_header && !l.by_name && l.found);
        assert_eq!(l.column, 1);
        // An all-digit cell: data.
        assert!(!layout(&[&["1", "Bob"], &["2", "ann@y.org"]]).has_header);
        // A dot above the addresses: data (an address without its @).
        let l = layout(&[&["1a", "bob.example.com"], &["2a", "ann@y.org"]]);
        assert!(!l.has_header);
        assert_eq!(l.column, 1);
    }

    #[test]
    fn nothing_found_is_said() {
        let l = layout(&[&["name", "city"], &["Ann", "Oslo"]]);
        assert!(l.has_header && !l.found);
        assert_eq!(l.column, 0);
        let l = layout(&[]);
        assert_eq!(
            (l.has_header, l.found, l.width, l.rows),
            (false, false, 0, 0)
        );
    }

    #[test]
    fn ragged_records_and_owned_cells_are_fine() {
        let rows: Vec<Vec<String>> = vec![
            vec!["name".into(), "mail".into()],
            vec!["Ann".into()],
            vec!["Bob".into(), "b@x.com".into(), "extra".into()],
            vec!["\u{FFFD}".into(), "c@\u{FFFD}x.com".into()],
        ];
        let l = detect(&rows);
        assert_eq!((l.has_header, l.column, l.width), (true, 1, 3));
    }

    #[test]
    fn only_the_first_records_count() {
        let mut rows = vec![vec!["name", "x"]; SNIFF_ROWS];
        rows.extend(vec![vec!["", "a@b.com"]; 10]);
        let l = detect(&rows);
        assert_eq!((l.rows, l.found), (SNIFF_ROWS, false));
    }

    #[test]
    fn lines_that_are_not_utf8_get_invalid_encoding() {
        let v = invalid_encoding(String::from_utf8_lossy(b"jos\xe9@example.com").into_owned());
        assert_eq!(v.reason, Reason::InvalidSyntax);
        assert_eq!(v.input, "jos\u{FFFD}@example.com");
        let e = v.error.as_ref().map(|e| e.code);
        assert_eq!(e, Some(SyntaxErrorCode::InvalidEncoding));
        assert_eq!(
            v.message.as_deref(),
            Some(SyntaxErrorCode::InvalidEncoding.message())
        );
    }

    #[test]
    fn formulas_get_a_leading_quote() {
        for cell in [
            "=1+1",
            "+1 555",
            "-bob@x.com",
            "@bob",
            "\tx",
            "\rx",
            "=HYPERLINK(\"a\")",
        ] {
            assert_eq!(guard_formula(cell), format!("'{cell}"));
        }
        for cell in ["", "ann@x.com", " =1", "'=1", "x=1", "\n=1", "é"] {
            assert!(
                matches!(guard_formula(cell), Cow::Borrowed(c) if c == cell),
                "{cell:?}"
            );
        }
    }

    #[test]
    fn the_guard_comes_off_only_before_a_formula_start() {
        for cell in ["=1", "+1", "-bob@x.com", "@bob", "\tx", "\rx"] {
            assert_eq!(unguard_formula(&format!("'{cell}")), cell);
        }
        for cell in [
            "",
            "'",
            "''",
            "'quoted'@x.com",
            "'a=1",
            "ann@x.com",
            "=1",
            " '=1",
        ] {
            assert_eq!(unguard_formula(cell), cell, "{cell:?}");
        }
        // Only one quote comes off: the guard adds one.
        assert_eq!(unguard_formula("''=1"), "''=1");
    }

    #[test]
    fn guarded_cells_read_back_as_written() {
        for cell in [
            "",
            "ann@x.com",
            "=cmd|'/c'!a0@x.com",
            "-bob@x.com",
            "@bob",
            "+1 555",
            "\tx",
            "\rx",
            "'quoted'@x.com",
            "'",
            "''=1",
            "é",
        ] {
            assert_eq!(unguard_formula(&guard_formula(cell)), cell, "{cell:?}");
        }
    }
}
