//! Reading address lists: plain text (one address a line) or CSV with an
//! address column, from a file or standard input, streamed (a list of
//! millions never sits in memory). Lines that are not valid UTF-8 are handed
//! on as raw bytes so the caller can report them and keep going.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use prebounce_core::list;
use thiserror::Error;

/// Where a list comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file on disk.
    Path(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl Source {
    /// `-` means standard input.
    pub fn from_arg(arg: &Path) -> Source {
        if arg.as_os_str() == "-" {
            Source::Stdin
        } else {
            Source::Path(arg.to_owned())
        }
    }

    /// A name for messages.
    pub fn name(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Stdin => "<stdin>".to_owned(),
        }
    }

    fn is_csv_by_name(&self) -> bool {
        match self {
            Source::Path(p) => p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("tsv")),
            Source::Stdin => false,
        }
    }
}

/// One candidate address and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// 1-based line number in the source.
    pub line: u64,
    /// The text, or the raw bytes when they are not valid UTF-8.
    pub text: Result<String, Vec<u8>>,
}

/// A list could not be read.
#[derive(Debug, Error)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{name}: {source}")]
    Io {
        /// The source's name.
        name: String,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The CSV has no such column.
    #[error("{name}: no column {column:?} (columns: {columns})")]
    NoSuchColumn {
        /// The source's name.
        name: String,
        /// The column asked for.
        column: String,
        /// The header's columns.
        columns: String,
    },
}

/// How to pick the address column of a CSV.
#[derive(Debug, Clone)]
pub enum Column {
    /// Find it: a header named like "email", else the column with the most `@`.
    Auto,
    /// By header name (case-insensitive) or 1-based number.
    Named(String),
}

/// Opens a list. CSV is read when `column` is given or the file name ends in
/// `.csv` / `.tsv`; otherwise one address a line.
pub fn open(source: &Source, column: Option<&Column>) -> Result<Items, InputError> {
    let name = source.name();
    let io_err = |source| InputError::Io {
        name: name.clone(),
        source,
    };
    let reader: Box<dyn Read> = match source {
        Source::Path(p) => Box::new(File::open(p).map_err(io_err)?),
        Source::Stdin => Box::new(io::stdin()),
    };
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    skip_bom(&mut reader).map_err(io_err)?;
    let column = match (column, source.is_csv_by_name()) {
        (Some(c), _) => c.clone(),
        (None, true) => Column::Auto,
        (None, false) => {
            return Ok(Items::Lines(Lines {
                reader,
                line: 0,
                buf: Vec::new(),
                name,
            }))
        }
    };
    Csv::open(reader, &column, name).map(Items::Csv)
}

fn skip_bom(r: &mut impl BufRead) -> io::Result<()> {
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    Ok(())
}

/// The items of a list, in order.
pub enum Items {
    /// One address a line.
    Lines(Lines),
    /// A CSV column.
    Csv(Csv),
}

impl Iterator for Items {
    type Item = Result<Item, InputError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Items::Lines(l) => l.next(),
            Items::Csv(c) => c.next(),
        }
    }
}

/// One address a line; blank lines are skipped (their numbers still count).
pub struct Lines {
    reader: BufReader<Box<dyn Read>>,
    line: u64,
    buf: Vec<u8>,
    name: String,
}

impl Iterator for Lines {
    type Item = Result<Item, InputError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(source) => {
                    return Some(Err(InputError::Io {
                        name: self.name.clone(),
                        source,
                    }))
                }
            }
            self.line += 1;
            let mut bytes = self.buf.as_slice();
            while let [rest @ .., b'\n' | b'\r'] = bytes {
                bytes = rest;
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = String::from_utf8(bytes.to_vec()).map_err(|e| e.into_bytes());
            return Some(Ok(Item {
                line: self.line,
                text,
            }));
        }
    }
}

/// The address column of a CSV (RFC 4180; the delimiter, the header and the
/// column decided by `prebounce_core::list`; ragged rows tolerated, a missing
/// cell is an empty address).
pub struct Csv {
    records: csv::ByteRecordsIntoIter<BufReader<Box<dyn Read>>>,
    pending: std::vec::IntoIter<csv::ByteRecord>,
    column: usize,
    name: String,
}

