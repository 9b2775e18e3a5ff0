//! `--proxy socks5://…`: the probe reaches the mail server through a SOCKS5
//! proxy (RFC 1928, with RFC 1929 user/password), and only through it.
//! Both the proxy and the mail server are small fakes on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::Value;

/// A one-purpose SMTP server: 250 for `ok@`, 550 5.1.1 for anyone else.
/// Returns its port and the number of connections it has taken.
fn smtp_server() -> (u16, Arc<Mutex<u32>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(Mutex::new(0));
    let c = count.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            *c.lock().unwrap() += 1;
            thread::spawn(move || serve_smtp(stream));
        }
    });
    (port, count)
}

fn serve_smtp(stream: TcpStream) {
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let _ = w.write_all(b"220 mx.fake ESMTP\r\n");
    let mut line = String::new();
    while r.read_line(&mut line).unwrap_or(0) > 0 {
        let cmd = line.to_ascii_uppercase();
        let reply: &[u8] = if cmd.starts_with("EHLO") {
            b"250-mx.fake\r\n250 PIPELINING\r\n"
        } else if cmd.starts_with("RCPT TO:<OK@") {
            b"250 2.1.5 Ok\r\n"
        } else if cmd.starts_with("RCPT") {
            b"550 5.1.1 <x>: Recipient address rejected: User unknown\r\n"
        } else if cmd.starts_with("QUIT") {
            let _ = w.write_all(b"221 2.0.0 Bye\r\n");
            return;
        } else {
            b"250 2.0.0 Ok\r\n"
        };
        if w.write_all(reply).is_err() {
            return;
        }
        line.clear();
    }
}

/// What the proxy was asked.
#[derive(Debug, Default)]
struct ProxyLog {
    targets: Vec<SocketAddr>,
    users: Vec<(String, String)>,
}

/// A SOCKS5 proxy for CONNECT to IPv4 addresses; with `auth`, it requires
/// that user name and password.
fn socks_proxy(auth: Option<(&'static str, &'static str)>) -> (u16, Arc<Mutex<ProxyLog>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(ProxyLog::default()));
    let l = log.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let l = l.clone();
            thread::spawn(move || {
                let _ = serve_socks(stream, auth, &l);
            });
        }
    });
    (port, log)
}

fn serve_socks(
    mut c: TcpStream,
    auth: Option<(&str, &str)>,
    log: &Mutex<ProxyLog>,
) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    c.read_exact(&mut head)?;
    assert_eq!(head[0], 5, "SOCKS version");
    let mut methods = vec![0u8; head[1] as usize];
    c.read_exact(&mut methods)?;
    match auth {
        None => c.write_all(&[5, 0])?,
        Some((user, pass)) => {
            assert!(methods.contains(&2), "user/password offered");
            c.write_all(&[5, 2])?;
            let mut v = [0u8; 2];
            c.read_exact(&mut v)?;
            let mut u = vec![0u8; v[1] as usize];
            c.read_exact(&mut u)?;
            let mut plen = [0u8; 1];
            c.read_exact(&mut plen)?;
            let mut p = vec![0u8; plen[0] as usize];
            c.read_exact(&mut p)?;
            let (u, p) = (String::from_utf8_lossy(&u), String::from_utf8_lossy(&p));
            log.lock()
                .unwrap()
                .users
                .push((u.to_string(), p.to_string()));
            if u != user || p != pass {
                c.write_all(&[1, 1])?;
                return Ok(());
            }
            c.write_all(&[1, 0])?;
        }
    }
    let mut req = [0u8; 4];
    c.read_exact(&mut req)?;
    assert_eq!(req[..3], [5, 1, 0], "CONNECT");
    assert_eq!(
        req[3], 1,
        "an IPv4 address: the probe resolves names itself"
    );
    let mut addr = [0u8; 6];
    c.read_exact(&mut addr)?;
    let target = SocketAddr::from((
        Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]),
        u16::from_be_bytes([addr[4], addr[5]]),
    ));
    log.lock().unwrap().targets.push(target);
    let upstream = TcpStream::connect(target)?;
    c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
    let (mut c2, mut u2) = (c.try_clone()?, upstream.try_clone()?);
    let t = thread::spawn(move || std::io::copy(&mut u2, &mut c2));
    let mut upstream = upstream;
    let _ = std::io::copy(&mut c, &mut upstream);
    let _ = upstream.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
    Ok(())
}

fn check(args: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_prebounce"))
        .arg("check")
        .arg("--json")
        .args(["--timeout", "5s"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn probes_go_through_the_proxy() {
    let (smtp, smtp_conns) = smtp_server();
    let (proxy, log) = socks_proxy(None);
    let v = check(&[
        "--proxy",
        &format!("socks5://127.0.0.1:{proxy}"),
        "--mx",
        &format!("127.0.0.1:{smtp}"),
        "ok@example.com",
        "nobody@example.com",
    ]);
    assert_eq!(v[0]["reason"], "ok", "{v:?}");
    assert_eq!(v[1]["reason"], "does_not_exist", "{v:?}");
    let log = log.lock().unwrap();
    assert!(!log.targets.is_empty());
    assert!(log
        .targets
        .iter()
        .all(|t| *t == SocketAddr::from(([127, 0, 0, 1], smtp))));
    assert_eq!(
        *smtp_conns.lock().unwrap() as usize,
        log.targets.len(),
        "every SMTP connection came through the proxy"
    );
}

#[test]
fn proxy_credentials_are_sent() {
    let (smtp, _) = smtp_server();
    let (proxy, log) = socks_proxy(Some(("probe", "s3cret")));
    let v = check(&[
        "--proxy",
        &format!("socks5://probe:s3cret@127.0.0.1:{proxy}"),
        "--mx",
        &format!("127.0.0.1:{smtp}"),
        "ok@example.com",
    ]);
    assert_eq!(v[0]["reason"], "ok", "{v:?}");
    assert_eq!(
        log.lock().unwrap().users,
        vec![("probe".to_owned(), "s3cret".to_owned())]
    );
}

#[test]
fn a_refusing_proxy_gives_smtp_unavailable() {
    let (smtp, smtp_conns) = smtp_server();
    let (proxy, _) = socks_proxy(Some(("probe", "right")));
    let v = check(&[
        "--proxy",
        &format!("socks5://probe:wrong@127.0.0.1:{proxy}"),
        "--mx",
        &format!("127.0.0.1:{smtp}"),
        "ok@example.com",
    ]);
    assert_eq!(v[0]["status"], "unknown", "{v:?}");
    assert_eq!(v[0]["reason"], "smtp_unavailable");
    assert!(v[0]["detail"].as_str().unwrap().contains("SOCKS5"), "{v:?}");
    assert_eq!(*smtp_conns.lock().unwrap(), 0);
}
