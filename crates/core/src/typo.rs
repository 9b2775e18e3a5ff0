//! Typo suggestions: `gmial.com` → `gmail.com`, `gmail.con` → `gmail.com`,
//! `example.con` → `example.com`.
//!
//! The rules, all on the lower-case ASCII domain, for domains the caller has
//! already found not to be a known real provider (a known provider, such as
//! `mail.com` or `gmx.de`, is never corrected):
//!
//! 1. **Provider typos**: one edit (insertion, deletion, substitution or
//!    adjacent transposition; optimal string alignment distance 1) away from
//!    one of the [`TARGETS`]. For targets whose first label is shorter than
//!    five letters (`aol.com`, `gmx.de`, `me.com`) the edit must fall after
//!    the first label: their one-edit neighbourhoods are full of real
//!    companies (`aon.com` is not a typo of `aol.com`). Ties go to the more
//!    popular target.
//! 2. **Top-level typos**: a last label that is not a real top-level domain
//!    but a slip of a common one (`con`, `cmo`, `ocm` → `com`; `nte` → `net`;
//!    `ogr` → `org`).
//! 3. **A missing dot** (`gmailcom`) for the targets, used on addresses that
//!    fail syntax for lack of a dot.
//!
//! Distance 1 only, and never at the first character: two edits, or an edit
//! up front, reach too many real domains (`cloud.com` is not `icloud.com`).

/// Major providers typos are corrected towards, most popular first.
pub const TARGETS: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "aol.com",
    "live.com",
    "msn.com",
    "googlemail.com",
    "comcast.net",
    "hotmail.co.uk",
    "yahoo.co.uk",
    "me.com",
    "mail.ru",
    "yandex.ru",
    "gmx.de",
    "gmx.net",
    "web.de",
    "orange.fr",
    "protonmail.com",
    "proton.me",
    "verizon.net",
    "sbcglobal.net",
    "btinternet.com",
    "hotmail.fr",
    "yahoo.fr",
    "libero.it",
    "t-online.de",
    "ymail.com",
    "rocketmail.com",
    "rediffmail.com",
    "naver.com",
    "hanmail.net",
    "qq.com",
    "163.com",
];

/// Slips of common top-level domains that are not themselves top-level
/// domains (checked against the IANA root zone list, 2026-11).
fn tld_fix(tld: &[u8]) -> Option<&'static str> {
    match tld {
        b"con" | b"cmo" | b"ocm" | b"cpm" | b"vom" | b"xom" | b"cim" | b"clm" | b"coom"
        | b"comm" | b"comn" | b"c0m" => Some("com"),
        b"nte" | b"ent" | b"nett" | b"ner" => Some("net"),
        b"ogr" | b"orgg" | b"prg" | b"rog" => Some("org"),
        _ => None,
    }
}

/// A suggested correction of a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggestion {
    /// Replace the whole domain with this one.
    Domain(&'static str),
    /// Replace the top-level label with this one.
    Tld(&'static str),
}

impl Suggestion {
    /// The corrected domain for `domain`.
    pub fn apply(self, domain: &str) -> String {
        match self {
            Suggestion::Domain(d) => d.to_owned(),
            Suggestion::Tld(tld) => match domain.rsplit_once('.') {
                Some((head, _)) => format!("{head}.{tld}"),
                None => tld.to_owned(),
            },
        }
    }
}

/// Suggests a correction for a lower-case ASCII domain that is not a known
/// provider, or `None` when it does not look like a typo.
pub fn suggest(domain: &str) -> Option<Suggestion> {
    if let Some(target) = provider_typo(domain.as_bytes()) {
        return Some(Suggestion::Domain(target));
    }
    let d = domain.as_bytes();
    let dot = d.iter().rposition(|&b| b == b'.')?;
    let fix = tld_fix(&d[dot + 1..])?;
    // A slip in both halves (`hotmial.con`): the fixed domain may be a provider typo too.
    let fixed = Suggestion::Tld(fix).apply(domain);
    Some(provider_typo(fixed.as_bytes()).map_or(Suggestion::Tld(fix), Suggestion::Domain))
}

/// The major provider one edit away, if any. The first character must be
/// right: edits there reach real companies (`cloud.com`, `wahoo.com`) far
/// more often than they fix typos.
fn provider_typo(d: &[u8]) -> Option<&'static str> {
    let index = target_index();
    let near = index.by_len.get(d.len()).map_or(&[][..], Vec::as_slice);
    if near.is_empty() {
        return None;
    }
    let sig = signature(d);
    for &i in near {
        let (target, t_sig) = (TARGETS[i as usize], index.sigs[i as usize]);
        let t = target.as_bytes();
        // One edit changes the set of characters used by at most two.
        if d.first() != t.first() || (sig ^ t_sig).count_ones() > 2 || !within_one_edit(d, t) {
            continue;
        }
        let first = target.find('.').unwrap_or(target.len());
        if first < 5 && d.get(..=first) != t.get(..=first) {
            continue;
        }
        return Some(target);
    }
    None
}

/// The set of characters a lower-case ASCII domain uses, one bit each
/// (letters, digits, `-` and `.`; anything else shares one bit).
fn signature(s: &[u8]) -> u64 {
    s.iter().fold(0u64, |acc, &b| {
        let bit = match b {
            b'a'..=b'z' => b - b'a',
            b'0'..=b'9' => 26 + b - b'0',
            b'-' => 36,
            b'.' => 37,
            _ => 38,
        };
        acc | 1 << bit
    })
}

