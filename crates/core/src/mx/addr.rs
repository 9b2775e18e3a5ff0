//! Address safety for hosts learned from DNS (docs/DESIGN.md, "Ground rules").
//!
//! An MX name is someone else's word: it may resolve to our own loopback, to a
//! private network, or to an address that no mail server can sit on. The probe
//! asks [`check_target_ip`] about every address before it connects, and skips
//! (and reports) the forbidden ones unless it runs in a test.
//!
//! The ranges are written out here rather than taken from `std`, whose
//! `is_global`-style helpers are unstable; each one follows the IANA IPv4 and
//! IPv6 special-purpose address registries (RFC 6890 and its updates).
//!
//! Decisions a reviewer should know:
//! - Forms that carry an IPv4 address inside an IPv6 one are judged by that
//!   IPv4 address: IPv4-mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96` and 6to4
//!   `2002::/16`. `::ffff:127.0.0.1` is loopback; `64:ff9b::808:808` is fine.
//! - The deprecated IPv4-compatible form `::a.b.c.d` (RFC 4291 §2.5.5.1) takes
//!   the class of its IPv4 address when that one is forbidden, and is
//!   [`ForbiddenAddress::Reserved`] otherwise: nothing routes it today, and old
//!   automatic tunnels would turn it into IPv4 traffic we did not vet.
//! - Teredo `2001::/32` is refused: its real endpoint is an obfuscated IPv4
//!   address behind a NAT, and no mail server lives there.
//! - IPv6 outside the global unicast block `2000::/3` (other than the forms
//!   above) is [`ForbiddenAddress::Reserved`]: nothing else is allocated.
//! - The local-use NAT64 prefix `64:ff9b:1::/48` (RFC 8215) is private.
//! - Globally reachable special-purpose blocks (AS112, AMT) are allowed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use thiserror::Error;

