//! DNS-over-HTTPS (RFC 8484, wire format) for the worker: queries built and
//! answers read with hickory-proto, reported in core's terms
//! ([`MxAnswer`], [`AddressAnswer`], [`TldAnswer`]) so that core plans and
//! core's resolver guard judges an NXDOMAIN.
//!
//! Queries use GET with `?dns=` (base64url, no padding) and message id 0, as
//! RFC 8484 §4.1 recommends, so HTTP caches between us and the resolver work.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use prebounce_core::mx::{AddressAnswer, MxAnswer, TldAnswer};
use prebounce_core::verdict::MxRecord;

/// The record types the worker asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QType {
    /// MX records.
    Mx,
    /// IPv4 addresses.
    A,
    /// IPv6 addresses.
    Aaaa,
    /// Name servers (asked of a top-level domain by the resolver guard).
    Ns,
}

impl QType {
    fn record_type(self) -> RecordType {
        match self {
            QType::Mx => RecordType::MX,
            QType::A => RecordType::A,
            QType::Aaaa => RecordType::AAAA,
            QType::Ns => RecordType::NS,
        }
    }

    /// `MX`, `A`, `AAAA`.
    pub fn name(self) -> &'static str {
        match self {
            QType::Mx => "MX",
            QType::A => "A",
            QType::Aaaa => "AAAA",
            QType::Ns => "NS",
        }
    }
}

/// The GET URL for a query of `name` (ASCII) at the resolver `base`.
pub fn query_url(base: &str, name: &str, qtype: QType) -> Result<String, String> {
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    let name = Name::from_ascii(&fqdn).map_err(|e| format!("{fqdn}: {e}"))?;
    let mut msg = Message::new(0, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(name, qtype.record_type()));
    let wire = msg.to_vec().map_err(|e| e.to_string())?;
    let sep = if base.contains('?') { '&' } else { '?' };
    Ok(format!("{base}{sep}dns={}", URL_SAFE_NO_PAD.encode(wire)))
}

/// What one answer said, before it is put in core's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// Records of the type asked, with the smallest TTL.
    Records(Vec<T>, Option<u32>),
    /// The name exists without records of that type (negative TTL).
    NoData(Option<u32>),
    /// The name does not exist (negative TTL).
    NxDomain(Option<u32>),
    /// SERVFAIL, REFUSED, an HTTP error, a malformed answer …
    Failed(String),
}

/// Reads a DoH response: HTTP status and body.
fn read(status: u16, body: &[u8]) -> Result<Message, String> {
    if status != 200 {
        return Err(format!("the DoH resolver answered HTTP {status}"));
    }
    let msg = Message::from_vec(body).map_err(|e| format!("malformed DNS answer: {e}"))?;
    if msg.metadata.message_type != MessageType::Response {
        return Err("malformed DNS answer: not a response".into());
    }
    Ok(msg)
}

fn negative_ttl(msg: &Message) -> Option<u32> {
    msg.authorities.iter().find_map(|r| match &r.data {
        RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
        _ => None,
    })
}

fn answer<T>(status: u16, body: &[u8], pick: impl Fn(&Record) -> Option<T>) -> Answer<T> {
    let msg = match read(status, body) {
        Ok(m) => m,
        Err(e) => return Answer::Failed(e),
    };
    match msg.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => return Answer::NxDomain(negative_ttl(&msg)),
        other => return Answer::Failed(format!("the resolver answered {other}")),
    }
    let mut ttl: Option<u32> = None;
    let mut out = Vec::new();
    for r in &msg.answers {
        if let Some(t) = pick(r) {
            ttl = Some(ttl.map_or(r.ttl, |m| m.min(r.ttl)));
            out.push(t);
        }
    }
    if out.is_empty() {
        Answer::NoData(negative_ttl(&msg))
    } else {
        Answer::Records(out, ttl)
    }
}

