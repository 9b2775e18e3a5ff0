//! The per-request pipeline: syntax (core, the same code as the browser),
//! then the suppression list, then DNS over HTTPS once per distinct domain,
//! then one signed call to the probe backend for the whole request, merged
//! by core's `outcome` rules.
//!
//! - **Suppression.** Every address that passed the syntax step is looked up
//!   in D1 by core's `suppression::verdict_key` (one query per request); a
//!   suppressed one is answered `invalid` / `suppressed` with its
//!   `suppression` record (core's `apply_suppression`) and costs no DNS
//!   lookup and no probe. Without a D1 binding the step is skipped; a D1
//!   failure is logged and the checks go on without it.
//! - **Subrequest budget.** Every DoH lookup (MX; A and AAAA only where there
//!   is no MX; NS of a top-level domain for the resolver guard) and the
//!   probe call count against `SUBREQUEST_BUDGET`. The probe call is
//!   reserved first; a domain whose lookups would exceed what is left is
//!   answered at depth `syntax` with a `detail` that says so. Cache hits
//!   cost nothing.
//! - **The resolver guard.** An NXDOMAIN goes through core's `mx::guard`:
//!   it stays `no_such_domain` only when the DoH resolver admits the
//!   domain's top-level domain (NS; then `com` if the TLD is denied);
//!   otherwise it becomes `dns_error`, the detail naming the resolver as
//!   `DOH_URL` (the URL itself goes to the operator's log only). A TLD's
//!   answer is asked once per request (its domains share it) and cached
//!   like a domain's outcome, for core's `TldAnswer::cache_secs`; a failed
//!   NS query is not cached beyond the request.
//! - **Caching.** A domain's DNS outcome is cached for its TTL (30 s to one
//!   day; `dns_error` never). A verdict that reached DNS or SMTP is cached for
//!   `VERDICT_CACHE_TTL` unless its status is `unknown`. Every verdict says
//!   `"cache": "hit"` or `"miss"`.
//! - **Failures.** A DoH resolver that fails or is slow gives `dns_error`; a
//!   probe that fails or is slow gives `smtp_unavailable`, both within their
//!   deadlines — never a 500.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

use prebounce_api::{ProbeAnswer, ProbeRequest};
use prebounce_core::mx::{
    guard, plan, AddressAnswer, Guard, MxAnswer, MxDecision, MxFailure, TldAnswer,
};
use prebounce_core::outcome::{
    apply_dns, apply_mx_failure, apply_smtp, apply_suppression, needs_network, SmtpOutcome,
};
use prebounce_core::suppression;
use prebounce_core::verdict::DnsInfo;
use prebounce_core::{unreadable, Checker, Options, Reason, Status, SyntaxErrorCode, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::doh::{self, QType};
use crate::platform::{DbError, Outbound, Platform};
use crate::probe_client;
use crate::store;
use crate::Config;

/// One item of a request: a string, or any other JSON value (answered
/// `invalid_syntax` / `not_a_string`); the probe API's item type.
pub use prebounce_api::Item;

/// A domain's DNS outcome, as cached.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DnsOutcome {
    /// Hosts to try.
    Plan(DnsInfo),
    /// Why there are none.
    Fail {
        reason: Reason,
        detail: String,
        dns: Option<DnsInfo>,
    },
    /// Not looked up: the subrequest budget was spent.
    OverBudget,
}

const DNS_TTL_MIN: u32 = 30;
const DNS_TTL_MAX: u32 = 86_400;

/// The DoH resolver as verdicts name it: by its setting, not its URL (API
/// clients need not learn where the resolver lives).
pub const DOH_RESOLVER_NAME: &str = "the edge's DoH resolver (DOH_URL)";

/// The top-level domains' NS answers of one request, shared by its domains.
#[derive(Default)]
struct TldMemo {
    answers: HashMap<String, TldAnswer>,
    /// A lying resolver was reported to the operator's log already.
    logged: bool,
}