/// The targets one edit could reach from a domain of each length (in
/// popularity order), and each target's character signature.
struct TargetIndex {
    by_len: Vec<Vec<u8>>,
    sigs: Vec<u64>,
}

fn target_index() -> &'static TargetIndex {
    static INDEX: std::sync::OnceLock<TargetIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let longest = TARGETS.iter().map(|t| t.len()).max().unwrap_or(0);
        let by_len = (0..=longest + 1)
            .map(|len| {
                (0..TARGETS.len())
                    .filter(|&i| TARGETS[i].len().abs_diff(len) <= 1)
                    // TARGETS has fewer than 256 entries (a test checks).
                    .map(|i| i as u8)
                    .collect()
            })
            .collect();
        TargetIndex {
            by_len,
            sigs: TARGETS.iter().map(|t| signature(t.as_bytes())).collect(),
        }
    })
}

/// For a dot-less domain (`gmailcom`), the target it is missing a dot from.
pub fn suggest_dotless(domain: &str) -> Option<Suggestion> {
    let d = domain.as_bytes();
    TARGETS
        .iter()
        .copied()
        .find(|t| {
            let t = t.as_bytes();
            t.len() == d.len() + t.iter().filter(|&&b| b == b'.').count()
                && t.iter()
                    .copied()
                    .filter(|&b| b != b'.')
                    .eq(d.iter().copied())
        })
        .map(Suggestion::Domain)
}

/// Optimal string alignment distance is exactly 1 (`a != b`).
fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[p..], &b[p..]);
    let s = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (a.len() - s.min(a.len()), b.len() - s.min(b.len()));
    match (ma, mb) {
        (1, 1) | (1, 0) | (0, 1) => true,
        (2, 2) => a[0] == b[1] && a[1] == b[0],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(d: &str) -> Option<String> {
        suggest(d).map(|s| s.apply(d))
    }

    #[test]
    fn provider_typos() {
        assert_eq!(fix("gmial.com").as_deref(), Some("gmail.com"));
        assert_eq!(fix("gmail.con").as_deref(), Some("gmail.com"));
        assert_eq!(fix("gmail.cmo").as_deref(), Some("gmail.com"));
        assert_eq!(fix("gmai.com").as_deref(), Some("gmail.com"));
        assert_eq!(fix("gmaill.com").as_deref(), Some("gmail.com"));
        assert_eq!(fix("hotmial.com").as_deref(), Some("hotmail.com"));
        assert_eq!(fix("yahooo.com").as_deref(), Some("yahoo.com"));
        assert_eq!(fix("outlok.com").as_deref(), Some("outlook.com"));
        assert_eq!(fix("icloud.co").as_deref(), Some("icloud.com"));
        assert_eq!(fix("hotmail.co.uj").as_deref(), Some("hotmail.co.uk"));
        assert_eq!(fix("aol.con").as_deref(), Some("aol.com"));
    }

    #[test]
    fn short_targets_only_fix_after_the_first_label() {
        assert_eq!(fix("aon.com"), None);
        // Real companies one edit away at the first character are left alone.
        assert_eq!(fix("cloud.com"), None);
        assert_eq!(fix("wahoo.com"), None);
        assert_eq!(fix("saver.com"), None);
        assert_eq!(fix("msm.com"), None);
        assert_eq!(fix("gmc.de"), None);
        assert_eq!(fix("gmx.dr").as_deref(), Some("gmx.de"));
    }

    #[test]
    fn unrelated_domains_are_left_alone() {
        for d in [
            "example.com",
            "acme-logistics.de",
            "bücher.de",
            "university.edu",
            "gmail.de.example",
        ] {
            assert_eq!(fix(d), None, "{d}");
        }
    }

    #[test]
    fn tld_typos() {
        assert_eq!(fix("example.con").as_deref(), Some("example.com"));
        assert_eq!(fix("acme.co.ogr").as_deref(), Some("acme.co.org"));
        assert_eq!(fix("example.nte").as_deref(), Some("example.net"));
        // Both halves slipped: the TLD fix leads on to the provider.
        assert_eq!(fix("hotmial.con").as_deref(), Some("hotmail.com"));
        assert_eq!(fix("example.co"), None);
        assert_eq!(fix("example.cm"), None);
    }

    #[test]
    fn dotless() {
        assert_eq!(
            suggest_dotless("gmailcom"),
            Some(Suggestion::Domain("gmail.com"))
        );
        assert_eq!(
            suggest_dotless("hotmailcouk"),
            Some(Suggestion::Domain("hotmail.co.uk"))
        );
        assert_eq!(suggest_dotless("intranet"), None);
    }

    #[test]
    fn targets_fit_the_index() {
        assert!(TARGETS.len() < 256);
        let mut seen = std::collections::HashSet::new();
        assert!(TARGETS.iter().all(|t| seen.insert(t)), "duplicate target");
    }

    #[test]
    fn edit_distance_one() {
        assert!(within_one_edit(b"abc", b"abd"));
        assert!(within_one_edit(b"abc", b"ab"));
        assert!(within_one_edit(b"abc", b"abxc"));
        assert!(within_one_edit(b"abcd", b"abdc"));
        assert!(within_one_edit(b"bacd", b"abcd"));
        assert!(!within_one_edit(b"abcd", b"badc"));
        assert!(!within_one_edit(b"abc", b"xyz"));
        assert!(!within_one_edit(b"aaa", b"a"));
    }
}
