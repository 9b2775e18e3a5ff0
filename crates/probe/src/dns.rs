//! DNS for the probe: MX, A and AAAA through hickory-resolver, reported in
//! core's terms ([`MxAnswer`], [`AddressAnswer`]) so that core plans.
//!
//! Names are always queried fully qualified (a trailing dot), so the system's
//! search list never turns `example.com` into `example.com.corp.local`.
//!
//! The NS answers for top-level domains that core's resolver guard asks for
//! ([`Dns::tld`]) are cached per client for the process, for as long as
//! core's [`TldAnswer::cache_secs`] allows; concurrent askers of one TLD
//! share one query.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use prebounce_core::mx::{AddressAnswer, MxAnswer, TldAnswer};
use prebounce_core::verdict::MxRecord;

/// A DNS client: the system's resolvers, or one server (`--resolver`).
#[derive(Clone)]
pub struct Dns {
    resolver: TokioResolver,
    /// The resolver as people read it in a verdict's `detail`.
    name: Arc<str>,
    /// NS answers for top-level domains: one slot per TLD, locked while
    /// its query runs.
    tlds: Arc<Mutex<HashMap<String, TldSlot>>>,
    /// NS queries for top-level domains sent so far.
    tld_queries: Arc<std::sync::atomic::AtomicU64>,
}

/// A cached TLD answer and when it stops being good.
type TldSlot = Arc<tokio::sync::Mutex<Option<(TldAnswer, Instant)>>>;

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dns")
    }
}

/// What a lookup found, before it is put in core's terms.
enum Found<T> {
    Records(Vec<T>, Option<u32>),
    NoData(Option<u32>),
    NxDomain(Option<u32>),
    Failed(String),
}