/// Checks a batch: verdicts as JSON objects, in input order, each with
/// `cache`.
pub async fn check_all(
    items: Vec<Item>,
    options: Options,
    config: &Config,
    platform: &impl Platform,
) -> Vec<Value> {
    let checker = Checker::new(options);
    let opt_key = options_key(&options);
    let mut verdicts: Vec<Verdict> = items
        .iter()
        .map(|item| match item {
            Item::Text(s) => checker.verdict(s),
            Item::Other(json) => unreadable(json.clone(), SyntaxErrorCode::NotAString),
        })
        .collect();
    let mut hit = vec![false; verdicts.len()];

    suppress(&mut verdicts, platform).await;

    // Verdicts cached earlier.
    if config.verdict_cache_ttl > 0 {
        for (i, v) in verdicts.iter_mut().enumerate() {
            if !needs_network(v) {
                continue;
            }
            if let Some(bytes) = platform.cache_get(&verdict_key(&opt_key, &v.input)).await {
                if let Ok(cached) = serde_json::from_slice::<Verdict>(&bytes) {
                    *v = cached;
                    hit[i] = true;
                }
            }
        }
    }

    // Distinct domains still undecided, in order of first appearance.
    let mut domains: Vec<String> = Vec::new();
    for (i, v) in verdicts.iter().enumerate() {
        if !hit[i] && needs_network(v) {
            if let Some(d) = &v.domain {
                if !domains.contains(d) {
                    domains.push(d.clone());
                }
            }
        }
    }
    let budget = Cell::new(config.subrequest_budget);
    let probe_reserved = config.probe_url.is_some() && !domains.is_empty() && take(&budget, 1);
    let tlds = futures::lock::Mutex::new(TldMemo::default());
    let lookups = domains
        .iter()
        .map(|d| resolve(d, config, platform, &budget, &tlds));
    let outcomes: HashMap<String, DnsOutcome> = domains
        .iter()
        .cloned()
        .zip(futures::future::join_all(lookups).await)
        .collect();

    let mut probe_idx = Vec::new();
    for (i, v) in verdicts.iter_mut().enumerate() {
        if hit[i] || !needs_network(v) {
            continue;
        }
        let Some(outcome) = v.domain.as_ref().and_then(|d| outcomes.get(d)) else {
            continue;
        };
        match outcome {
            DnsOutcome::Plan(dns) => {
                apply_dns(v, dns.clone());
                if probe_reserved {
                    probe_idx.push(i);
                }
            }
            DnsOutcome::Fail {
                reason,
                detail,
                dns,
            } => apply_mx_failure(
                v,
                &MxFailure {
                    reason: *reason,
                    detail: detail.clone(),
                    dns: dns.clone(),
                },
            ),
            DnsOutcome::OverBudget => {
                v.detail = Some(format!(
                    "DNS not checked: this request needs more than the {} outbound lookups allowed per request (SUBREQUEST_BUDGET); send fewer domains at once",
                    config.subrequest_budget
                ));
            }
        }
    }

    if !probe_idx.is_empty() {
        probe(
            &mut verdicts,
            &probe_idx,
            &outcomes,
            &items,
            options,
            config,
            platform,
        )
        .await;
    }

    // Remember what is worth remembering.
    if config.verdict_cache_ttl > 0 {
        for (i, v) in verdicts.iter().enumerate() {
            if hit[i] || v.dns.is_none() || v.status == Status::Unknown {
                continue;
            }
            if let Ok(bytes) = serde_json::to_vec(v) {
                let key = verdict_key(&opt_key, &v.input);
                platform
                    .cache_put(&key, bytes, config.verdict_cache_ttl)
                    .await;
            }
        }
    }

    verdicts
        .into_iter()
        .zip(hit)
        .map(|(v, hit)| {
            let mut value = serde_json::to_value(&v).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("cache".into(), json!(if hit { "hit" } else { "miss" }));
            }
            value
        })
        .collect()
}

/// Marks the addresses on the suppression list (see the module doc).
async fn suppress(verdicts: &mut [Verdict], platform: &impl Platform) {
    let keys: Vec<Option<String>> = verdicts
        .iter()
        .map(|v| {
            if needs_network(v) {
                suppression::verdict_key(v)
            } else {
                None
            }
        })
        .collect();
    let mut distinct: Vec<String> = keys.iter().flatten().cloned().collect();
    distinct.sort();
    distinct.dedup();
    if distinct.is_empty() {
        return;
    }
    let found = match store::lookup(platform, &distinct).await {
        Ok(found) => found,
        Err(DbError::Unbound(_)) => return,
        Err(e) => {
            platform.log(&format!(
                "suppression lookup failed, checked without it: {e}"
            ));
            return;
        }
    };
    for (v, key) in verdicts.iter_mut().zip(keys) {
        if let Some(record) = key.and_then(|k| found.get(&k)) {
            apply_suppression(v, record.clone());
        }
    }
}

/// Takes `n` from the budget if there is that much left.
fn take(budget: &Cell<usize>, n: usize) -> bool {
    let left = budget.get();
    if left >= n {
        budget.set(left - n);
        true
    } else {
        false
    }
}

