//! The network flags shared by `check` and `serve`, and the probe
//! configuration they build (checked by `prebounce_probe::config`).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use prebounce_probe::config::{
    check_from, check_helo, default_helo, ConfigError, ProbeConfig, Proxy, Target,
};

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

impl NetFlags {
    /// Checks the flags. `default_window` is the retry window when
    /// `--retry-window` is not given; `require_identity` makes `--helo` and
    /// `--from` mandatory (`serve`).
    pub fn to_config(
        &self,
        default_window: Duration,
        require_identity: bool,
    ) -> Result<ProbeConfig, ConfigError> {
        let mx = self.mx.as_deref().map(Target::parse).transpose()?;
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
        let proxy = self.proxy.as_deref().map(Proxy::parse).transpose()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err());
    }
}
