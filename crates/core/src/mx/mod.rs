//! MX planning (RFC 5321 §5.1, RFC 7505) and the address-safety rules for
//! hosts learned from DNS. No I/O: callers pass in DNS answers and a seed.
//!
//! The native probe (a system resolver) and the edge worker (DNS-over-HTTPS)
//! both drive the same small state machine:
//!
//! 1. Query MX for the domain and hand the outcome to [`plan`] as an
//!    [`MxAnswer`].
//! 2. [`MxDecision::Plan`]: try [`MxPlan::hosts`] in order.
//!    [`MxDecision::Fail`]: the verdict's reason, `detail` and `dns` are in the
//!    [`MxFailure`]. [`MxDecision::NeedAddressLookup`]: there was no MX, so
//!    query A/AAAA of [`ImplicitLookup::domain`] and pass the outcome to
//!    [`ImplicitLookup::finish`] (RFC 5321's implicit MX).
//! 3. A failure goes through the resolver guard ([`guard`], `tld.rs`): a
//!    `no_such_domain` is kept only when the resolver admits the domain's
//!    top-level domain (one NS query, cached), otherwise it becomes
//!    `dns_error` — a resolver that answers NXDOMAIN for every name must not
//!    make a list `invalid`.
//! 4. Before connecting to any address of a planned host, ask
//!    [`check_target_ip`]; a refused address gets [`ForbiddenAddress::detail`].
//!
//! # Decisions
//!
//! - **Null MX.** RFC 7505 defines a null MX as the *single* record `0 .`;
//!   that gives [`Reason::NullMx`]. A root exchange (`.`) published beside
//!   usable MX hosts is not a null MX by that definition (§3 says the domain
//!   MUST NOT publish others): the root record is skipped and the other hosts
//!   are planned, because senders that skip the unusable record deliver there,
//!   and `null_mx` makes an address `invalid` and suppressed at once. The skip
//!   is listed in [`MxPlan::skipped`] as [`SkipReason::NullMxAmongOthers`].
//!   When no usable host remains and any record had a root exchange (`0 .`,
//!   `10 .`, or `.` beside only unusable records), the answer is `null_mx`:
//!   the domain said it takes no mail, and no sender could deliver anyway.
//! - **Unusable exchanges.** RFC 5321 §5.1 requires MX targets to be host
//!   names. An IP literal (`192.0.2.1`, `[192.0.2.1]`, `2001:db8::1`) or a
//!   malformed name is skipped (as common MTAs do), never connected to, and
//!   listed in [`MxPlan::skipped`]. If MX records exist but none is usable the
//!   result is [`Reason::NoMailServer`], with no fallback to A/AAAA: §5.1 says
//!   this "MUST be reported as an error".
//! - **Order.** Ascending preference; equal preferences are shuffled with a
//!   small seeded PRNG (splitmix64) after sorting by name, so the order depends
//!   only on the record set and the seed, never on the order a resolver
//!   returned. Pass [`domain_seed`] for an order that is the same in every
//!   part; pass a random seed to spread load.
//! - **Normalization.** Exchanges are lower-cased with one trailing dot
//!   removed; a host listed twice keeps its lowest preference.

mod addr;
mod tld;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use thiserror::Error;

pub use addr::{check_target_ip, ForbiddenAddress};
pub use tld::{
    guard, tld_of, Guard, Guarded, ResolverFault, TldAnswer, TldQuestion, REFERENCE_TLD,
    TLD_EXISTS_CACHE_SECS, TLD_MISSING_CACHE_SECS,
};

use crate::verdict::{DnsInfo, MxRecord, Reason};

/// The outcome of the MX query for a domain, as the resolver reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MxAnswer {
    /// MX records (in any order; exchanges as received, trailing dot or not).
    Records {
        /// The records of the answer.
        records: Vec<MxRecord>,
        /// The smallest TTL of the records, in seconds, if known.
        ttl: Option<u32>,
    },
    /// The name exists but has no MX records (NOERROR, no data).
    NoRecords {
        /// The negative-caching TTL (from the SOA), in seconds, if known.
        ttl: Option<u32>,
    },
    /// The name does not exist (NXDOMAIN).
    NxDomain {
        /// The negative-caching TTL (from the SOA), in seconds, if known.
        ttl: Option<u32>,
    },
    /// The lookup failed (SERVFAIL, REFUSED, timeout …); the text says how.
    Failed(String),
}