/// The cache key of a verdict: the options and the input as given.
fn verdict_key(options: &str, input: &str) -> String {
    format!("verdict/v1/{options}/{input}")
}

/// The options in a verdict's cache key: [`Options::to_bits`] as one `0` or
/// `1` per option, in [`Options::NAMES`] order (bit 0 first).
fn options_key(o: &Options) -> String {
    let bits = o.to_bits();
    (0..Options::NAMES.len())
        .map(|i| if bits & (1 << i) != 0 { '1' } else { '0' })
        .collect()
}

/// A domain's DNS outcome: from the cache, or from DoH within the budget.
async fn resolve(
    domain: &str,
    config: &Config,
    platform: &impl Platform,
    budget: &Cell<usize>,
    tlds: &futures::lock::Mutex<TldMemo>,
) -> DnsOutcome {
    let key = format!("dns/v1/{domain}");
    if let Some(bytes) = platform.cache_get(&key).await {
        if let Ok(cached) = serde_json::from_slice::<DnsOutcome>(&bytes) {
            return cached;
        }
    }
    if !take(budget, 1) {
        return DnsOutcome::OverBudget;
    }
    let mx = lookup(domain, QType::Mx, config, platform).await;
    let mx = match mx {
        Ok((status, body)) => doh::mx_answer(status, &body),
        Err(why) => MxAnswer::Failed(why),
    };
    let guarded = |f: MxFailure| guarded(domain, f, config, platform, budget, tlds);
    let outcome = match plan(domain, mx, prebounce_core::mx::domain_seed(domain)) {
        MxDecision::Plan(p) => DnsOutcome::Plan(p.dns_info()),
        MxDecision::Fail(f) => guarded(f).await,
        MxDecision::NeedAddressLookup(next) => {
            if !take(budget, 2) {
                return DnsOutcome::OverBudget;
            }
            let (a, aaaa) = futures::join!(
                lookup(next.domain(), QType::A, config, platform),
                lookup(next.domain(), QType::Aaaa, config, platform)
            );
            let read = |r: Result<(u16, Vec<u8>), String>| match r {
                Ok((status, body)) => doh::address_answer(status, &body),
                Err(why) => AddressAnswer::Failed(why),
            };
            match next.finish(AddressAnswer::combine(read(a), read(aaaa))) {
                Ok(p) => DnsOutcome::Plan(p.dns_info()),
                Err(f) => guarded(f).await,
            }
        }
    };
    let ttl = match &outcome {
        DnsOutcome::Plan(dns) => dns.ttl,
        DnsOutcome::Fail {
            reason: Reason::DnsError,
            ..
        }
        | DnsOutcome::OverBudget => None,
        DnsOutcome::Fail { dns, .. } => dns.as_ref().and_then(|d| d.ttl).or(Some(DNS_TTL_MIN)),
    };
    if let (Some(ttl), Ok(bytes)) = (ttl, serde_json::to_vec(&outcome)) {
        platform
            .cache_put(&key, bytes, ttl.clamp(DNS_TTL_MIN, DNS_TTL_MAX))
            .await;
    }
    outcome
}

/// A failed plan through core's resolver guard: the outcome to report, or
/// [`DnsOutcome::OverBudget`] when an NS query it needs does not fit.
async fn guarded(
    domain: &str,
    failure: MxFailure,
    config: &Config,
    platform: &impl Platform,
    budget: &Cell<usize>,
    tlds: &futures::lock::Mutex<TldMemo>,
) -> DnsOutcome {
    let mut step = guard(domain, failure, DOH_RESOLVER_NAME);
    loop {
        match step {
            Guard::Done(guarded) => {
                if let Some(fault) = &guarded.fault {
                    let mut memo = tlds.lock().await;
                    if !memo.logged {
                        memo.logged = true;
                        platform.log(&format!(
                            "DOH_URL {}: {fault}; its NXDOMAIN answers are reported as dns_error",
                            config.doh_url
                        ));
                    }
                }
                return fail(guarded.failure);
            }
            Guard::Ask(question) => {
                let Some(answer) = tld_answer(question.tld(), config, platform, budget, tlds).await
                else {
                    return DnsOutcome::OverBudget;
                };
                step = question.answer(answer);
            }
        }
    }
}