/// Why an address learned from DNS must not be contacted. `Display` gives the
/// class as a plain phrase ("a private address"); [`ForbiddenAddress::detail`]
/// builds the verdict's `detail` sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum ForbiddenAddress {
    /// `0.0.0.0`, `::`.
    #[error("an unspecified address")]
    Unspecified,
    /// `0.0.0.0/8` ("this network", RFC 791), other than `0.0.0.0`.
    #[error("a \"this network\" address")]
    ThisNetwork,
    /// `127.0.0.0/8`, `::1`.
    #[error("a loopback address")]
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), unique local `fc00::/7`,
    /// local-use NAT64 `64:ff9b:1::/48`.
    #[error("a private address")]
    Private,
    /// Shared address space for carrier-grade NAT, `100.64.0.0/10` (RFC 6598).
    #[error("a shared (carrier-grade NAT) address")]
    SharedCgnat,
    /// `169.254.0.0/16`, `fe80::/10`.
    #[error("a link-local address")]
    LinkLocal,
    /// Deprecated IPv6 site-local `fec0::/10` (RFC 3879).
    #[error("a site-local address")]
    SiteLocal,
    /// `224.0.0.0/4`, `ff00::/8`.
    #[error("a multicast address")]
    Multicast,
    /// `255.255.255.255`.
    #[error("a broadcast address")]
    Broadcast,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24` (RFC 5737),
    /// `2001:db8::/32` (RFC 3849), `3fff::/20` (RFC 9637).
    #[error("a documentation address")]
    Documentation,
    /// `198.18.0.0/15` (RFC 2544), `2001:2::/48` (RFC 5180).
    #[error("a benchmarking address")]
    Benchmarking,
    /// IETF protocol assignments: `192.0.0.0/24` (RFC 6890), `2001::/23`
    /// (RFC 2928) other than Teredo and benchmarking.
    #[error("an IETF protocol assignment address")]
    ProtocolAssignment,
    /// The deprecated 6to4 relay anycast block `192.88.99.0/24` (RFC 7526).
    #[error("a 6to4 relay anycast address")]
    Relay6to4,
    /// Teredo `2001::/32` (RFC 4380).
    #[error("a Teredo tunnel address")]
    Teredo,
    /// The discard-only block `100::/64` (RFC 6666).
    #[error("a discard-only address")]
    DiscardOnly,
    /// `240.0.0.0/4` (other than broadcast), IPv4-compatible IPv6, and IPv6
    /// outside `2000::/3`.
    #[error("a reserved address")]
    Reserved,
}

impl ForbiddenAddress {
    /// The verdict `detail` for a refused MX host, exactly as docs/DESIGN.md shows
    /// it: `MX mx.example.com resolves to 10.0.0.5, a private address`.
    pub fn detail(self, host: &str, ip: IpAddr) -> String {
        format!("MX {host} resolves to {ip}, {self}")
    }
}

/// Whether the probe may connect to `ip`, an address of a host learned from
/// DNS. `Err` names the class of a forbidden address.
pub fn check_target_ip(ip: IpAddr) -> Result<(), ForbiddenAddress> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4),
        IpAddr::V6(v6) => check_v6(v6),
    }
}

/// A prefix rule: network, prefix length, class.
type Rule<T> = (T, u32, ForbiddenAddress);

/// IPv4 rules, most specific first (the first match wins).
#[rustfmt::skip]
const V4_RULES: &[Rule<u32>] = &[
    (0x0000_0000, 32, ForbiddenAddress::Unspecified),        // 0.0.0.0/32
    (0xFFFF_FFFF, 32, ForbiddenAddress::Broadcast),          // 255.255.255.255/32
    (0x0000_0000, 8, ForbiddenAddress::ThisNetwork),         // 0.0.0.0/8
    (0x0A00_0000, 8, ForbiddenAddress::Private),             // 10.0.0.0/8
    (0x6440_0000, 10, ForbiddenAddress::SharedCgnat),        // 100.64.0.0/10
    (0x7F00_0000, 8, ForbiddenAddress::Loopback),            // 127.0.0.0/8
    (0xA9FE_0000, 16, ForbiddenAddress::LinkLocal),          // 169.254.0.0/16
    (0xAC10_0000, 12, ForbiddenAddress::Private),            // 172.16.0.0/12
    (0xC000_0000, 24, ForbiddenAddress::ProtocolAssignment), // 192.0.0.0/24
    (0xC000_0200, 24, ForbiddenAddress::Documentation),      // 192.0.2.0/24
    (0xC058_6300, 24, ForbiddenAddress::Relay6to4),          // 192.88.99.0/24
    (0xC0A8_0000, 16, ForbiddenAddress::Private),            // 192.168.0.0/16
    (0xC612_0000, 15, ForbiddenAddress::Benchmarking),       // 198.18.0.0/15
    (0xC633_6400, 24, ForbiddenAddress::Documentation),      // 198.51.100.0/24
    (0xCB00_7100, 24, ForbiddenAddress::Documentation),      // 203.0.113.0/24
    (0xE000_0000, 4, ForbiddenAddress::Multicast),           // 224.0.0.0/4
    (0xF000_0000, 4, ForbiddenAddress::Reserved),            // 240.0.0.0/4
];

/// IPv6 rules, most specific first, applied after the IPv4-carrying forms.
#[rustfmt::skip]
const V6_RULES: &[Rule<u128>] = &[
    (0xff00 << 112, 8, ForbiddenAddress::Multicast),                         // ff00::/8
    (0xfe80 << 112, 10, ForbiddenAddress::LinkLocal),                        // fe80::/10
    (0xfec0 << 112, 10, ForbiddenAddress::SiteLocal),                        // fec0::/10
    (0xfc00 << 112, 7, ForbiddenAddress::Private),                           // fc00::/7
    (0x0100 << 112, 64, ForbiddenAddress::DiscardOnly),                      // 100::/64
    ((0x0064 << 112) | (0xff9b << 96) | (1 << 80), 48, ForbiddenAddress::Private), // 64:ff9b:1::/48
    ((0x2001 << 112) | (0x0db8 << 96), 32, ForbiddenAddress::Documentation), // 2001:db8::/32
    (0x3fff << 112, 20, ForbiddenAddress::Documentation),                    // 3fff::/20
    ((0x2001 << 112) | (0x0002 << 96), 48, ForbiddenAddress::Benchmarking),  // 2001:2::/48
    (0x2001 << 112, 32, ForbiddenAddress::Teredo),                           // 2001::/32
    (0x2001 << 112, 23, ForbiddenAddress::ProtocolAssignment),               // 2001::/23
];

fn in_v4(ip: u32, net: u32, len: u32) -> bool {
    // `checked_shl` is `None` only for len == 0 (a shift by 32): match all.
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    ip & mask == net
}

fn in_v6(ip: u128, net: u128, len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    ip & mask == net
}

fn check_v4(ip: Ipv4Addr) -> Result<(), ForbiddenAddress> {
    let bits = u32::from(ip);
    match V4_RULES
        .iter()
        .find(|&&(net, len, _)| in_v4(bits, net, len))
    {
        Some(&(_, _, class)) => Err(class),
        None => Ok(()),
    }
}

fn check_v6(ip: Ipv6Addr) -> Result<(), ForbiddenAddress> {
    let bits = u128::from(ip);
    // The low 32 bits, for the forms that carry an IPv4 address there.
    let low_v4 = Ipv4Addr::from(bits as u32);
    if bits == 0 {
        return Err(ForbiddenAddress::Unspecified);
    }
    if bits == 1 {
        return Err(ForbiddenAddress::Loopback);
    }
    if in_v6(bits, 0xffff << 32, 96) || in_v6(bits, (0x0064 << 112) | (0xff9b << 96), 96) {
        // IPv4-mapped ::ffff:0:0/96 and NAT64 64:ff9b::/96.
        return check_v4(low_v4);
    }
    if in_v6(bits, 0, 96) {
        // IPv4-compatible ::a.b.c.d (deprecated).
        return check_v4(low_v4).and(Err(ForbiddenAddress::Reserved));
    }
    if in_v6(bits, 0x2002 << 112, 16) {
        // 6to4: the IPv4 address sits right after the 16-bit prefix.
        return check_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    if let Some(&(_, _, class)) = V6_RULES
        .iter()
        .find(|&&(net, len, _)| in_v6(bits, net, len))
    {
        return Err(class);
    }
    if !in_v6(bits, 0x2000 << 112, 3) {
        return Err(ForbiddenAddress::Reserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ForbiddenAddress::*;
    use super::*;

    fn check(s: &str) -> Result<(), ForbiddenAddress> {
        let ip: IpAddr = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        check_target_ip(ip)
    }

    /// Runs a table of `(address, expected)`; `None` means allowed.
    fn table(cases: &[(&str, Option<ForbiddenAddress>)]) {
        for &(addr, want) in cases {
            assert_eq!(check(addr), want.map_or(Ok(()), Err), "{addr}");
        }
    }

    #[test]
    fn ipv4_class_boundaries() {
        table(&[
            // 0.0.0.0/8, with 0.0.0.0 itself unspecified
            ("0.0.0.0", Some(Unspecified)),
            ("0.0.0.1", Some(ThisNetwork)),
            ("0.255.255.255", Some(ThisNetwork)),
            ("1.0.0.0", None),
            // 10/8
            ("9.255.255.255", None),
            ("10.0.0.0", Some(Private)),
            ("10.255.255.255", Some(Private)),
            ("11.0.0.0", None),
            // 100.64/10
            ("100.63.255.255", None),
            ("100.64.0.0", Some(SharedCgnat)),
            ("100.127.255.255", Some(SharedCgnat)),
            ("100.128.0.0", None),
            // 127/8
            ("126.255.255.255", None),
            ("127.0.0.0", Some(Loopback)),
            ("127.0.0.1", Some(Loopback)),
            ("127.255.255.255", Some(Loopback)),
            ("128.0.0.0", None),
            // 169.254/16
            ("169.253.255.255", None),
            ("169.254.0.0", Some(LinkLocal)),
            ("169.254.255.255", Some(LinkLocal)),
            ("169.255.0.0", None),
            // 172.16/12
            ("172.15.255.255", None),
            ("172.16.0.0", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("172.32.0.0", None),
            // 192.0.0/24
            ("191.255.255.255", None),
            ("192.0.0.0", Some(ProtocolAssignment)),
            ("192.0.0.255", Some(ProtocolAssignment)),
            ("192.0.1.0", None),
            // 192.0.2/24
            ("192.0.1.255", None),
            ("192.0.2.0", Some(Documentation)),
            ("192.0.2.255", Some(Documentation)),
            ("192.0.3.0", None),
            // 192.88.99/24
            ("192.88.98.255", None),
            ("192.88.99.0", Some(Relay6to4)),
            ("192.88.99.255", Some(Relay6to4)),
            ("192.88.100.0", None),
            // 192.168/16
            ("192.167.255.255", None),
            ("192.168.0.0", Some(Private)),
            ("192.168.255.255", Some(Private)),
            ("192.169.0.0", None),
            // 198.18/15
            ("198.17.255.255", None),
            ("198.18.0.0", Some(Benchmarking)),
            ("198.19.255.255", Some(Benchmarking)),
            ("198.20.0.0", None),
            // 198.51.100/24
            ("198.51.99.255", None),
            ("198.51.100.0", Some(Documentation)),
            ("198.51.100.255", Some(Documentation)),
            ("198.51.101.0", None),
            // 203.0.113/24
            ("203.0.112.255", None),
            ("203.0.113.0", Some(Documentation)),
            ("203.0.113.255", Some(Documentation)),
            ("203.0.114.0", None),
            // 224/4
            ("223.255.255.255", None),
            ("224.0.0.0", Some(Multicast)),
            ("239.255.255.255", Some(Multicast)),
            // 240/4, with 255.255.255.255 broadcast
            ("240.0.0.0", Some(Reserved)),
            ("255.255.255.254", Some(Reserved)),
            ("255.255.255.255", Some(Broadcast)),
            // ordinary public addresses, and globally reachable special blocks
            ("8.8.8.8", None),
            ("1.1.1.1", None),
            ("192.31.196.1", None), // AS112
            ("192.52.193.1", None), // AMT
            ("192.175.48.1", None), // AS112 direct delegation
        ]);
    }

    #[test]
    fn ipv6_class_boundaries() {
        table(&[
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            // ff00::/8
            ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(SiteLocal)),
            ("ff00::", Some(Multicast)),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Multicast)),
            // fe80::/10 and fec0::/10
            ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("fe80::", Some(LinkLocal)),
            ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(LinkLocal)),
            ("fec0::", Some(SiteLocal)),
            // fc00::/7
            ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("fc00::", Some(Private)),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Private)),
            ("fe00::", Some(Reserved)),
            // 100::/64
            ("ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("100::", Some(DiscardOnly)),
            ("100::ffff:ffff:ffff:ffff", Some(DiscardOnly)),
            ("100:0:0:1::", Some(Reserved)),
            // 2001:db8::/32
            ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:db8::", Some(Documentation)),
            (
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(Documentation),
            ),
            ("2001:db9::", None),
            // 3fff::/20
            ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("3fff::", Some(Documentation)),
            (
                "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(Documentation),
            ),
            ("3fff:1000::", None),
            // 2001::/23, Teredo 2001::/32, benchmarking 2001:2::/48
            ("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001::", Some(Teredo)),
            ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", Some(Teredo)),
            ("2001:1::", Some(ProtocolAssignment)),
            (
                "2001:1:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(ProtocolAssignment),
            ),
            ("2001:2::", Some(Benchmarking)),
            ("2001:2:0:ffff:ffff:ffff:ffff:ffff", Some(Benchmarking)),
            ("2001:2:1::", Some(ProtocolAssignment)),
            (
                "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(ProtocolAssignment),
            ),
            ("2001:200::", None),
            // global unicast 2000::/3 and what lies outside it
            ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("2000::", None),
            ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("4000::", Some(Reserved)),
            ("5f00::1", Some(Reserved)),
            ("2a00:1450:4001:81c::201b", None),
            ("2620:4f:8000::1", None), // AS112 direct delegation
            // 64:ff9b:1::/48 local-use NAT64
            ("64:ff9b:0:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("64:ff9b:1::", Some(Private)),
            ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", Some(Private)),
            ("64:ff9b:2::", Some(Reserved)),
        ]);
    }

    #[test]
    fn embedded_ipv4_is_judged_by_its_ipv4_address() {
        table(&[
            // IPv4-mapped ::ffff:0:0/96
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:10.0.0.5", Some(Private)),
            ("::ffff:0.0.0.0", Some(Unspecified)),
            ("::ffff:255.255.255.255", Some(Broadcast)),
            ("::ffff:8.8.8.8", None),
            ("::fffe:ffff:ffff", Some(Reserved)), // just below the mapped block
            ("::1:0:0:0", Some(Reserved)),        // just above it
            // NAT64 64:ff9b::/96
            ("64:ff9b::127.0.0.1", Some(Loopback)),
            ("64:ff9b::192.168.1.1", Some(Private)),
            ("64:ff9b::8.8.8.8", None),
            ("64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("64:ff9b:0:0:0:1::", Some(Reserved)), // just above the /96
            // IPv4-compatible ::a.b.c.d
            ("::127.0.0.1", Some(Loopback)),
            ("::10.1.2.3", Some(Private)),
            ("::0.0.0.2", Some(ThisNetwork)),
            ("::8.8.8.8", Some(Reserved)),
            ("::255.255.255.255", Some(Broadcast)),
            // 6to4 2002::/16
            ("2002:7f00:1::1", Some(Loopback)),
            ("2002:a00:5::", Some(Private)),
            ("2002:a9fe:1::", Some(LinkLocal)),
            ("2002:808:808::1", None),
            ("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None), // below 2002::/16
            ("2003::", None),
        ]);
    }

    #[test]
    fn detail_reads_as_in_the_design() {
        let ip: IpAddr = "10.0.0.5".parse().unwrap_or_else(|e| panic!("{e}"));
        let class = check_target_ip(ip).unwrap_err();
        assert_eq!(
            class.detail("mx.example.com", ip),
            "MX mx.example.com resolves to 10.0.0.5, a private address"
        );
        let ip: IpAddr = "::ffff:127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            check_target_ip(ip).unwrap_err().detail("example.com", ip),
            "MX example.com resolves to ::ffff:127.0.0.1, a loopback address"
        );
    }

    #[test]
    fn every_class_has_a_phrase() {
        for class in [
            Unspecified,
            ThisNetwork,
            Loopback,
            Private,
            SharedCgnat,
            LinkLocal,
            SiteLocal,
            Multicast,
            Broadcast,
            Documentation,
            Benchmarking,
            ProtocolAssignment,
            Relay6to4,
            Teredo,
            DiscardOnly,
            Reserved,
        ] {
            let phrase = class.to_string();
            assert!(
                phrase.starts_with("a ") || phrase.starts_with("an "),
                "{phrase}"
            );
            assert!(phrase.ends_with("address"), "{phrase}");
        }
    }

    proptest::proptest! {
        #[test]
        fn mapped_and_nat64_agree_with_ipv4(bits: u32) {
            let v4 = Ipv4Addr::from(bits);
            let want = check_target_ip(IpAddr::V4(v4));
            proptest::prop_assert_eq!(check_target_ip(IpAddr::V6(v4.to_ipv6_mapped())), want);
            let nat64 = Ipv6Addr::from((0x0064u128 << 112) | (0xff9b << 96) | u128::from(bits));
            proptest::prop_assert_eq!(check_target_ip(IpAddr::V6(nat64)), want);
        }
    }
}
