//! An mbox, message by message, with every read bounded: a message is kept
//! up to `max` bytes and a line is read at most `max + 1` bytes at a time,
//! so an endless line or message costs a bounded buffer, never all memory.
//!
//! The format is mail-parser's reading of mboxrd: a line that starts with
//! `From ` starts a message; `>From `, `>>From ` … lose one `>`; text before
//! the first `From ` line is not a message.

use std::io::{BufRead, Read};

/// The messages of an mbox: each one's bytes, or why it was not kept.
pub struct Messages<R> {
    reader: R,
    max: u64,
    line: Vec<u8>,
    /// The next read starts a line (the last one ended with `\n`).
    at_line_start: bool,
    /// The message being read: `None` before the first `From ` line.
    current: Option<Current>,
    done: bool,
}

struct Current {
    bytes: Vec<u8>,
    /// Longer than `max`: its bytes are dropped, the rest skipped.
    oversized: bool,
}

impl<R: BufRead> Messages<R> {
    /// Reads the mbox from `reader`, keeping messages of at most `max` bytes.
    pub fn new(reader: R, max: u64) -> Messages<R> {
        Messages {
            reader,
            max,
            line: Vec::with_capacity(256),
            at_line_start: true,
            current: None,
            done: false,
        }
    }

    fn finish(&self, current: Current) -> Result<Vec<u8>, String> {
        if current.oversized {
            Err(format!(
                "larger than {} bytes (--max-message-bytes)",
                self.max
            ))
        } else {
            Ok(current.bytes)
        }
    }
}

impl<R: BufRead> Iterator for Messages<R> {
    type Item = Result<Vec<u8>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            self.line.clear();
            // At least a `From ` separator's worth, whatever `max` is.
            let limit = self.max.saturating_add(1).max(64);
            let read = (&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut self.line);
            match read {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e.to_string()));
                }
                Ok(0) => {
                    self.done = true;
                    let current = self.current.take()?;
                    return Some(self.finish(current));
                }
                Ok(_) => {}
            }
            let line_start = self.at_line_start;
            self.at_line_start = self.line.ends_with(b"\n");
            if line_start && self.line.starts_with(b"From ") {
                let next = Current {
                    bytes: Vec::new(),
                    oversized: false,
                };
                if let Some(done) = self.current.replace(next) {
                    return Some(self.finish(done));
                }
                continue;
            }
            let max = self.max;
            let Some(current) = self.current.as_mut() else {
                continue; // before the first message
            };
            if current.oversized {
                continue;
            }
            let mut part = &self.line[..];
            if line_start && part.first() == Some(&b'>') {
                let quotes = part.iter().take_while(|&&b| b == b'>').count();
                if part[quotes..].starts_with(b"From ") {
                    part = &part[1..];
                }
            }
            if (current.bytes.len() + part.len()) as u64 > max {
                current.oversized = true;
                current.bytes = Vec::new();
            } else {
                current.bytes.extend_from_slice(part);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(mbox: &[u8], max: u64) -> Vec<Result<String, String>> {
        Messages::new(mbox, max)
            .map(|m| m.map(|b| String::from_utf8(b).unwrap()))
            .collect()
    }

    #[test]
    fn messages_split_at_from_lines_and_unquote_from() {
        let mbox = b"junk before\nFrom a@x Sat Mar 14 10:26:53 2026\nSubject: one\n\n>From here\n>>From there\n>Fromage\n\nFrom b@x Sat Mar 14 10:26:53 2026\nSubject: two\n";
        assert_eq!(
            read(mbox, 1000),
            [
                Ok("Subject: one\n\nFrom here\n>From there\n>Fromage\n\n".to_owned()),
                Ok("Subject: two\n".to_owned())
            ]
        );
        assert!(read(b"", 10).is_empty());
        assert!(read(b"no separator\n", 10).is_empty());
    }

    #[test]
    fn a_message_over_the_bound_is_an_error_and_the_next_one_is_read() {
        let mut mbox = b"From a@x Sat\n".to_vec();
        mbox.extend(vec![b'x'; 10_000]); // one long line, no line end yet
        mbox.extend(b"\nFrom b@x Sat\nSubject: small\n");
        let got = read(&mbox, 100);
        assert!(matches!(&got[0], Err(e) if e.contains("larger than 100 bytes")));
        assert_eq!(got[1], Ok("Subject: small\n".to_owned()));
        // A long line's continuation is not a line start: "From " inside it
        // does not split the message.
        let mut mbox = b"From a@x Sat\n".to_vec();
        mbox.extend(vec![b'y'; 101]); // one whole read of max + 1 bytes
        mbox.extend(b"From inside\n");
        assert_eq!(read(&mbox, 100).len(), 1);
        // A bound too small for a separator still splits messages.
        let got = read(b"From a@x\nab\nFrom b@x\nc", 1);
        assert!(matches!(&got[0], Err(e) if e.contains("larger than 1 bytes")));
        assert_eq!(got[1], Ok("c".to_owned()));
    }
}