/// An MX answer in core's terms. `Err` texts are HTTP or DNS failures.
pub fn mx_answer(status: u16, body: &[u8]) -> MxAnswer {
    match answer(status, body, |r| match &r.data {
        RData::MX(mx) => Some(MxRecord {
            preference: mx.preference,
            exchange: mx.exchange.to_ascii(),
        }),
        _ => None,
    }) {
        Answer::Records(records, ttl) => MxAnswer::Records { records, ttl },
        Answer::NoData(ttl) => MxAnswer::NoRecords { ttl },
        Answer::NxDomain(ttl) => MxAnswer::NxDomain { ttl },
        Answer::Failed(why) => MxAnswer::Failed(why),
    }
}

/// An A or AAAA answer in core's terms (combine the two with
/// [`AddressAnswer::combine`]).
pub fn address_answer(status: u16, body: &[u8]) -> AddressAnswer {
    match answer(status, body, |r| match &r.data {
        RData::A(_) | RData::AAAA(_) => Some(()),
        _ => None,
    }) {
        Answer::Records(_, ttl) => AddressAnswer::Found { ttl },
        Answer::NoData(ttl) => AddressAnswer::NoRecords { ttl },
        Answer::NxDomain(ttl) => AddressAnswer::NxDomain { ttl },
        Answer::Failed(why) => AddressAnswer::Failed(why),
    }
}

