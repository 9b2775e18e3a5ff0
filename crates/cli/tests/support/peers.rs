//! Real peers for end-to-end tests: Postfix and unbound on loopback, started
//! by the project's scripts in `tests/peers/` from a fresh folder under
//! `/tmp`, on ports picked at run time, and always stopped (by pid, through
//! the scripts) when the guard drops, also when a test panics.
//!
//! Include it with `#[path = "support/peers.rs"] mod peers;`.
#![allow(dead_code)]

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The checkout's `tests/peers/` folder.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers")
}

/// Whether real peers can run here (`binaries` are names on PATH, or
/// `python3-milter`). `Ok(())` when they can; otherwise the reason. Call [`require`] to turn a reason into a skip or (under CI) a
/// failure.
pub fn available(binaries: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = binaries
        .iter()
        .copied()
        .filter(|b| match *b {
            // Debian's python3-milter, for tests/peers/verbatim_milter.py
            "python3-milter" => !Command::new("/usr/bin/python3")
                .args(["-c", "import Milter"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            b => find_binary(b).is_none(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} not installed (scripts/setup.sh installs them)",
            missing.join(", ")
        ));
    }
    if binaries.contains(&"postfix") && effective_uid() != Some(0) {
        return Err("not running as root (Postfix must start as root)".into());
    }
    Ok(())
}

/// `true` when the test may go on. Outside CI a missing peer is a loud skip
/// (`false`); with `CI` set it is a failure.
pub fn require(test: &str, binaries: &[&str]) -> bool {
    match available(binaries) {
        Ok(()) => true,
        Err(why) => {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("{test}: real peers unavailable under CI: {why}");
            }
            // straight to fd 2: libtest captures eprintln! of passing tests
            let banner = format!(
                "\n==================================================================\n  \
                 SKIPPED {test}: {why}.\n  \
                 Real Postfix/unbound peers are needed; run scripts/setup.sh as\n  \
                 root. (Under CI=true this is a failure, not a skip.)\n\
                 ==================================================================\n\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), banner.as_bytes());
            false
        }
    }
}

fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// A TCP port on 127.0.0.1 that was free a moment ago (and, with `udp`,
/// free for UDP too). Another process may still take it: callers retry.
pub fn free_port(udp: bool) -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = tcp.local_addr().expect("local addr").port();
        if !udp || UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Which peers to start.
#[derive(Debug, Clone, Copy)]
pub struct Want {
    /// `tests/peers/unbound.sh` (DNS on `dns_port`).
    pub dns: bool,
    /// `tests/peers/postfix.sh` (SMTP on `smtp_port`).
    pub smtp: bool,
    /// dnsdist's DoH front on `doh_port` (with `dns`).
    pub doh: bool,
    /// Postfix's verbatim replies by tests/peers/verbatim_milter.py
    /// (`PF_MILTER=1`; with `smtp`).
    pub milter: bool,
}

/// Running peers. Dropping it stops them and removes the folder.
pub struct Peers {
    /// The folder with every peer's config, state and logs (mode 755).
    pub dir: PathBuf,
    /// unbound's port (UDP and TCP) on 127.0.0.1; 0 when not started.
    pub dns_port: u16,
    /// Postfix's port on 127.0.0.1; 0 when not started.
    pub smtp_port: u16,
    /// dnsdist's DoH port; 0 when not started.
    pub doh_port: u16,
    started: Vec<&'static str>,
}

impl Peers {
    /// Starts the peers in a fresh folder under /tmp. Panics (after
    /// stopping whatever did start) when a peer does not come up.
    pub fn start(want: Want) -> Peers {
        Peers::start_with(want, &[])
    }

    /// [`Peers::start`] with more environment for `unbound.sh` (`LIAR=1`:
    /// NXDOMAIN for every name, every query logged in `unbound.log`).
    pub fn start_with(want: Want, dns_env: &[(&str, &str)]) -> Peers {
        let mut last_err = String::new();
        for _attempt in 0..3 {
            let dir = fresh_dir();
            let mut peers = Peers {
                dir,
                dns_port: 0,
                smtp_port: 0,
                doh_port: 0,
                started: Vec::new(),
            };
            match peers.try_start(want, dns_env) {
                Ok(()) => return peers,
                // the ports were free a moment ago; another process may have
                // taken one: try again with new ones
                Err(e) => last_err = e,
            }
        }
        panic!("could not start the test peers:\n{last_err}");
    }

    fn try_start(&mut self, want: Want, dns_env: &[(&str, &str)]) -> Result<(), String> {
        if want.dns {
            self.dns_port = free_port(true);
            if want.doh {
                self.doh_port = free_port(false);
            }
            let mut env: Vec<(&str, String)> =
                dns_env.iter().map(|(k, v)| (*k, v.to_string())).collect();
            env.push(("DNS_PORT", self.dns_port.to_string()));
            if want.doh {
                env.push(("DOH_PORT", self.doh_port.to_string()));
            }
            self.started.push("unbound.sh");
            self.script("unbound.sh", "start", &env)?;
        }
        if want.smtp {
            self.smtp_port = free_port(false);
            self.started.push("postfix.sh");
            let mut env = vec![("SMTP_PORT", self.smtp_port.to_string())];
            if want.milter {
                env.push(("PF_MILTER", "1".into()));
            }
            self.script("postfix.sh", "start", &env)?;
        }
        Ok(())
    }

    /// Runs `tests/peers/NAME ACTION DIR`; its output goes to a file in DIR
    /// (a daemon that kept our pipe open would block us), shown on failure.
    fn script(&self, name: &str, action: &str, env: &[(&str, String)]) -> Result<(), String> {
        let log = self.dir.join(format!("{name}.{action}.log"));
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new("bash");
        cmd.arg(scripts_dir().join(name))
            .arg(action)
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let status = run_with_deadline(cmd, Duration::from_secs(60))
            .map_err(|e| format!("{name} {action}: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            Err(format!("{name} {action} failed ({status}):\n{text}"))
        }
    }

    /// unbound's log (with `LIAR=1`, one line per query:
    /// `info: 127.0.0.1 com. NS IN`).
    pub fn unbound_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("unbound.log")).unwrap_or_default()
    }

    /// Postfix's log.
    pub fn maillog(&self) -> PathBuf {
        self.dir.join("maillog")
    }

    /// SMTP sessions Postfix has logged so far (`smtpd[N]: connect from`),
    /// read after the log has been quiet for a moment (postlogd writes
    /// asynchronously).
    pub fn smtp_connects(&self) -> usize {
        settle(&self.maillog());
        count_connects(&std::fs::read_to_string(self.maillog()).unwrap_or_default())
    }

    /// The maillog's text (after it has settled).
    pub fn maillog_text(&self) -> String {
        settle(&self.maillog());
        std::fs::read_to_string(self.maillog()).unwrap_or_default()
    }
}