/// The outcome of the A and AAAA queries for a domain without MX records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressAnswer {
    /// At least one A or AAAA record.
    Found {
        /// The smallest TTL of the records, in seconds, if known.
        ttl: Option<u32>,
    },
    /// Neither A nor AAAA records.
    NoRecords {
        /// The negative-caching TTL (from the SOA), in seconds, if known.
        ttl: Option<u32>,
    },
    /// The name does not exist (NXDOMAIN).
    NxDomain {
        /// The negative-caching TTL (from the SOA), in seconds, if known.
        ttl: Option<u32>,
    },
    /// The lookups failed (SERVFAIL, timeout …); the text says how.
    Failed(String),
}

/// What to do after the MX query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MxDecision {
    /// No MX records: query A/AAAA of the domain, then call
    /// [`ImplicitLookup::finish`].
    NeedAddressLookup(ImplicitLookup),
    /// Try these hosts, in order.
    Plan(MxPlan),
    /// The domain cannot receive mail, or DNS could not tell.
    Fail(MxFailure),
}

/// The pending implicit-MX step (RFC 5321 §5.1): the domain had no MX records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImplicitLookup {
    domain: String,
    mx_ttl: Option<u32>,
}

/// The hosts to try for a domain, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxPlan {
    /// Usable hosts in the order to try them (preference ascending).
    pub hosts: Vec<MxRecord>,
    /// There were no MX records; `hosts` is the domain itself, preference 0.
    pub implicit: bool,
    /// The smallest TTL of the answers used, in seconds, if known.
    pub ttl: Option<u32>,
    /// Records that were left out, and why (normalized exchange names).
    pub skipped: Vec<SkippedRecord>,
}

/// An MX record left out of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRecord {
    /// The record, exchange normalized (`""` for the root, `.`).
    pub record: MxRecord,
    /// Why it was left out.
    pub why: SkipReason,
}

/// Why an MX record cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// The root (`.`) published beside usable MX hosts (see the module docs).
    NullMxAmongOthers,
    /// The root (`.`) with a preference other than 0: not a host.
    RootExchange,
    /// An IP address where RFC 5321 requires a host name.
    IpLiteral,
    /// Not a well-formed host name.
    InvalidName,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::NullMxAmongOthers => "a null MX published beside other MX records",
            SkipReason::RootExchange => "the root, not a host name",
            SkipReason::IpLiteral => "an IP address, not a host name",
            SkipReason::InvalidName => "not a valid host name",
        })
    }
}

impl fmt::Display for SkippedRecord {
    /// `MX 10 192.0.2.1: an IP address, not a host name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.record.exchange.is_empty() {
            "."
        } else {
            &self.record.exchange
        };
        write!(f, "MX {} {}: {}", self.record.preference, name, self.why)
    }
}

/// Why a domain gets no plan: the verdict's reason, `detail` and `dns`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{detail}")]
pub struct MxFailure {
    /// `null_mx`, `no_such_domain`, `no_mail_server` or `dns_error`.
    pub reason: Reason,
    /// A few words for people debugging (the verdict's `detail`).
    pub detail: String,
    /// The verdict's `dns` object; `None` with `dns_error`.
    pub dns: Option<DnsInfo>,
}

impl MxPlan {
    /// The verdict's `dns` object for this plan.
    pub fn dns_info(&self) -> DnsInfo {
        DnsInfo {
            mx: self.hosts.clone(),
            null_mx: false,
            implicit_mx: self.implicit,
            ttl: self.ttl,
        }
    }
}

impl AddressAnswer {
    /// One answer from the separate A and AAAA queries: an address of either
    /// family wins; then NXDOMAIN; then a failure; otherwise there are no
    /// records, with the smaller negative TTL.
    pub fn combine(a: AddressAnswer, aaaa: AddressAnswer) -> AddressAnswer {
        use AddressAnswer::{Failed, Found, NoRecords, NxDomain};
        match (a, aaaa) {
            (Found { ttl }, _) | (_, Found { ttl }) => Found { ttl },
            (NxDomain { ttl }, _) | (_, NxDomain { ttl }) => NxDomain { ttl },
            (Failed(why), _) | (_, Failed(why)) => Failed(why),
            (NoRecords { ttl: t1 }, NoRecords { ttl: t2 }) => NoRecords {
                ttl: min_ttl(t1, t2),
            },
        }
    }
}