/// The NS answer for a top-level domain in core's terms: NOERROR with or
/// without records means it exists.
pub fn tld_answer(status: u16, body: &[u8]) -> TldAnswer {
    match answer(status, body, |r| match &r.data {
        RData::NS(_) => Some(()),
        _ => None,
    }) {
        Answer::Records(..) | Answer::NoData(_) => TldAnswer::Exists,
        Answer::NxDomain(_) => TldAnswer::Missing,
        Answer::Failed(why) => TldAnswer::Failed(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, MX, SOA};

    fn response(code: ResponseCode, answers: Vec<Record>, authorities: Vec<Record>) -> Vec<u8> {
        let mut msg = Message::new(0, MessageType::Response, OpCode::Query);
        msg.metadata.response_code = code;
        msg.add_answers(answers);
        msg.add_authorities(authorities);
        msg.to_vec().unwrap()
    }

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn soa(ttl: u32, minimum: u32) -> Record {
        Record::from_rdata(
            name("test."),
            ttl,
            RData::SOA(SOA::new(
                name("ns.test."),
                name("hostmaster.test."),
                1,
                3600,
                600,
                86400,
                minimum,
            )),
        )
    }

    #[test]
    fn query_urls_are_rfc8484_get() {
        let url = query_url("https://dns.example/dns-query", "alpha.test", QType::Mx).unwrap();
        let (base, q) = url.split_once("?dns=").unwrap();
        assert_eq!(base, "https://dns.example/dns-query");
        let wire = URL_SAFE_NO_PAD.decode(q).unwrap();
        let msg = Message::from_vec(&wire).unwrap();
        assert_eq!(msg.metadata.id, 0, "id 0 for HTTP caching");
        assert!(msg.metadata.recursion_desired);
        assert_eq!(msg.queries[0].query_type(), RecordType::MX);
        assert_eq!(msg.queries[0].name().to_ascii(), "alpha.test.");
        let url = query_url("http://127.0.0.1:1/q?x=1", "a.test", QType::A).unwrap();
        assert!(url.starts_with("http://127.0.0.1:1/q?x=1&dns="));
        assert!(query_url("http://x/q", "bad..name", QType::A).is_err());
    }

    #[test]
    fn mx_records_with_the_smallest_ttl() {
        let body = response(
            ResponseCode::NoError,
            vec![
                Record::from_rdata(
                    name("alpha.test."),
                    300,
                    RData::MX(MX::new(10, name("mx1.alpha.test."))),
                ),
                Record::from_rdata(
                    name("alpha.test."),
                    120,
                    RData::MX(MX::new(20, name("mx2.alpha.test."))),
                ),
            ],
            vec![],
        );
        match mx_answer(200, &body) {
            MxAnswer::Records { records, ttl } => {
                assert_eq!(ttl, Some(120));
                assert_eq!(records[0].exchange, "mx1.alpha.test.");
                assert_eq!(records[1].preference, 20);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn negative_answers_carry_the_soa_ttl() {
        let body = response(ResponseCode::NXDomain, vec![], vec![soa(300, 60)]);
        assert_eq!(mx_answer(200, &body), MxAnswer::NxDomain { ttl: Some(60) });
        let body = response(ResponseCode::NoError, vec![], vec![soa(30, 60)]);
        assert_eq!(mx_answer(200, &body), MxAnswer::NoRecords { ttl: Some(30) });
    }

    #[test]
    fn failures() {
        let body = response(ResponseCode::ServFail, vec![], vec![]);
        assert!(
            matches!(mx_answer(200, &body), MxAnswer::Failed(w) if w.contains("Server Failure") || w.contains("SERVFAIL") || w.contains("ServFail"))
        );
        assert!(
            matches!(mx_answer(502, b"bad gateway"), MxAnswer::Failed(w) if w.contains("HTTP 502"))
        );
        assert!(
            matches!(mx_answer(200, b"\x00\x01garbage"), MxAnswer::Failed(w) if w.contains("malformed"))
        );
        // A query echoed back is not an answer.
        let mut q = Message::new(0, MessageType::Query, OpCode::Query);
        q.add_query(Query::query(name("a.test."), RecordType::MX));
        assert!(matches!(
            mx_answer(200, &q.to_vec().unwrap()),
            MxAnswer::Failed(_)
        ));
    }

    #[test]
    fn tld_answers() {
        use hickory_proto::rr::rdata::NS;
        let ns = response(
            ResponseCode::NoError,
            vec![Record::from_rdata(
                name("com."),
                300,
                RData::NS(NS(name("a.gtld-servers.net."))),
            )],
            vec![],
        );
        assert_eq!(tld_answer(200, &ns), TldAnswer::Exists);
        // A static zone answers NODATA for its own NS: it exists too.
        let nodata = response(ResponseCode::NoError, vec![], vec![soa(60, 60)]);
        assert_eq!(tld_answer(200, &nodata), TldAnswer::Exists);
        let nx = response(ResponseCode::NXDomain, vec![], vec![]);
        assert_eq!(tld_answer(200, &nx), TldAnswer::Missing);
        assert!(matches!(tld_answer(502, b""), TldAnswer::Failed(w) if w.contains("HTTP 502")));
        let url = query_url("http://doh.test/q", "com", QType::Ns).unwrap();
        let wire = URL_SAFE_NO_PAD
            .decode(url.split_once("?dns=").unwrap().1)
            .unwrap();
        let msg = Message::from_vec(&wire).unwrap();
        assert_eq!(msg.queries[0].query_type(), RecordType::NS);
        assert_eq!(msg.queries[0].name().to_ascii(), "com.");
    }

    #[test]
    fn implicit_mx_addresses() {
        let a = response(
            ResponseCode::NoError,
            vec![Record::from_rdata(
                name("amx.test."),
                300,
                RData::A(A::new(127, 0, 0, 1)),
            )],
            vec![],
        );
        let none = response(ResponseCode::NoError, vec![], vec![soa(60, 60)]);
        assert_eq!(
            AddressAnswer::combine(address_answer(200, &a), address_answer(200, &none)),
            AddressAnswer::Found { ttl: Some(300) }
        );
        assert_eq!(
            AddressAnswer::combine(address_answer(200, &none), address_answer(200, &none)),
            AddressAnswer::NoRecords { ttl: Some(60) }
        );
        assert!(matches!(
            AddressAnswer::combine(address_answer(500, b""), address_answer(200, &none)),
            AddressAnswer::Failed(_)
        ));
    }
}
