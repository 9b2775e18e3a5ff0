//! The probe engine: DNS, then SMTP, for a batch of addresses.
//!
//! - Addresses are grouped by domain; each domain is planned once (core's
//!   `mx::plan`) and its addresses share SMTP sessions: many RCPTs per
//!   transaction, pipelined where offered, a new connection before the
//!   server's error limits bite (`--errors-per-session`) or after a 421.
//! - The catch-all question (a random local part at the same domain) is asked
//!   once per domain, right after the first real address, and remembered for
//!   an hour.
//! - Sessions are capped in all (`--concurrency`) and per server IP address
//!   (`--per-mx`). Hosts learned from DNS are checked against core's
//!   address-safety rules before any connection, unless `--allow-private`.
//! - Temporary failures are retried with doubling waits inside the retry
//!   window, while other domains go on; every attempt has its own deadline.
//! - A failed plan goes through core's resolver guard (`mx::guard`): an
//!   NXDOMAIN is asked about its top-level domain (NS, cached by [`Dns`])
//!   and becomes `dns_error` when the resolver denies the TLDs themselves;
//!   [`Prober::probe_report`] tells which verdicts that was.
//!
//! What each group asks and what its answers mean for the queue (group
//! size, the catch-all question, a broken connection, a 421, a refused
//! sender, a UTF-8 address and a server without SMTPUTF8) is
//! `prebounce_smtp::dialogue`'s; the session's commands are
//! `prebounce_smtp::Client`'s. What a reply means, and how it changes a
//! verdict, is core's (`prebounce_core::reply`, `prebounce_core::outcome`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prebounce_core::mx::{
    check_target_ip, domain_seed, guard, plan, Guard, Guarded, MxAnswer, MxDecision, MxFailure,
    ResolverFault,
};
use prebounce_core::outcome::{
    apply_dns, apply_mx_failure, apply_smtp, needs_network, retryable, SmtpOutcome,
};
use prebounce_core::verdict::{DnsInfo, MxRecord};
use prebounce_core::{Stage, Verdict};
use rand::Rng;
use thiserror::Error;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::config::ProbeConfig;
use crate::dns::Dns;
use prebounce_smtp::dialogue::{
    next_group, recipients, screen, settle, Breakage, CatchAll, Limits, Next, Pending, Progress,
    Settled,
};

use crate::smtp::conn::{Conn, ConnError};
use crate::smtp::session::{Greeting, OpenError, Session};

/// Sessions in a row that may break before any answer before a domain's
/// remaining addresses are given up on.
const MAX_FRUITLESS_SESSIONS: u32 = 3;
/// How long a catch-all answer is remembered.
const CATCH_ALL_TTL: Duration = Duration::from_secs(3600);
/// Catch-all answers remembered at most (the cache is cleared beyond).
const CATCH_ALL_CAPACITY: usize = 100_000;
/// Queued addresses per parallel session to one domain (see `run_sessions`).
const ADDRESSES_PER_WORKER: usize = 500;
/// DNS lookups in flight at once.
const DNS_CONCURRENCY: usize = 64;

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
    /// Addresses whose domain has finished (for progress bars).
    pub addresses: AtomicU64,
}

impl Stats {
    /// SMTP connections opened so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Addresses whose network checks have finished so far.
    pub fn addresses(&self) -> u64 {
        self.addresses.load(Ordering::Relaxed)
    }
}

/// Probes addresses: one per process, shared by every request.
#[derive(Debug, Clone)]
pub struct Prober {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cfg: ProbeConfig,
    dns: Option<Dns>,
    stats: Arc<Stats>,
    sessions: Arc<Semaphore>,
    dns_slots: Arc<Semaphore>,
    per_ip: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
    catch_all: Mutex<HashMap<String, (bool, Instant)>>,
}

/// A host to try, in plan order.
#[derive(Debug, Clone)]
struct Host {
    name: String,
    port: u16,
    /// Named by the user (`--mx`): used as given, no address-safety check.
    explicit: bool,
}