impl Csv {
    fn open(
        mut reader: BufReader<Box<dyn Read>>,
        column: &Column,
        name: String,
    ) -> Result<Csv, InputError> {
        let io_err = |source| InputError::Io {
            name: name.clone(),
            source,
        };
        let delimiter = list::sniff_delimiter(reader.fill_buf().map_err(io_err)?);
        let mut records = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(reader)
            .into_byte_records();
        let mut head = Vec::new();
        for r in records.by_ref().take(list::SNIFF_ROWS) {
            head.push(r.map_err(|e| io_err(io::Error::other(e)))?);
        }
        let cells: Vec<Vec<_>> = head
            .iter()
            .map(|r| r.iter().map(String::from_utf8_lossy).collect())
            .collect();
        let layout = list::detect(&cells);
        let header: Vec<&str> = cells
            .first()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|c| c.trim())
            .collect();
        let no_such = |column: &str| InputError::NoSuchColumn {
            name: name.clone(),
            column: column.to_owned(),
            columns: if layout.has_header {
                header.join(", ")
            } else {
                format!("{} unnamed; number them from 1", layout.width)
            },
        };
        let column = match column {
            Column::Named(want) => match want.parse::<usize>() {
                Ok(n) if n >= 1 && (n <= layout.width || head.is_empty()) => n - 1,
                Ok(_) => return Err(no_such(want)),
                Err(_) => header
                    .iter()
                    .position(|h| layout.has_header && h.eq_ignore_ascii_case(want))
                    .ok_or_else(|| no_such(want))?,
            },
            Column::Auto => layout.column,
        };
        let skip = usize::from(layout.has_header);
        Ok(Csv {
            records,
            pending: head.into_iter().skip(skip).collect::<Vec<_>>().into_iter(),
            column,
            name,
        })
    }
}

impl Iterator for Csv {
    type Item = Result<Item, InputError>;
    fn next(&mut self) -> Option<Self::Item> {
        let record = match self.pending.next() {
            Some(r) => r,
            None => match self.records.next()? {
                Ok(r) => r,
                Err(e) => {
                    return Some(Err(InputError::Io {
                        name: self.name.clone(),
                        source: io::Error::other(e),
                    }))
                }
            },
        };
        let line = record.position().map_or(0, |p| p.line());
        let cell = record.get(self.column).unwrap_or(b"");
        let text = String::from_utf8(cell.to_vec()).map_err(|e| e.into_bytes());
        Some(Ok(Item { line, text }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn items(name: &str, content: &[u8], column: Option<Column>) -> Vec<Item> {
        let dir =
            std::env::temp_dir().join(format!("prebounce-input-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content)
            .unwrap();
        let out = open(&Source::Path(path), column.as_ref())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }

    #[test]
    fn lines_skip_blanks_keep_numbers_and_flag_bad_utf8() {
        let got = items(
            "l.txt",
            b"\xEF\xBB\xBFa@x.com\r\n\n  \nb@\xFFx.com\nc@x.com",
            None,
        );
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            Item {
                line: 1,
                text: Ok("a@x.com".into())
            }
        );
        assert_eq!(got[1].line, 4);
        assert!(got[1].text.is_err());
        assert_eq!(
            got[2],
            Item {
                line: 5,
                text: Ok("c@x.com".into())
            }
        );
    }

    #[test]
    fn csv_finds_the_email_column_by_header() {
        let got = items(
            "h.csv",
            b"name,E-mail,city\n\"Doe, John\",john@x.com,Oslo\nAnn,ann@y.org\nBob\n",
            None,
        );
        let texts: Vec<_> = got.iter().map(|i| i.text.clone().unwrap()).collect();
        assert_eq!(texts, ["john@x.com", "ann@y.org", ""]);
        assert_eq!(got[0].line, 2);
    }

    #[test]
    fn csv_without_header_picks_the_column_with_at_signs() {
        let got = items("n.csv", b"1;John;john@x.com\n2;Ann;ann@y.org\n", None);
        let texts: Vec<_> = got.iter().map(|i| i.text.clone().unwrap()).collect();
        assert_eq!(texts, ["john@x.com", "ann@y.org"]);
    }

    #[test]
    fn csv_first_row_without_at_is_data_when_it_looks_like_data() {
        let got = items(
            "d.csv",
            b"1,Bob,bob.example.com\n2,Ann,ann@example.org\n",
            None,
        );
        let texts: Vec<_> = got.iter().map(|i| i.text.clone().unwrap()).collect();
        assert_eq!(texts, ["bob.example.com", "ann@example.org"]);
    }

    #[test]
    fn csv_delimiter_is_sniffed_outside_quotes() {
        let got = items(
            "q.csv",
            b"\"Doe, John\";email\n\"Roe, Ann\";ann@y.org\n",
            None,
        );
        assert_eq!(got[0].text, Ok("ann@y.org".into()));
    }

    #[test]
    fn csv_tie_between_semicolon_and_tab_goes_to_semicolon() {
        // One `;` and one tab on the first line: `;` (it used to be tab).
        let got = items(
            "t.csv",
            b"email;name\tcity\na@x.com;Ann\tOslo\nb@y.org;Bob\tRome\n",
            None,
        );
        let texts: Vec<_> = got.iter().map(|i| i.text.clone().unwrap()).collect();
        assert_eq!(texts, ["a@x.com", "b@y.org"]);
    }

    #[test]
    fn csv_column_by_name_or_number() {
        let got = items(
            "c.txt",
            b"a,b\nx@y.com,z@w.com\n",
            Some(Column::Named("B".into())),
        );
        assert_eq!(got[0].text, Ok("z@w.com".into()));
        let got = items(
            "d.txt",
            b"x@y.com,z@w.com\n",
            Some(Column::Named("1".into())),
        );
        assert_eq!(got[0].text, Ok("x@y.com".into()));
    }
}
