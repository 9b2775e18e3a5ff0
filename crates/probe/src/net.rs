//! The network flags shared by `check` and `serve`, and the probe
//! configuration they build.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use prebounce_core::address::parse;
use thiserror::Error;

/// DNS, SMTP and egress flags (docs/DESIGN.md: the same for `check` and `serve`).
#[derive(Debug, Clone, Args)]
pub struct NetFlags {
    /// The DNS server to ask (IP:PORT); the system's resolvers otherwise.
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<SocketAddr>,
    /// The port used for MX hosts learned from DNS.
    #[arg(long, value_name = "PORT", default_value_t = 25)]
    pub smtp_port: u16,
    /// Probe this server for every address and skip DNS (HOST:PORT, or
    /// [IPv6]:PORT). Your own choice, so the address-safety rules do not apply.
    #[arg(long, value_name = "HOST:PORT")]
    pub mx: Option<String>,
    /// Contact MX hosts that resolve to loopback, private and other
    /// non-public addresses (for tests on your own network).
    #[arg(long)]
    pub allow_private: bool,
    /// The name to greet servers with (EHLO/HELO); this machine's host name
    /// by default.
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
    /// The envelope sender for MAIL FROM; the null sender `<>` by default.
    #[arg(long, value_name = "ADDRESS")]
    pub from: Option<String>,
    /// Connect to mail servers through this SOCKS5 proxy
    /// (socks5://[USER:PASS@]HOST:PORT), for hosts whose port 25 is blocked.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// The deadline of one attempt at an address (connect, greeting and
    /// every command), such as `30s`.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// The deadline of one TCP connection attempt.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// How long temporary failures (greylisting, other 4xx) are retried:
    /// `0` answers `temporary_failure` at once. Default: 0 for addresses
    /// given as arguments and for `serve`, 15m for `--file`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub retry_window: Option<Duration>,
    /// The first wait before a retry; each later wait doubles.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub retry_delay: Duration,
    /// SMTP sessions open at once, in all.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// SMTP sessions open at once to one mail server (by IP address).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub per_mx: u32,
    /// Recipients asked per transaction (RFC 5321 servers accept at least 100).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub rcpts_per_transaction: u32,
    /// Rejected commands allowed per session before a new connection is
    /// opened (stock Postfix slows down after 10 and disconnects after 20).
    #[arg(long, value_name = "N", default_value_t = 9, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub errors_per_session: u32,
    /// One SMTP session per address instead of one per domain's batch.
    #[arg(long)]
    pub no_session_reuse: bool,
    /// Never upgrade to TLS, even where STARTTLS is offered.
    #[arg(long)]
    pub no_starttls: bool,
}

/// A flag value that makes no sense.
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

impl NetFlags {
    /// Checks the flags. `default_window` is the retry window when
    /// `--retry-window` is not given; `require_identity` makes `--helo` and
    /// `--from` mandatory (`serve`).
    pub fn to_config(
        &self,
        default_window: Duration,
        require_identity: bool,
    ) -> Result<ProbeConfig, ConfigError> {
        let mx = self.mx.as_deref().map(parse_target).transpose()?;
        let helo = match &self.helo {
            Some(h) => check_helo(h)?,
            None if require_identity => return Err(ConfigError::Helo(String::new())),
            None => default_helo(),
        };
        let from = match &self.from {
            Some(f) if f.is_empty() || f == "<>" => String::new(),
            Some(f) => check_from(f)?,
            None if require_identity => {
                return Err(ConfigError::From(String::new(), "required".into()))
            }
            None => String::new(),
        };
        let proxy = self.proxy.as_deref().map(parse_proxy).transpose()?;
        Ok(ProbeConfig {
            resolver: self.resolver,
            smtp_port: self.smtp_port,
            mx,
            allow_private: self.allow_private,
            helo,
            from,
            proxy,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout.min(self.timeout),
            retry_window: self.retry_window.unwrap_or(default_window),
            retry_delay: self.retry_delay,
            concurrency: self.concurrency as usize,
            per_mx: self.per_mx as usize,
            rcpts_per_transaction: self.rcpts_per_transaction as usize,
            errors_per_session: self.errors_per_session as usize,
            session_reuse: !self.no_session_reuse,
            starttls: !self.no_starttls,
        })
    }
}

/// Parses `30s`, `15m`, `250ms`, `0` (humantime's forms, plus a bare `0`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if s.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(s.trim()).map_err(|e| e.to_string())
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

fn check_helo(h: &str) -> Result<String, ConfigError> {
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

fn check_from(f: &str) -> Result<String, ConfigError> {
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
fn default_helo() -> String {
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

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err());
    }
}