impl Dns {
    /// A client for `server` (UDP, falling back to TCP), or for the system's
    /// configured resolvers. `timeout` bounds each query.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Dns, String> {
        let provider = TokioRuntimeProvider::default();
        let name: String;
        let mut builder = match server {
            Some(addr) => {
                name = format!("the resolver {addr}");
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![ns]),
                    provider,
                )
            }
            None => {
                // What TokioResolver::builder does, keeping the servers' names.
                let (config, options) =
                    hickory_resolver::system_conf::read_system_conf().map_err(|e| e.to_string())?;
                let mut ips: Vec<String> = Vec::new();
                for ns in config.name_servers() {
                    let ip = ns.ip.to_string();
                    if !ips.contains(&ip) {
                        ips.push(ip);
                    }
                }
                name = format!("the system resolver (/etc/resolv.conf: {})", ips.join(", "));
                let mut builder = TokioResolver::builder_with_config(config, provider);
                *builder.options_mut() = options;
                builder
            }
        };
        let opts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 2;
        opts.ndots = 0;
        opts.cache_size = 8192;
        let resolver = builder.build().map_err(|e| e.to_string())?;
        Ok(Dns {
            resolver,
            name: name.into(),
            tlds: Arc::default(),
            tld_queries: Arc::default(),
        })
    }

    /// The resolver as a verdict's `detail` names it: `the resolver
    /// 127.0.0.1:53` (`--resolver`), or `the system resolver
    /// (/etc/resolv.conf: 10.0.0.1)`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// NS queries for top-level domains sent so far (cache hits not
    /// counted).
    pub fn tld_queries(&self) -> u64 {
        self.tld_queries.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the top-level domain `tld` exists, for core's resolver guard:
    /// NOERROR with or without NS records, NXDOMAIN, or a failure. Cached
    /// (see the module docs).
    pub async fn tld(&self, tld: &str) -> TldAnswer {
        let key = tld.trim_end_matches('.').to_ascii_lowercase();
        let slot = {
            let mut map = self.tlds.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.clone()).or_default().clone()
        };
        let mut cached = slot.lock().await;
        if let Some((answer, until)) = &*cached {
            if Instant::now() < *until {
                return answer.clone();
            }
        }
        self.tld_queries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let found = self.lookup(&key, RecordType::NS, |_| Some(())).await;
        let answer = match found {
            Found::Records(..) | Found::NoData(_) => TldAnswer::Exists,
            Found::NxDomain(_) => TldAnswer::Missing,
            Found::Failed(why) => TldAnswer::Failed(why),
        };
        *cached = answer.cache_secs().map(|secs| {
            (
                answer.clone(),
                Instant::now() + Duration::from_secs(secs.into()),
            )
        });
        answer
    }

    /// The MX answer for `domain` (ASCII).
    pub async fn mx(&self, domain: &str) -> MxAnswer {
        let found = self
            .lookup(domain, RecordType::MX, |data| match data {
                RData::MX(mx) => Some(MxRecord {
                    preference: mx.preference,
                    exchange: mx.exchange.to_ascii(),
                }),
                _ => None,
            })
            .await;
        match found {
            Found::Records(records, ttl) => MxAnswer::Records { records, ttl },
            Found::NoData(ttl) => MxAnswer::NoRecords { ttl },
            Found::NxDomain(ttl) => MxAnswer::NxDomain { ttl },
            Found::Failed(why) => MxAnswer::Failed(why),
        }
    }

    /// Whether `domain` has A or AAAA records (the implicit-MX step).
    pub async fn addresses(&self, domain: &str) -> AddressAnswer {
        let (a, aaaa) = tokio::join!(
            self.lookup(domain, RecordType::A, ip_of),
            self.lookup(domain, RecordType::AAAA, ip_of)
        );
        let answer = |found: Found<IpAddr>| match found {
            Found::Records(_, ttl) => AddressAnswer::Found { ttl },
            Found::NoData(ttl) => AddressAnswer::NoRecords { ttl },
            Found::NxDomain(ttl) => AddressAnswer::NxDomain { ttl },
            Found::Failed(why) => AddressAnswer::Failed(why),
        };
        AddressAnswer::combine(answer(a), answer(aaaa))
    }

    /// The IP addresses of a host: IPv4 first, then IPv6 (as most MTAs on
    /// IPv4-only hosts do). Empty when it has none.
    pub async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let (a, aaaa) = tokio::join!(
            self.lookup(host, RecordType::A, ip_of),
            self.lookup(host, RecordType::AAAA, ip_of)
        );
        let mut ips = Vec::new();
        let mut failure = None;
        for found in [a, aaaa] {
            match found {
                Found::Records(r, _) => ips.extend(r),
                Found::Failed(why) => failure = Some(why),
                Found::NoData(_) | Found::NxDomain(_) => {}
            }
        }
        match failure {
            Some(why) if ips.is_empty() => Err(why),
            _ => Ok(ips),
        }
    }

    async fn lookup<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> Found<T> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.lookup(fqdn.as_str(), rtype).await {
            Ok(lookup) => {
                let mut ttl: Option<u32> = None;
                let mut out = Vec::new();
                for r in lookup.answers() {
                    if let Some(t) = pick(&r.data) {
                        ttl = Some(ttl.map_or(r.ttl, |m| m.min(r.ttl)));
                        out.push(t);
                    }
                }
                if out.is_empty() {
                    Found::NoData(None)
                } else {
                    Found::Records(out, ttl)
                }
            }
            Err(NetError::Dns(DnsError::NoRecordsFound(NoRecords {
                response_code,
                negative_ttl,
                ..
            }))) => match response_code {
                ResponseCode::NXDomain => Found::NxDomain(negative_ttl),
                ResponseCode::NoError => Found::NoData(negative_ttl),
                other => Found::Failed(format!("the server answered {other}")),
            },
            Err(NetError::Timeout) => Found::Failed("no answer in time".into()),
            Err(NetError::Dns(DnsError::ResponseCode(code))) => {
                Found::Failed(format!("the server answered {code}"))
            }
            Err(e) => Found::Failed(e.to_string()),
        }
    }
}

fn ip_of(data: &RData) -> Option<IpAddr> {
    match data {
        RData::A(a) => Some(IpAddr::V4(a.0)),
        RData::AAAA(a) => Some(IpAddr::V6(a.0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_resolver_is_named_as_details_show_it() {
        let addr: SocketAddr = "127.0.0.1:5353".parse().unwrap();
        let dns = Dns::new(Some(addr), Duration::from_secs(1)).unwrap();
        assert_eq!(dns.name(), "the resolver 127.0.0.1:5353");
        // The system's: read from /etc/resolv.conf (nothing is sent).
        if let Ok(dns) = Dns::new(None, Duration::from_secs(1)) {
            assert!(
                dns.name()
                    .starts_with("the system resolver (/etc/resolv.conf: "),
                "{}",
                dns.name()
            );
        }
    }
}
