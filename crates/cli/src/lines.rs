//! Lines of a log or a list, every read bounded: a line is kept up to `max`
//! bytes and the rest of a longer one is skipped as it streams past, so an
//! endless line costs a bounded buffer, never all memory.

use std::io::{self, BufRead};

/// One line: its number (from 1) and bytes without the line ending, or
/// `None` for a line longer than the bound.
pub type Line = (u64, Option<Vec<u8>>);

/// The lines of a reader, each bounded to `max` bytes.
pub struct BoundedLines<R> {
    reader: R,
    max: usize,
    number: u64,
    done: bool,
}

impl<R: BufRead> BoundedLines<R> {
    /// Reads `reader` line by line, keeping lines of at most `max` bytes.
    pub fn new(reader: R, max: usize) -> BoundedLines<R> {
        BoundedLines {
            reader,
            max,
            number: 0,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for BoundedLines<R> {
    type Item = io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut line = Vec::new();
        let mut oversized = false;
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if buf.is_empty() {
                self.done = true;
                if !any {
                    return None;
                }
                break;
            }
            any = true;
            let (chunk, ended) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if !oversized {
                if line.len() + chunk.len() > self.max {
                    oversized = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            let used = ended.unwrap_or(buf.len());
            self.reader.consume(used);
            if ended.is_some() {
                break;
            }
        }
        self.number += 1;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(Ok((self.number, (!oversized).then_some(line))))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn read(text: &[u8], max: usize) -> Vec<Line> {
        BoundedLines::new(io::BufReader::with_capacity(4, text), max)
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn lines_are_numbered_and_an_overlong_one_is_skipped_not_kept() {
        let got = read(b"ab\r\n\nabcdefgh\nxy", 5);
        assert_eq!(
            got,
            [
                (1, Some(b"ab".to_vec())),
                (2, Some(Vec::new())),
                (3, None),
                (4, Some(b"xy".to_vec())),
            ]
        );
        assert!(read(b"", 5).is_empty());
    }

    #[test]
    fn an_endless_line_costs_a_bounded_buffer() {
        let endless = io::repeat(b'x').take(10 << 20);
        let mut lines = BoundedLines::new(io::BufReader::new(endless), 1024);
        assert_eq!(lines.next().unwrap().unwrap(), (1, None));
        assert!(lines.next().is_none());
    }
}