impl ImplicitLookup {
    /// The name to query A and AAAA for (lower case, no trailing dot).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Completes the plan with the outcome of the A/AAAA queries: the domain
    /// itself as the only host (preference 0), or why there is none.
    pub fn finish(self, addresses: AddressAnswer) -> Result<MxPlan, MxFailure> {
        let domain = self.domain;
        match addresses {
            AddressAnswer::Found { ttl } => Ok(MxPlan {
                hosts: vec![MxRecord {
                    preference: 0,
                    exchange: domain,
                }],
                implicit: true,
                ttl: min_ttl(self.mx_ttl, ttl),
                skipped: Vec::new(),
            }),
            AddressAnswer::NoRecords { ttl } => Err(MxFailure {
                reason: Reason::NoMailServer,
                detail: format!("{domain} has no MX and no A/AAAA record"),
                dns: Some(empty_dns(min_ttl(self.mx_ttl, ttl))),
            }),
            AddressAnswer::NxDomain { ttl } => Err(no_such_domain(&domain, ttl)),
            AddressAnswer::Failed(why) => Err(dns_error("A/AAAA", &domain, &why)),
        }
    }
}

/// Plans delivery for `domain_ascii` (the A-label form) from its MX answer.
/// `seed` orders hosts of equal preference (see [`domain_seed`]).
pub fn plan(domain_ascii: &str, mx: MxAnswer, seed: u64) -> MxDecision {
    let domain = normalize_name(domain_ascii);
    match mx {
        MxAnswer::Records { records, ttl } if records.is_empty() => {
            MxDecision::NeedAddressLookup(ImplicitLookup {
                domain,
                mx_ttl: ttl,
            })
        }
        MxAnswer::Records { records, ttl } => plan_records(&domain, records, ttl, seed),
        MxAnswer::NoRecords { ttl } => MxDecision::NeedAddressLookup(ImplicitLookup {
            domain,
            mx_ttl: ttl,
        }),
        MxAnswer::NxDomain { ttl } => MxDecision::Fail(no_such_domain(&domain, ttl)),
        MxAnswer::Failed(why) => MxDecision::Fail(dns_error("MX", &domain, &why)),
    }
}

/// The implicit-MX step on its own, for callers that queried MX and A/AAAA
/// together and got no MX records: same as [`ImplicitLookup::finish`].
pub fn plan_implicit(domain_ascii: &str, addresses: AddressAnswer) -> Result<MxPlan, MxFailure> {
    ImplicitLookup {
        domain: normalize_name(domain_ascii),
        mx_ttl: None,
    }
    .finish(addresses)
}

