//! `prebounce … | head`: run a command, read the start of its output, close
//! the pipe, and check it ended quietly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

/// Runs `cmd`, reads `lines` lines of its output, closes the pipe, and
/// returns the last line read and how the process ended.
pub fn read_then_close(cmd: &mut Command, lines: usize) -> (String, Output) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    {
        let mut r = BufReader::new(child.stdout.take().expect("piped stdout"));
        for _ in 0..lines {
            line.clear();
            r.read_line(&mut line).expect("read a line");
        }
    } // stdout dropped: the pipe closes
    (line, child.wait_with_output().expect("wait"))
}

/// Exited quietly: 0, or death by SIGPIPE like other Unix tools; not an
/// error code.
pub fn assert_quiet_exit(out: &Output, what: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert!(
            out.status.code() == Some(0) || out.status.signal() == Some(13),
            "{what}: {:?}",
            out.status
        );
    }
}
