//! The probe engine: DNS, then SMTP, for a batch of addresses.
//! (Being written: this is the interface other modules rely on.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use prebounce_core::verdict::MxRecord;
use prebounce_core::Verdict;
use thiserror::Error;

use crate::net::ProbeConfig;

/// What stops the engine from starting.
#[derive(Debug, Error)]
pub enum EngineError {
    /// The resolver configuration could not be read.
    #[error("DNS resolver: {0}")]
    Resolver(String),
}

/// Counters shared with `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    /// SMTP connections opened (TCP connects that succeeded).
    pub connections: AtomicU64,
}

impl Stats {
    /// SMTP connections opened so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

/// Probes addresses: one per process, shared by every request.
#[derive(Debug, Clone)]
pub struct Prober {
    cfg: Arc<ProbeConfig>,
    stats: Arc<Stats>,
}

impl Prober {
    /// A prober with this configuration.
    pub fn new(cfg: ProbeConfig) -> Result<Prober, EngineError> {
        Ok(Prober {
            cfg: Arc::new(cfg),
            stats: Arc::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ProbeConfig {
        &self.cfg
    }

    /// The counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Deepens depth-`syntax` verdicts with DNS and SMTP, returning them in
    /// the same order. `known_mx` maps an ASCII domain to MX records the
    /// caller already resolved (DNS is then skipped for that domain).
    pub async fn probe(
        &self,
        verdicts: Vec<Verdict>,
        known_mx: &HashMap<String, Vec<MxRecord>>,
    ) -> Vec<Verdict> {
        let _ = known_mx;
        verdicts
    }
}
