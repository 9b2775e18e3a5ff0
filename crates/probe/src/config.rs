//! The probe's configuration ([`ProbeConfig`]) and the checks of its parts
//! that come from people: the explicit MX, the SOCKS5 proxy, the HELO name
//! and the envelope sender.

use std::net::SocketAddr;
use std::time::Duration;

use prebounce_core::address::parse;
use thiserror::Error;

/// A configuration value that makes no sense.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// `--mx` is not HOST:PORT.
    #[error("--mx {0:?}: expected HOST:PORT or [IPv6]:PORT")]
    Mx(String),
    /// `--from` is not an address.
    #[error("--from {0:?}: not a valid address ({1})")]
    From(String, String),
    /// `--helo` is not a host name or address literal.
    #[error("--helo {0:?}: not a host name")]
    Helo(String),
    /// `--proxy` is not a SOCKS5 URL.
    #[error("--proxy {0:?}: expected socks5://[USER:PASS@]HOST:PORT")]
    Proxy(String),
}

/// An explicit SMTP target (`--mx`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP address (without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// A SOCKS5 proxy (`--proxy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// HOST:PORT of the proxy.
    pub addr: String,
    /// User name and password, if the URL had them.
    pub auth: Option<(String, String)>,
}

/// Everything the probe engine needs to know, checked.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// `--resolver`.
    pub resolver: Option<SocketAddr>,
    /// `--smtp-port`.
    pub smtp_port: u16,
    /// `--mx`.
    pub mx: Option<Target>,
    /// `--allow-private`.
    pub allow_private: bool,
    /// The EHLO name.
    pub helo: String,
    /// The MAIL FROM address; empty for the null sender.
    pub from: String,
    /// `--proxy`.
    pub proxy: Option<Proxy>,
    /// Deadline of one attempt.
    pub timeout: Duration,
    /// Deadline of one connection attempt.
    pub connect_timeout: Duration,
    /// Retry window for temporary failures.
    pub retry_window: Duration,
    /// First retry delay.
    pub retry_delay: Duration,
    /// Global session cap.
    pub concurrency: usize,
    /// Per-server session cap.
    pub per_mx: usize,
    /// Recipients per transaction.
    pub rcpts_per_transaction: usize,
    /// Rejections allowed per session.
    pub errors_per_session: usize,
    /// One session per address.
    pub session_reuse: bool,
    /// Use STARTTLS where offered.
    pub starttls: bool,
}

impl Target {
    /// Reads HOST:PORT or [IPv6]:PORT (the host lower-cased, without a
    /// trailing dot; port 0 refused).
    pub fn parse(s: &str) -> Result<Target, ConfigError> {
        parse_target(s)
    }
}

impl Proxy {
    /// Reads `socks5://[USER:PASS@]HOST:PORT`.
    pub fn parse(s: &str) -> Result<Proxy, ConfigError> {
        parse_proxy(s)
    }
}

fn parse_target(s: &str) -> Result<Target, ConfigError> {
    let bad = || ConfigError::Mx(s.to_owned());
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, p) = rest.split_once("]:").ok_or_else(bad)?;
        (h, p)
    } else {
        s.rsplit_once(':').ok_or_else(bad)?
    };
    if host.is_empty() || host.contains(':') && !s.starts_with('[') {
        return Err(bad());
    }
    let port = port.parse::<u16>().map_err(|_| bad())?;
    if port == 0 {
        return Err(bad());
    }
    Ok(Target {
        host: host.trim_end_matches('.').to_ascii_lowercase(),
        port,
    })
}

/// A HELO name: a host name or an address literal, nothing that could end
/// the command line.
pub fn check_helo(h: &str) -> Result<String, ConfigError> {
    let ok = !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    if ok {
        Ok(h.to_owned())
    } else {
        Err(ConfigError::Helo(h.to_owned()))
    }
}

/// An envelope sender (with or without angle brackets), as MAIL FROM will
/// carry it: ASCII, a valid address.
pub fn check_from(f: &str) -> Result<String, ConfigError> {
    let inner = f.trim().trim_start_matches('<').trim_end_matches('>');
    // Test setups send from `.test` domains; the sender is the user's own choice.
    let options = prebounce_core::Options {
        allow_special_use: true,
        allow_single_label: true,
        ..Default::default()
    };
    match parse(inner, &options) {
        Ok(m) if m.address().is_ascii() => Ok(m.address()),
        Ok(_) => Err(ConfigError::From(
            f.to_owned(),
            "use an ASCII sender".into(),
        )),
        Err(code) => Err(ConfigError::From(f.to_owned(), code.as_str().to_owned())),
    }
}

/// This machine's host name, if it looks like one; `localhost` otherwise.
pub fn default_helo() -> String {
    let name = gethostname::gethostname().to_string_lossy().into_owned();
    check_helo(&name).unwrap_or_else(|_| "localhost".to_owned())
}

fn parse_proxy(s: &str) -> Result<Proxy, ConfigError> {
    let bad = || ConfigError::Proxy(s.to_owned());
    let rest = s
        .strip_prefix("socks5://")
        .or_else(|| s.strip_prefix("socks5h://"))
        .ok_or_else(bad)?;
    let rest = rest.trim_end_matches('/');
    let (auth, addr) = match rest.rsplit_once('@') {
        Some((a, h)) => {
            let (u, p) = a.split_once(':').ok_or_else(bad)?;
            (Some((u.to_owned(), p.to_owned())), h)
        }
        None => (None, rest),
    };
    parse_target(addr).map_err(|_| bad())?;
    Ok(Proxy {
        addr: addr.to_owned(),
        auth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("127.0.0.1:2525").unwrap(),
            Target {
                host: "127.0.0.1".into(),
                port: 2525
            }
        );
        assert_eq!(parse_target("[::1]:25").unwrap().host, "::1");
        assert_eq!(
            parse_target("MX.Example.COM.:25").unwrap().host,
            "mx.example.com"
        );
        for bad in [
            "",
            "host",
            "host:",
            "host:0",
            "host:99999",
            "::1:25",
            "[::1]25",
            ":25",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn proxies() {
        let p = parse_proxy("socks5://u:p@127.0.0.1:1080").unwrap();
        assert_eq!(p.addr, "127.0.0.1:1080");
        assert_eq!(p.auth, Some(("u".into(), "p".into())));
        assert!(parse_proxy("http://127.0.0.1:1080").is_err());
        assert!(parse_proxy("socks5://127.0.0.1").is_err());
    }

    #[test]
    fn identity() {
        assert!(check_helo("probe.example.com").is_ok());
        assert!(check_helo("bad name").is_err());
        assert!(check_helo("a\r\nRCPT").is_err());
        assert_eq!(
            check_from("<Probe@Example.com>").unwrap(),
            "Probe@example.com"
        );
        assert!(check_from("not an address").is_err());
        assert!(check_from("a@b.com>\r\nDATA").is_err());
    }
}