/// One domain's run: the queue, the answers, the catch-all state.
#[derive(Debug)]
struct DomainRun {
    domain: String,
    hosts: Vec<Host>,
    smtputf8: bool,
    queue: Mutex<VecDeque<Pending>>,
    results: Mutex<HashMap<String, SmtpOutcome>>,
    catch_all: Mutex<CatchAll>,
    /// Sessions in a row that broke before any recipient was answered.
    fruitless: std::sync::atomic::AtomicU32,
}

/// What [`Prober::probe_report`] found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The verdicts, in input order.
    pub verdicts: Vec<Verdict>,
    /// For each verdict, in the same order: the lying resolver behind its
    /// `dns_error`, when core's resolver guard caught one.
    pub faults: Vec<Option<ResolverFault>>,
}

/// What a domain's task found for its addresses.
enum DomainResult {
    Failed(Guarded),
    Probed {
        dns: Option<DnsInfo>,
        outcomes: HashMap<String, SmtpOutcome>,
    },
}

impl Prober {
    /// A prober with this configuration. Must be called inside a tokio
    /// runtime.
    pub fn new(cfg: ProbeConfig) -> Result<Prober, EngineError> {
        let dns = match Dns::new(
            cfg.resolver,
            cfg.connect_timeout.min(Duration::from_secs(5)),
        ) {
            Ok(d) => Some(d),
            // `--mx` needs no DNS; anything else does.
            Err(_) if cfg.mx.is_some() => None,
            Err(e) => return Err(EngineError::Resolver(e)),
        };
        Ok(Prober {
            inner: Arc::new(Inner {
                sessions: Arc::new(Semaphore::new(cfg.concurrency)),
                dns_slots: Arc::new(Semaphore::new(DNS_CONCURRENCY)),
                cfg,
                dns,
                stats: Arc::default(),
                per_ip: Mutex::default(),
                catch_all: Mutex::default(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ProbeConfig {
        &self.inner.cfg
    }

    /// The counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.inner.stats
    }

    /// Deepens depth-`syntax` verdicts with DNS and SMTP, returning them in
    /// the same order. `known_mx` maps an ASCII domain to MX records the
    /// caller already resolved (the MX query is then skipped for it).
    pub async fn probe(
        &self,
        verdicts: Vec<Verdict>,
        known_mx: &BTreeMap<String, Vec<MxRecord>>,
    ) -> Vec<Verdict> {
        self.probe_report(verdicts, known_mx).await.verdicts
    }

    /// [`Prober::probe`], also telling which verdicts are `dns_error`
    /// because the resolver answered NXDOMAIN for top-level domains that
    /// exist (core's resolver guard): a list run stops on those.
    pub async fn probe_report(
        &self,
        mut verdicts: Vec<Verdict>,
        known_mx: &BTreeMap<String, Vec<MxRecord>>,
    ) -> Report {
        let mut faults: Vec<Option<ResolverFault>> = vec![None; verdicts.len()];
        let mut by_domain: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, v) in verdicts.iter().enumerate() {
            if let (true, Some(d)) = (needs_network(v), &v.domain) {
                by_domain.entry(d.clone()).or_default().push(i);
            }
        }
        let mut tasks = JoinSet::new();
        for (domain, idx) in &by_domain {
            let mut addresses: Vec<String> = idx
                .iter()
                .filter_map(|&i| verdicts[i].address.clone())
                .collect();
            addresses.sort();
            addresses.dedup();
            let known = known_mx.get(domain).cloned();
            let this = self.clone();
            let domain = domain.clone();
            let n = idx.len() as u64;
            tasks.spawn(async move {
                let result = this.probe_domain(&domain, addresses, known).await;
                this.inner.stats.addresses.fetch_add(n, Ordering::Relaxed);
                (domain, result)
            });
        }
        let mut done: HashMap<String, DomainResult> = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((domain, result)) = joined {
                done.insert(domain, result);
            }
        }
        for (domain, idx) in by_domain {
            let result = done.remove(&domain);
            for i in idx {
                let v = &mut verdicts[i];
                match &result {
                    Some(DomainResult::Failed(g)) => {
                        apply_mx_failure(v, &g.failure);
                        faults[i].clone_from(&g.fault);
                    }
                    Some(DomainResult::Probed { dns, outcomes }) => {
                        if let Some(dns) = dns {
                            apply_dns(v, dns.clone());
                        }
                        let key = v.address.clone().unwrap_or_default();
                        if let Some(o) = outcomes.get(&key) {
                            apply_smtp(v, o);
                        }
                    }
                    None => apply_smtp(
                        v,
                        &SmtpOutcome::Unavailable {
                            mx: None,
                            answered: false,
                            tls: false,
                            detail: "internal error while probing this domain".into(),
                        },
                    ),
                }
            }
        }
        Report { verdicts, faults }
    }

    async fn probe_domain(
        &self,
        domain: &str,
        addresses: Vec<String>,
        known: Option<Vec<MxRecord>>,
    ) -> DomainResult {
        let cfg = &self.inner.cfg;
        let (hosts, dns) = if let Some(t) = &cfg.mx {
            let host = Host {
                name: t.host.clone(),
                port: t.port,
                explicit: true,
            };
            (vec![host], None)
        } else {
            match self.plan(domain, known).await {
                Ok((hosts, dns)) => (hosts, Some(dns)),
                Err(f) => return DomainResult::Failed(f),
            }
        };
        let smtputf8 = addresses.iter().any(|a| !a.is_ascii());
        let catch_all = match self.cached_catch_all(domain) {
            Some(b) => CatchAll::Known(b),
            None => CatchAll::Unknown { tries: 0 },
        };
        let run = Arc::new(DomainRun {
            domain: domain.to_owned(),
            hosts,
            smtputf8,
            queue: Mutex::new(
                addresses
                    .into_iter()
                    .map(|address| Pending { address, tries: 0 })
                    .collect(),
            ),
            results: Mutex::default(),
            catch_all: Mutex::new(catch_all),
            fruitless: Default::default(),
        });
        let window_end = Instant::now() + cfg.retry_window;
        let mut delay = cfg.retry_delay;
        loop {
            self.run_sessions(&run).await;
            let retry: Vec<String> = lock(&run.results)
                .iter()
                .filter(|(_, o)| retryable(o))
                .map(|(a, _)| a.clone())
                .collect();
            if retry.is_empty() || Instant::now() + delay > window_end {
                break;
            }
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
            let mut q = lock(&run.queue);
            for address in retry {
                q.push_back(Pending { address, tries: 0 });
            }
        }
        let known = match *lock(&run.catch_all) {
            CatchAll::Known(b) => {
                self.remember_catch_all(domain, b);
                Some(b)
            }
            _ => None,
        };
        let mut outcomes = std::mem::take(&mut *lock(&run.results));
        for o in outcomes.values_mut() {
            if let SmtpOutcome::Answered {
                stage: Stage::RcptTo,
                catch_all,
                ..
            } = o
            {
                *catch_all = known;
            }
        }
        DomainResult::Probed { dns, outcomes }
    }

    /// The MX plan for a domain: from DNS, or from records the caller gave.
    /// A failure has been through the resolver guard.
    async fn plan(
        &self,
        domain: &str,
        known: Option<Vec<MxRecord>>,
    ) -> Result<(Vec<Host>, DnsInfo), Guarded> {
        let dns = self.inner.dns.as_ref();
        let answer = match (known, dns) {
            (Some(records), _) => MxAnswer::Records { records, ttl: None },
            (None, Some(dns)) => {
                let _slot = self.inner.dns_slots.acquire().await;
                dns.mx(domain).await
            }
            (None, None) => MxAnswer::Failed("no DNS resolver".into()),
        };
        let plan = match plan(domain, answer, domain_seed(domain)) {
            MxDecision::Plan(p) => p,
            MxDecision::Fail(f) => return Err(self.guard(domain, f).await),
            MxDecision::NeedAddressLookup(lookup) => {
                let answer = match dns {
                    Some(dns) => {
                        let _slot = self.inner.dns_slots.acquire().await;
                        dns.addresses(lookup.domain()).await
                    }
                    None => prebounce_core::mx::AddressAnswer::Failed("no DNS resolver".into()),
                };
                match lookup.finish(answer) {
                    Ok(p) => p,
                    Err(f) => return Err(self.guard(domain, f).await),
                }
            }
        };
        let port = self.inner.cfg.smtp_port;
        let hosts = plan
            .hosts
            .iter()
            .map(|r| Host {
                name: r.exchange.clone(),
                port,
                explicit: false,
            })
            .collect();
        Ok((hosts, plan.dns_info()))
    }

    /// Core's resolver guard over a failed plan: an NXDOMAIN stands only when
    /// the resolver admits the top-level domain (see `prebounce_core::mx`).
    async fn guard(&self, domain: &str, failure: MxFailure) -> Guarded {
        let Some(dns) = &self.inner.dns else {
            return Guarded {
                failure,
                fault: None,
            };
        };
        let mut step = guard(domain, failure, dns.name());
        loop {
            match step {
                Guard::Done(guarded) => return guarded,
                Guard::Ask(question) => {
                    let answer = {
                        let _slot = self.inner.dns_slots.acquire().await;
                        dns.tld(question.tld()).await
                    };
                    step = question.answer(answer);
                }
            }
        }
    }

    /// Runs sessions until the domain's queue is empty.
    async fn run_sessions(&self, run: &Arc<DomainRun>) {
        let cfg = &self.inner.cfg;
        let pending = lock(&run.queue).len();
        if pending == 0 {
            return;
        }
        // Parallel sessions to one domain only for big batches: each session
        // ends when its error budget is spent, so more sessions at once means
        // more sessions in all. Other domains keep the global cap busy.
        let per_worker = if cfg.session_reuse {
            ADDRESSES_PER_WORKER
        } else {
            1
        };
        let workers = pending.div_ceil(per_worker).clamp(1, cfg.per_mx);
        let mut set = JoinSet::new();
        for _ in 0..workers {
            let this = self.clone();
            let run = run.clone();
            set.spawn(async move { this.worker(&run).await });
        }
        while set.join_next().await.is_some() {}
        // A worker that panicked leaves its addresses queued: answer them.
        let left: Vec<Pending> = lock(&run.queue).drain(..).collect();
        let mut results = lock(&run.results);
        for p in left {
            results.insert(
                p.address,
                SmtpOutcome::Unavailable {
                    mx: None,
                    answered: false,
                    tls: false,
                    detail: "internal error while probing this domain".into(),
                },
            );
        }
    }

    /// Opens sessions one after another until the queue is empty. Each
    /// session takes its first address before it connects, so no session is
    /// opened only to find the queue emptied by another.
    async fn worker(&self, run: &DomainRun) {
        loop {
            let Some(first) = lock(&run.queue).pop_front() else {
                return;
            };
            let Ok(_global) = self.inner.sessions.clone().acquire_owned().await else {
                lock(&run.queue).push_front(first);
                return;
            };
            match self.open_session(&run.hosts).await {
                Ok((session, mx, _permit)) => self.converse(run, session, &mx, first).await,
                Err(outcome) => {
                    // Every session to this domain would fail the same way.
                    let drained: Vec<Pending> = lock(&run.queue).drain(..).collect();
                    let mut results = lock(&run.results);
                    results.insert(first.address, outcome.clone());
                    for p in drained {
                        results.insert(p.address, outcome.clone());
                    }
                    return;
                }
            }
        }
    }

    /// Connects to the first host that greets us, in plan order; the outcome
    /// of the last failure when none does.
    async fn open_session(
        &self,
        hosts: &[Host],
    ) -> Result<(Session, String, OwnedSemaphorePermit), SmtpOutcome> {
        let cfg = &self.inner.cfg;
        let deadline = Instant::now() + cfg.timeout;
        let mut last = SmtpOutcome::Unavailable {
            mx: None,
            answered: false,
            tls: false,
            detail: "no mail server to try".into(),
        };
        for host in hosts {
            let unavailable = |detail: String| SmtpOutcome::Unavailable {
                mx: Some(host.name.clone()),
                answered: false,
                tls: false,
                detail,
            };
            let ips = match self.resolve(host).await {
                Ok(ips) if ips.is_empty() => {
                    last = unavailable(format!("MX {} has no address", host.name));
                    continue;
                }
                Ok(ips) => ips,
                Err(why) => {
                    last = unavailable(format!("MX {}: {why}", host.name));
                    continue;
                }
            };
            for ip in ips {
                if !host.explicit && !cfg.allow_private {
                    if let Err(forbidden) = check_target_ip(ip) {
                        last = unavailable(forbidden.detail(&host.name, ip));
                        continue;
                    }
                }
                if Instant::now() >= deadline {
                    return Err(last);
                }
                let permit = self.ip_slot(ip).await;
                let mut starttls = cfg.starttls;
                loop {
                    let addr = SocketAddr::new(ip, host.port);
                    let connect_by = deadline.min(Instant::now() + cfg.connect_timeout);
                    let conn = match Conn::connect(addr, cfg.proxy.as_ref(), connect_by).await {
                        Ok(c) => c,
                        Err(e) => {
                            last = unavailable(format!("{} ({addr}): {e}", host.name));
                            break;
                        }
                    };
                    self.inner.stats.connections.fetch_add(1, Ordering::Relaxed);
                    let greeting = Greeting {
                        host: &host.name,
                        helo: &cfg.helo,
                        starttls,
                    };
                    match Session::open(conn, &greeting, deadline).await {
                        Ok(s) => return Ok((s, host.name.clone(), permit)),
                        Err(OpenError::Refused { stage, reply, tls }) => {
                            last = SmtpOutcome::Answered {
                                mx: host.name.clone(),
                                stage,
                                reply,
                                tls,
                                catch_all: None,
                            };
                            break;
                        }
                        Err(OpenError::Failed {
                            error: ConnError::Tls(e),
                            ..
                        }) if starttls => {
                            // Try once more in plain text, as MTAs do.
                            tracing::debug!(host = %host.name, "STARTTLS failed ({e}); retrying without TLS");
                            starttls = false;
                        }
                        Err(OpenError::Failed {
                            error,
                            answered,
                            tls,
                        }) => {
                            last = SmtpOutcome::Unavailable {
                                mx: Some(host.name.clone()),
                                answered,
                                tls,
                                detail: format!("{} ({addr}): {error}", host.name),
                            };
                            break;
                        }
                    }
                }
            }
        }
        Err(last)
    }

    async fn resolve(&self, host: &Host) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.name.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        if host.explicit {
            let found = tokio::net::lookup_host((host.name.as_str(), host.port))
                .await
                .map_err(|e| e.to_string())?;
            return Ok(found.map(|a| a.ip()).collect());
        }
        match &self.inner.dns {
            Some(dns) => {
                let _slot = self.inner.dns_slots.acquire().await;
                dns.ips(&host.name).await
            }
            None => Err("no DNS resolver".into()),
        }
    }

    async fn ip_slot(&self, ip: IpAddr) -> OwnedSemaphorePermit {
        let sem = lock(&self.inner.per_ip)
            .entry(ip)
            .or_insert_with(|| Arc::new(Semaphore::new(self.inner.cfg.per_mx)))
            .clone();
        // The semaphore is never closed.
        sem.acquire_owned().await.expect("semaphore open")
    }

    /// Asks about queued addresses over one session until the queue is
    /// empty, the error budget is spent, or the session breaks. What to ask
    /// and what the answers mean for the queue are `prebounce_smtp::dialogue`'s.
    async fn converse(&self, run: &DomainRun, mut session: Session, mx: &str, first: Pending) {
        let cfg = &self.inner.cfg;
        let limits = Limits {
            errors_per_session: cfg.errors_per_session,
            rcpts_per_transaction: cfg.rcpts_per_transaction,
            session_reuse: cfg.session_reuse,
        };
        let mut asked_any = false;
        let mut first = Some(first);
        loop {
            let Some(plan) = next_group(
                &limits,
                session.errors(),
                session.rcpts_in_transaction(),
                asked_any,
                &mut lock(&run.catch_all),
            ) else {
                break;
            };
            let group: Vec<Pending> = {
                let mut group: Vec<Pending> = first.take().into_iter().collect();
                let mut q = lock(&run.queue);
                let n = (plan.size - group.len()).min(q.len());
                group.extend(q.drain(..n));
                group
            };
            // Addresses this server may not be asked about (a UTF-8 address
            // without SMTPUTF8) are answered here; the rest are asked.
            let (group, refused) = screen(mx, session.tls(), &session.extensions(), group);
            let screened = !refused.is_empty();
            lock(&run.results).extend(refused);
            if group.is_empty() {
                if plan.catch_all {
                    lock(&run.catch_all).unanswered();
                }
                if screened {
                    continue;
                }
                break;
            }
            asked_any = true;
            let random = plan.catch_all.then(|| random_address(&run.domain));
            let addresses: Vec<&str> = group.iter().map(|p| p.address.as_str()).collect();
            let rcpts = recipients(&addresses, random.as_deref());
            let deadline = Instant::now() + cfg.timeout;
            let answer = session
                .ask(
                    &cfg.from,
                    run.smtputf8,
                    &rcpts,
                    plan.new_transaction,
                    deadline,
                )
                .await;
            let settled = settle(mx, session.tls(), group, plan.catch_all, answer, |e| {
                Breakage {
                    timeout: e.is_timeout(),
                    detail: e.to_string(),
                }
            });
            let next = settled.next;
            self.apply(run, mx, session.tls(), settled);
            match next {
                Next::Continue => {}
                Next::Quit => break,
                Next::Drop => return,
            }
        }
        if let Some(p) = first {
            lock(&run.queue).push_front(p);
        }
        session.quit().await;
    }

    /// Applies what a group settled to the domain's run.
    fn apply(&self, run: &DomainRun, mx: &str, tls: bool, settled: Settled) {
        if let Some(reply) = settled.catch_all {
            lock(&run.catch_all).record(reply.as_ref());
        }
        {
            let mut results = lock(&run.results);
            results.extend(settled.answered);
            if let Some(outcome) = &settled.answer_queue {
                for p in lock(&run.queue).drain(..) {
                    results.insert(p.address, outcome.clone());
                }
            }
        }
        {
            let mut q = lock(&run.queue);
            for p in settled.front.into_iter().rev() {
                q.push_front(p);
            }
            q.extend(settled.retry);
        }
        match settled.progress {
            Progress::Answered => run.fruitless.store(0, Ordering::Relaxed),
            Progress::Fruitless(why) => self.fruitless_session(run, &why, mx, tls),
            Progress::Unchanged => {}
        }
    }

    /// Counts a session that broke before any answer; after
    /// [`MAX_FRUITLESS_SESSIONS`] in a row, the server is not going to answer
    /// anyone at this domain: the queue is answered `smtp_unavailable`.
    fn fruitless_session(&self, run: &DomainRun, why: &str, mx: &str, tls: bool) {
        let n = run.fruitless.fetch_add(1, Ordering::Relaxed) + 1;
        if n < MAX_FRUITLESS_SESSIONS {
            return;
        }
        let drained: Vec<Pending> = lock(&run.queue).drain(..).collect();
        let mut results = lock(&run.results);
        for p in drained {
            results.insert(
                p.address,
                SmtpOutcome::Unavailable {
                    mx: Some(mx.to_owned()),
                    answered: true,
                    tls,
                    detail: format!("{why} ({n} sessions in a row)"),
                },
            );
        }
    }

    fn cached_catch_all(&self, domain: &str) -> Option<bool> {
        let cache = lock(&self.inner.catch_all);
        cache
            .get(domain)
            .filter(|(_, at)| at.elapsed() < CATCH_ALL_TTL)
            .map(|(b, _)| *b)
    }

    fn remember_catch_all(&self, domain: &str, value: bool) {
        let mut cache = lock(&self.inner.catch_all);
        if cache.len() >= CATCH_ALL_CAPACITY {
            cache.clear();
        }
        cache.insert(domain.to_owned(), (value, Instant::now()));
    }
}

/// A local part no one has: 16 random lower-case letters and digits.
fn random_address(domain: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let local: String = (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{local}@{domain}")
}

/// Locks a mutex, ignoring poisoning: every critical section here leaves
/// its data consistent even if a task panics mid-way.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
    use hickory_resolver::proto::rr::RecordType;
    use prebounce_core::{Checker, Options, Reason};
    use tokio::net::UdpSocket;

    /// A resolver on 127.0.0.1 (UDP) that answers NOERROR without data for
    /// the NS of the TLDs in `exist` and NXDOMAIN for every other name; it
    /// logs each query as `name TYPE`.
    async fn fake_resolver(
        exist: &'static [&'static str],
    ) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = log.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let q = query.queries[0].clone();
                let name = q.name().to_ascii();
                lock(&seen).push(format!("{name} {}", q.query_type()));
                let mut msg = Message::new(
                    query.metadata.id,
                    MessageType::Response,
                    query.metadata.op_code,
                );
                msg.metadata.recursion_desired = query.metadata.recursion_desired;
                msg.metadata.recursion_available = true;
                let known = q.query_type() == RecordType::NS
                    && exist.iter().any(|t| name == format!("{t}."));
                msg.metadata.response_code = if known {
                    ResponseCode::NoError
                } else {
                    ResponseCode::NXDomain
                };
                msg.add_query(q);
                let _ = socket.send_to(&msg.to_vec().unwrap(), from).await;
            }
        });
        (addr, log)
    }

    fn config(resolver: SocketAddr) -> ProbeConfig {
        ProbeConfig {
            resolver: Some(resolver),
            smtp_port: 25,
            mx: None,
            allow_private: false,
            helo: "probe.prebounce.test".into(),
            from: String::new(),
            proxy: None,
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            retry_window: Duration::ZERO,
            retry_delay: Duration::from_secs(1),
            concurrency: 8,
            per_mx: 2,
            rcpts_per_transaction: 10,
            errors_per_session: 5,
            session_reuse: true,
            starttls: true,
        }
    }

    async fn probe(prober: &Prober, inputs: &[&str]) -> Report {
        let checker = Checker::new(Options {
            allow_special_use: true,
            ..Options::default()
        });
        let verdicts = inputs.iter().map(|a| checker.verdict(a)).collect();
        prober.probe_report(verdicts, &BTreeMap::new()).await
    }

    fn ns_queries(log: &Mutex<Vec<String>>, name: &str) -> usize {
        lock(log)
            .iter()
            .filter(|l| *l == &format!("{name} NS"))
            .count()
    }

    #[tokio::test]
    async fn a_resolver_that_denies_com_gives_dns_error_and_is_asked_once() {
        let (addr, log) = fake_resolver(&[]).await;
        let prober = Prober::new(config(addr)).unwrap();
        let report = probe(&prober, &["a@gmail.com", "b@yahoo.com", "c@gmail.com"]).await;
        for (v, fault) in report.verdicts.iter().zip(&report.faults) {
            assert_eq!(v.reason, Reason::DnsError, "{v:?}");
            let detail = v.detail.as_deref().unwrap_or("");
            assert!(
                detail.contains(&format!("the resolver {addr}"))
                    && detail.contains("top-level domain com itself"),
                "{detail}"
            );
            assert!(fault.is_some());
        }
        assert_eq!(
            ns_queries(&log, "com."),
            1,
            "one NS query for two domains: {:?}",
            lock(&log)
        );
        // Cached for the process: a second batch asks MX only.
        let again = probe(&prober, &["d@hotmail.com"]).await;
        assert!(again.faults[0].is_some());
        assert_eq!(ns_queries(&log, "com."), 1, "{:?}", lock(&log));
    }

    #[tokio::test]
    async fn an_nxdomain_under_a_tld_that_exists_stands() {
        // `test.` answers NODATA for its NS, as the static test zone does.
        let (addr, log) = fake_resolver(&["test", "com"]).await;
        let prober = Prober::new(config(addr)).unwrap();
        let report = probe(&prober, &["x@nxdomain.test", "x@gmail.con"]).await;
        for (v, fault) in report.verdicts.iter().zip(&report.faults) {
            assert_eq!(v.reason, Reason::NoSuchDomain, "{v:?}");
            assert!(fault.is_none());
        }
        // `con` is denied, `com` is not: a TLD that does not exist.
        assert_eq!(ns_queries(&log, "con."), 1);
        assert_eq!(ns_queries(&log, "com."), 1);
        assert_eq!(ns_queries(&log, "test."), 1);
    }

    #[test]
    fn random_addresses_differ_and_keep_the_domain() {
        let a = random_address("alpha.test");
        let b = random_address("alpha.test");
        assert_ne!(a, b);
        assert!(a.ends_with("@alpha.test"));
        assert_eq!(a.len(), 16 + "@alpha.test".len());
    }
}
