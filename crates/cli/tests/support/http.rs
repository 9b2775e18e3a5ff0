//! Running `prebounce serve` in tests, and signing requests to it.
//!
//! [`Serve::start`] runs the real binary with `--listen 127.0.0.1:0`, reads
//! the `listening on http://ADDR` line it prints, and kills the process
//! (by its pid, as `Child::kill` does) when dropped — on a panic too.
//! [`Serve::post_signed`] signs a body exactly as docs/DESIGN.md says:
//! `X-Prebounce-Signature` = hex HMAC-SHA256(secret,
//! METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(SHA-256(body))).

#![allow(dead_code)] // each test binary uses a part of it

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long the binary may take to print its address.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Unix time now, in seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// 16 random bytes as 32 hex digits.
pub fn fresh_nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// The probe API's HMAC key of a test secret.
pub fn key(secret: &[u8]) -> prebounce_api::signing::Secret {
    prebounce_api::signing::Secret::new(secret).expect("a test secret is not empty")
}

/// The three authentication headers, for a caller that sets them itself.
#[derive(Debug, Clone)]
pub struct AuthHeaders {
    /// `X-Prebounce-Timestamp`.
    pub timestamp: String,
    /// `X-Prebounce-Nonce`.
    pub nonce: String,
    /// `X-Prebounce-Signature`.
    pub signature: String,
}

impl AuthHeaders {
    /// Headers that sign `body` for `POST path` at `timestamp` with a fresh nonce.
    pub fn new(secret: &[u8], path: &str, timestamp: u64, body: &[u8]) -> AuthHeaders {
        let timestamp = timestamp.to_string();
        let nonce = fresh_nonce();
        let signature =
            prebounce_api::signing::sign(&key(secret), "POST", path, &timestamp, &nonce, body);
        AuthHeaders {
            timestamp,
            nonce,
            signature,
        }
    }

    /// Adds the headers to a request.
    pub fn apply(
        &self,
        req: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        req.header("X-Prebounce-Timestamp", &self.timestamp)
            .header("X-Prebounce-Nonce", &self.nonce)
            .header("X-Prebounce-Signature", &self.signature)
    }
}

/// A running `prebounce serve`.
pub struct Serve {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://ADDR`.
    pub base: String,
    /// The shared secret it was started with.
    pub secret: Vec<u8>,
    /// A blocking client with a generous timeout.
    pub http: reqwest::blocking::Client,
    stderr: Arc<Mutex<String>>,
}

impl Serve {
    /// `prebounce serve --listen 127.0.0.1:0 ARGS...` with
    /// `PREBOUNCE_SECRET=secret` and `RUST_LOG=info`.
    pub fn start(secret: &str, args: &[&str]) -> Serve {
        let mut cmd = Serve::command(args);
        cmd.env("PREBOUNCE_SECRET", secret);
        Serve::spawn(cmd, secret.as_bytes())
    }

    /// The command, without a secret (for start-up error tests, or to give
    /// `--secret-file`).
    pub fn command(args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_prebounce"));
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("PREBOUNCE_SECRET")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Spawns `cmd` and waits for its `listening on` line.
    pub fn spawn(mut cmd: Command, secret: &[u8]) -> Serve {
        let mut child = cmd.spawn().expect("start prebounce serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let mut pipe = child.stderr.take().expect("stderr piped");
            let sink = Arc::clone(&stderr);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&buf[..n]);
                    sink.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push_str(&text);
                }
            });
        }
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    let _ = tx.send(line);
                    sent = true;
                }
            }
        });
        let line = match rx.recv_timeout(START_LIMIT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                thread::sleep(Duration::from_millis(100));
                panic!(
                    "prebounce serve printed no address; stderr:\n{}",
                    stderr.lock().unwrap_or_else(|e| e.into_inner())
                );
            }
        };
        let addr: SocketAddr = line
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        assert_ne!(addr.port(), 0, "the real port, not 0");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("HTTP client");
        Serve {
            child,
            addr,
            base: format!("http://{addr}"),
            secret: secret.to_vec(),
            http,
            stderr,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server logged so far.
    pub fn logs(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST path` with `body`, signed now with a fresh nonce.
    pub fn post_signed(&self, path: &str, body: &[u8]) -> reqwest::blocking::Response {
        let headers = AuthHeaders::new(&self.secret, path, now(), body);
        self.post_with(path, body, Some(&headers))
    }

    /// `POST path` with `body` and these headers (none: unsigned).
    pub fn post_with(
        &self,
        path: &str,
        body: &[u8],
        headers: Option<&AuthHeaders>,
    ) -> reqwest::blocking::Response {
        let mut req = self
            .http
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .body(body.to_vec());
        if let Some(h) = headers {
            req = h.apply(req);
        }
        req.send().expect("request to prebounce serve")
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.http
            .get(self.url(path))
            .send()
            .expect("request to prebounce serve")
    }

    /// Sends a signal (`TERM`, `INT`) to the process, with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {}", self.pid());
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for serve") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        // Kills our own child by its pid (no-op if it already exited).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