/// `smtpd[N]: connect from` lines in a Postfix log.
pub fn count_connects(log: &str) -> usize {
    log.lines()
        .filter(|l| {
            l.find("smtpd[").is_some_and(|i| {
                let rest = &l[i + 6..];
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                digits > 0 && rest[digits..].starts_with("]: connect from")
            })
        })
        .count()
}

/// Waits until `path` has not grown for 300 ms (at most 5 s).
fn settle(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let size = || std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut last = size();
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        let now = size();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_millis(300) {
            return;
        }
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for log in ["maillog", "unbound.log", "dnsdist.log", "milter.log"] {
                let p = self.dir.join(log);
                if let Ok(text) = std::fs::read_to_string(&p) {
                    let tail: Vec<&str> = text.lines().rev().take(60).collect();
                    eprintln!("---- last lines of {}", p.display());
                    for l in tail.iter().rev() {
                        eprintln!("{l}");
                    }
                }
            }
        }
        for name in self.started.iter().rev() {
            if let Err(e) = self.script(name, "stop", &[]) {
                eprintln!("warning: {e}");
            }
        }
        if std::env::var_os("PREBOUNCE_KEEP_PEERS").is_some() {
            eprintln!("peers' folder kept: {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A new folder under /tmp, mode 755 (Postfix runs as its own user and must
/// reach it; the checkout may sit under a 0700 home).
fn fresh_dir() -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = PathBuf::from(format!(
        "/tmp/prebounce-peers-{}-{n}-{nanos:08x}",
        std::process::id()
    ));
    std::fs::create_dir(&dir).expect("create the peers' folder");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod 755");
    dir
}

/// Runs `cmd` to its end, killing it after `limit`.
pub fn run_with_deadline(mut cmd: Command, limit: Duration) -> Result<ExitStatus, String> {
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {limit:?}; killed"));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

/// Runs `cmd` with its output captured, killing it after `limit`.
pub fn output_with_deadline(mut cmd: Command, limit: Duration) -> Result<Output, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let deadline = start + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {limit:?}; killed"));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    Ok(Output {
        status,
        stdout,
        stderr,
        elapsed,
    })
}