/// The NS answer for a top-level domain: from this request, from the cache,
/// or from DoH within the budget (`None` when it does not fit). The memo is
/// held while the query runs, so the request's domains ask once.
async fn tld_answer(
    tld: &str,
    config: &Config,
    platform: &impl Platform,
    budget: &Cell<usize>,
    tlds: &futures::lock::Mutex<TldMemo>,
) -> Option<TldAnswer> {
    let mut memo = tlds.lock().await;
    if let Some(answer) = memo.answers.get(tld) {
        return Some(answer.clone());
    }
    let key = format!("dns/v1/tld/{tld}");
    let cached = match platform.cache_get(&key).await.as_deref() {
        Some(b"exists") => Some(TldAnswer::Exists),
        Some(b"missing") => Some(TldAnswer::Missing),
        _ => None,
    };
    let answer = match cached {
        Some(answer) => answer,
        None => {
            if !take(budget, 1) {
                return None;
            }
            let answer = match lookup(tld, QType::Ns, config, platform).await {
                Ok((status, body)) => doh::tld_answer(status, &body),
                Err(why) => TldAnswer::Failed(why),
            };
            let bytes: &[u8] = match answer {
                TldAnswer::Exists => b"exists",
                _ => b"missing",
            };
            if let Some(secs) = answer.cache_secs() {
                platform.cache_put(&key, bytes.to_vec(), secs).await;
            }
            answer
        }
    };
    memo.answers.insert(tld.to_owned(), answer.clone());
    Some(answer)
}

fn fail(f: MxFailure) -> DnsOutcome {
    DnsOutcome::Fail {
        reason: f.reason,
        detail: f.detail,
        dns: f.dns,
    }
}

async fn lookup(
    name: &str,
    qtype: QType,
    config: &Config,
    platform: &impl Platform,
) -> Result<(u16, Vec<u8>), String> {
    let url = doh::query_url(&config.doh_url, name, qtype)?;
    let resp = platform
        .fetch(Outbound {
            method: "GET".into(),
            url,
            headers: vec![("accept".into(), "application/dns-message".into())],
            body: Vec::new(),
            timeout_ms: config.doh_timeout_ms,
        })
        .await
        .map_err(|e| format!("the DoH resolver did not answer ({e})"))?;
    Ok((resp.status, resp.body))
}

/// One signed batch call to the probe for the verdicts at `idx`.
async fn probe(
    verdicts: &mut [Verdict],
    idx: &[usize],
    outcomes: &HashMap<String, DnsOutcome>,
    items: &[Item],
    options: Options,
    config: &Config,
    platform: &impl Platform,
) {
    let (Some(url), Some(secret)) = (&config.probe_url, &config.probe_secret) else {
        return;
    };
    let mut request = ProbeRequest {
        emails: Vec::with_capacity(idx.len()),
        mx: BTreeMap::new(),
        options,
    };
    for &i in idx {
        let item @ Item::Text(_) = &items[i] else {
            continue;
        };
        request.emails.push(item.clone());
        if let Some(d) = &verdicts[i].domain {
            if let Some(DnsOutcome::Plan(dns)) = outcomes.get(d) {
                request.mx.insert(d.clone(), dns.mx.clone());
            }
        }
    }
    let body = serde_json::to_vec(&request).unwrap_or_default();
    let request =
        probe_client::signed_request(url, secret, body, platform, config.probe_timeout_ms);
    let answer = match platform.fetch(request).await {
        Ok(r) if r.status == 200 => serde_json::from_slice::<ProbeAnswer>(&r.body)
            .map_err(|e| format!("the probe backend sent an unreadable answer ({e})")),
        Ok(r) => Err(format!("the probe backend answered HTTP {}", r.status)),
        Err(e) => Err(format!("the probe backend did not answer ({e})")),
    };
    match answer {
        Ok(a) if a.results.len() == idx.len() => {
            for (&i, probed) in idx.iter().zip(a.results) {
                let v = &mut verdicts[i];
                if probed.input != v.input {
                    continue;
                }
                let dns = v.dns.take();
                *v = probed;
                // Our DoH answer has the TTLs; the probe only saw the hosts.
                if dns.is_some() {
                    v.dns = dns;
                }
            }
        }
        other => {
            let detail = match other {
                Ok(_) => "the probe backend answered for a different number of addresses".into(),
                Err(e) => e,
            };
            for &i in idx {
                apply_smtp(
                    &mut verdicts[i],
                    &SmtpOutcome::Unavailable {
                        mx: None,
                        answered: false,
                        tls: false,
                        detail: detail.clone(),
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod options_key_tests {
    use super::*;

    #[test]
    fn the_cache_key_of_the_options_keeps_its_shape() {
        assert_eq!(options_key(&Options::default()), "001000");
        let o = Options {
            allow_quoted_local: true,
            role_is_risky: true,
            ..Options::default()
        };
        assert_eq!(options_key(&o), "101001");
    }
}
