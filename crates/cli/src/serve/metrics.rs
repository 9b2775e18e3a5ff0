//! `/metrics`: a small hand-written Prometheus text exposition (format
//! 0.0.4). Four families, so no client library is needed.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use prebounce_core::Reason;

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds (`+Inf` is implied). A
/// request of syntax-only verdicts takes milliseconds; one that waits on
/// slow mail servers takes up to the SMTP deadline and beyond.
pub const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

#[derive(Debug, Default)]
struct Histogram {
    /// Observations per bucket (not cumulative), the last one for `+Inf`.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

/// The server's counters.
#[derive(Debug)]
pub struct Metrics {
    probes: [AtomicU64; Reason::ALL.len()],
    requests: Mutex<BTreeMap<u16, u64>>,
    duration: Mutex<Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            probes: std::array::from_fn(|_| AtomicU64::new(0)),
            requests: Mutex::default(),
            duration: Mutex::default(),
        }
    }
}

impl Metrics {
    /// Counts one verdict returned.
    pub fn verdict(&self, reason: Reason) {
        self.probes[reason.code() as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one HTTP response.
    pub fn request(&self, status: u16) {
        let mut r = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *r.entry(status).or_default() += 1;
    }

    /// Records the latency of one `/v1/probe` request.
    pub fn probe_duration(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let mut h = self.duration.lock().unwrap_or_else(|e| e.into_inner());
        let i = BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(BUCKETS.len());
        h.counts[i] += 1;
        h.sum += secs;
        h.count += 1;
    }

    /// The exposition, with `connections` SMTP connections opened so far
    /// and `nonces` nonces held by the replay guard.
    pub fn render(&self, connections: u64, nonces: usize) -> String {
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = self.write(&mut out, connections, nonces);
        out
    }

    fn write(&self, out: &mut String, connections: u64, nonces: usize) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP prebounce_probes_total Verdicts returned by /v1/probe, by reason."
        )?;
        writeln!(out, "# TYPE prebounce_probes_total counter")?;
        for reason in Reason::ALL {
            let n = self.probes[reason.code() as usize].load(Ordering::Relaxed);
            writeln!(
                out,
                "prebounce_probes_total{{reason=\"{}\"}} {n}",
                reason.as_str()
            )?;
        }

        writeln!(
            out,
            "# HELP prebounce_smtp_connections_total SMTP connections opened to mail servers."
        )?;
        writeln!(out, "# TYPE prebounce_smtp_connections_total counter")?;
        writeln!(out, "prebounce_smtp_connections_total {connections}")?;

        writeln!(
            out,
            "# HELP prebounce_probe_duration_seconds Latency of /v1/probe requests."
        )?;
        writeln!(out, "# TYPE prebounce_probe_duration_seconds histogram")?;
        {
            let h = self.duration.lock().unwrap_or_else(|e| e.into_inner());
            let mut cumulative = 0;
            for (i, le) in BUCKETS.iter().enumerate() {
                cumulative += h.counts[i];
                writeln!(
                    out,
                    "prebounce_probe_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}"
                )?;
            }
            writeln!(
                out,
                "prebounce_probe_duration_seconds_bucket{{le=\"+Inf\"}} {}",
                h.count
            )?;
            writeln!(out, "prebounce_probe_duration_seconds_sum {}", h.sum)?;
            writeln!(out, "prebounce_probe_duration_seconds_count {}", h.count)?;
        }

        writeln!(
            out,
            "# HELP prebounce_requests_total HTTP responses, by status code."
        )?;
        writeln!(out, "# TYPE prebounce_requests_total counter")?;
        {
            let r = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            for (code, n) in r.iter() {
                writeln!(out, "prebounce_requests_total{{code=\"{code}\"}} {n}")?;
            }
        }

        writeln!(
            out,
            "# HELP prebounce_auth_nonces Nonces remembered to refuse replayed requests."
        )?;
        writeln!(out, "# TYPE prebounce_auth_nonces gauge")?;
        writeln!(out, "prebounce_auth_nonces {nonces}")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition() {
        let m = Metrics::default();
        m.verdict(Reason::InvalidSyntax);
        m.verdict(Reason::InvalidSyntax);
        m.verdict(Reason::DoesNotExist);
        m.request(200);
        m.request(401);
        m.request(200);
        m.probe_duration(Duration::from_millis(3));
        m.probe_duration(Duration::from_millis(700));
        m.probe_duration(Duration::from_secs(500));
        let text = m.render(7, 4);
        for line in [
            "# TYPE prebounce_probes_total counter",
            "prebounce_probes_total{reason=\"invalid_syntax\"} 2",
            "prebounce_probes_total{reason=\"does_not_exist\"} 1",
            "prebounce_probes_total{reason=\"ok\"} 0",
            "prebounce_smtp_connections_total 7",
            "# TYPE prebounce_probe_duration_seconds histogram",
            "prebounce_probe_duration_seconds_bucket{le=\"0.005\"} 1",
            "prebounce_probe_duration_seconds_bucket{le=\"0.5\"} 1",
            "prebounce_probe_duration_seconds_bucket{le=\"1\"} 2",
            "prebounce_probe_duration_seconds_bucket{le=\"120\"} 2",
            "prebounce_probe_duration_seconds_bucket{le=\"+Inf\"} 3",
            "prebounce_probe_duration_seconds_count 3",
            "prebounce_requests_total{code=\"200\"} 2",
            "prebounce_requests_total{code=\"401\"} 1",
            "# TYPE prebounce_auth_nonces gauge",
            "prebounce_auth_nonces 4",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        let sum: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("prebounce_probe_duration_seconds_sum "))
            .unwrap()
            .parse()
            .unwrap();
        assert!((sum - 500.703).abs() < 1e-9, "{sum}");
        // Every sample belongs to a family announced with HELP and TYPE.
        let mut typed = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                typed.push(rest.split(' ').next().unwrap().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(
                    typed.iter().any(|t| name == t
                        || name
                            .strip_prefix(t.as_str())
                            .is_some_and(|s| { ["_bucket", "_sum", "_count"].contains(&s) })),
                    "{line}"
                );
                let value = line.rsplit(' ').next().unwrap();
                assert!(value.parse::<f64>().is_ok(), "{line}");
            }
        }
        assert!(text.ends_with('\n'));
    }
}