/// A seed derived from the domain alone (64-bit FNV-1a of its lower-case
/// form): every part that uses it orders equal-preference hosts the same way.
pub fn domain_seed(domain_ascii: &str) -> u64 {
    normalize_name(domain_ascii)
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// What an exchange name is, after normalization.
enum Exchange {
    Root,
    Host,
    Unusable(SkipReason),
}

/// Skipped records by preference, then name: independent of answer order.
fn sort_skipped(skipped: &mut [SkippedRecord]) {
    skipped.sort_by(|a, b| {
        (a.record.preference, &a.record.exchange).cmp(&(b.record.preference, &b.record.exchange))
    });
}

fn plan_records(domain: &str, records: Vec<MxRecord>, ttl: Option<u32>, seed: u64) -> MxDecision {
    // Lowest preference per distinct usable host; unusable records aside.
    let mut hosts: BTreeMap<String, u16> = BTreeMap::new();
    let mut roots: Vec<u16> = Vec::new();
    let mut skipped: Vec<SkippedRecord> = Vec::new();
    for MxRecord {
        preference,
        exchange,
    } in records
    {
        let exchange = normalize_name(&exchange);
        match classify(&exchange) {
            Exchange::Host => {
                let pref = hosts.entry(exchange).or_insert(preference);
                *pref = (*pref).min(preference);
            }
            Exchange::Root => roots.push(preference),
            Exchange::Unusable(why) => skipped.push(SkippedRecord {
                record: MxRecord {
                    preference,
                    exchange,
                },
                why,
            }),
        }
    }
    roots.sort_unstable();
    roots.dedup();

    if hosts.is_empty() {
        if !roots.is_empty() {
            return MxDecision::Fail(MxFailure {
                reason: Reason::NullMx,
                detail: format!("{domain} publishes a null MX (RFC 7505)"),
                dns: Some(DnsInfo {
                    mx: Vec::new(),
                    null_mx: true,
                    implicit_mx: false,
                    ttl,
                }),
            });
        }
        // A few words, not a dump: at most three records, then a count, in a
        // fixed order so every resolver's answer reads the same.
        sort_skipped(&mut skipped);
        let mut list: Vec<String> = skipped.iter().take(3).map(ToString::to_string).collect();
        if skipped.len() > 3 {
            list.push(format!("{} more", skipped.len() - 3));
        }
        return MxDecision::Fail(MxFailure {
            reason: Reason::NoMailServer,
            detail: format!("no usable MX host for {domain} ({})", list.join("; ")),
            dns: Some(empty_dns(ttl)),
        });
    }

    for preference in roots {
        let why = if preference == 0 {
            SkipReason::NullMxAmongOthers
        } else {
            SkipReason::RootExchange
        };
        skipped.push(SkippedRecord {
            record: MxRecord {
                preference,
                exchange: String::new(),
            },
            why,
        });
    }
    sort_skipped(&mut skipped);

    MxDecision::Plan(MxPlan {
        hosts: order(hosts, seed),
        implicit: false,
        ttl,
        skipped,
    })
}

/// Preference ascending; each run of equal preference shuffled by the seed.
/// The map iterates by name, so the input order never matters.
fn order(hosts: BTreeMap<String, u16>, seed: u64) -> Vec<MxRecord> {
    let mut list: Vec<MxRecord> = hosts
        .into_iter()
        .map(|(exchange, preference)| MxRecord {
            preference,
            exchange,
        })
        .collect();
    // Stable: names stay sorted within a preference.
    list.sort_by_key(|r| r.preference);
    let mut rng = SplitMix64(seed);
    let mut start = 0;
    while start < list.len() {
        let pref = list[start].preference;
        let len = list[start..]
            .iter()
            .take_while(|r| r.preference == pref)
            .count();
        rng.shuffle(&mut list[start..start + len]);
        start += len;
    }
    list
}

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and plenty for load
/// spreading. Not for secrets.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0), by multiply-and-shift; the bias is below
    /// 2^-50 for any MX set DNS can carry.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Fisher–Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Lower case, surrounding ASCII whitespace and one trailing dot removed.
fn normalize_name(name: &str) -> String {
    let name = name.trim_matches(|c: char| c.is_ascii_whitespace());
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// Classifies a normalized exchange name.
fn classify(name: &str) -> Exchange {
    if name.is_empty() {
        return Exchange::Root;
    }
    let bare = name
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(name);
    let bare = bare.strip_prefix("ipv6:").unwrap_or(bare);
    if bare.parse::<IpAddr>().is_ok() {
        return Exchange::Unusable(SkipReason::IpLiteral);
    }
    if is_host_name(name) {
        Exchange::Host
    } else {
        Exchange::Unusable(SkipReason::InvalidName)
    }
}

/// A lenient host-name check: 1–63 octets per label of letters, digits, `-`
/// and `_`, at most 253 octets, and a top label that is not all digits
/// (RFC 1123 §2.1, which keeps names and IPv4 addresses apart).
fn is_host_name(name: &str) -> bool {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    name.len() <= 253
        && name.split('.').all(label_ok)
        && !name
            .rsplit('.')
            .next()
            .is_some_and(|top| top.bytes().all(|b| b.is_ascii_digit()))
}

fn min_ttl(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn empty_dns(ttl: Option<u32>) -> DnsInfo {
    DnsInfo {
        mx: Vec::new(),
        null_mx: false,
        implicit_mx: false,
        ttl,
    }
}

fn no_such_domain(domain: &str, ttl: Option<u32>) -> MxFailure {
    MxFailure {
        reason: Reason::NoSuchDomain,
        detail: format!("{domain} does not exist (NXDOMAIN)"),
        dns: Some(empty_dns(ttl)),
    }
}

fn dns_error(query: &str, domain: &str, why: &str) -> MxFailure {
    let why = why.trim();
    let detail = if why.is_empty() {
        format!("{query} lookup for {domain} failed")
    } else {
        format!("{query} lookup for {domain} failed: {why}")
    };
    MxFailure {
        reason: Reason::DnsError,
        detail,
        dns: None,
    }
}

#[cfg(test)]
mod tests;
