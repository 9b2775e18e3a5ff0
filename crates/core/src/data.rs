//! The data a verdict consults: disposable domains, free providers, known
//! real providers and role accounts. Built from the files under `data/`
//! (sources and licences in `data/SOURCES.md`), embedded at compile time.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::disposable::{Disposable, DisposableDataError, DisposableFilter};
use crate::hash::{domain_hash, hash_bytes, IdBuild};

const FREE_TXT: &str = include_str!("../data/free.txt");
const PROVIDERS_TXT: &str = include_str!("../data/providers.txt");
const ROLES_TXT: &str = include_str!("../data/roles.txt");
const CURATED_TXT: &str = include_str!("../data/disposable/curated.txt");
const ALLOWLIST_TXT: &str = include_str!("../data/disposable/allowlist.txt");
/// The full disposable list as a filter file (see [`crate::disposable`]).
#[cfg(feature = "full-disposable")]
pub const FULL_DISPOSABLE_FILTER: &[u8] = include_bytes!("../data/disposable/filter.bin");

const FREE: u8 = 1;
const PROVIDER: u8 = 2;

/// The entries of a one-item-per-line data file: `#` starts a comment,
/// blank lines are skipped, items are trimmed and lower-cased.
pub fn list_entries(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_ascii_lowercase)
}

/// Everything the syntax-depth verdict looks up.
#[derive(Debug, Clone)]
pub struct Data {
    /// The disposable-domain lookup.
    pub disposable: Disposable,
    known: HashMap<u64, u8, IdBuild>,
    roles: HashSet<u64, IdBuild>,
    /// For each lower-case first byte, bit `n` is set when some role of `n`
    /// bytes starts with it: most local parts are ruled out without hashing.
    role_shapes: [u32; 128],
}

impl Default for Data {
    fn default() -> Self {
        Self::new()
    }
}

impl Data {
    /// The built-in data, with the full disposable list when the
    /// `full-disposable` feature is on (as in the CLI and the worker).
    pub fn new() -> Data {
        #[allow(unused_mut)] // mutated only with the full-disposable feature
        let mut data = Data::without_full_disposable();
        #[cfg(feature = "full-disposable")]
        {
            // The embedded file is checked by a test (`embedded_filter_loads`), so this cannot fail.
            let filter = DisposableFilter::from_bytes(FULL_DISPOSABLE_FILTER)
                .expect("embedded filter is valid");
            data.disposable.set_full(filter);
        }
        data
    }

    /// The built-in data with only the curated disposable list (the browser
    /// module before its data file is loaded).
    pub fn without_full_disposable() -> Data {
        let mut known: HashMap<u64, u8, IdBuild> = HashMap::default();
        let mut disposable = Disposable::new();
        for d in list_entries(FREE_TXT) {
            *known.entry(domain_hash(&d)).or_default() |= FREE;
        }
        for d in list_entries(PROVIDERS_TXT) {
            *known.entry(domain_hash(&d)).or_default() |= PROVIDER;
            disposable.allow(&d);
        }
        for d in list_entries(FREE_TXT).chain(list_entries(ALLOWLIST_TXT)) {
            disposable.allow(&d);
        }
        let curated: Vec<String> = list_entries(CURATED_TXT).collect();
        disposable.extend_curated(curated.iter().map(String::as_str));
        let mut role_shapes = [0u32; 128];
        let mut roles = HashSet::default();
        for r in list_entries(ROLES_TXT) {
            if let Some(&first) = r.as_bytes().first() {
                if first < 128 && r.len() <= ROLE_MAX {
                    role_shapes[first as usize] |= 1 << r.len();
                }
            }
            roles.insert(domain_hash(&r));
        }
        Data {
            disposable,
            known,
            roles,
            role_shapes,
        }
    }

    /// The shared built-in data ([`Data::new`]), built once.
    pub fn builtin() -> &'static Data {
        static DATA: OnceLock<Data> = OnceLock::new();
        DATA.get_or_init(Data::new)
    }

    /// Installs the full disposable list from a filter file's bytes.
    pub fn load_disposable_filter(&mut self, bytes: &[u8]) -> Result<(), DisposableDataError> {
        self.disposable
            .set_full(DisposableFilter::from_bytes(bytes)?);
        Ok(())
    }

    /// Whether a lower-case ASCII domain (by its [`domain_hash`]) is a free
    /// provider, and whether it is a known real provider of any kind.
    pub(crate) fn known(&self, hash: u64) -> (bool, bool) {
        match self.known.get(&hash) {
            Some(&bits) => (bits & FREE != 0, true),
            None => (false, false),
        }
    }

    /// Whether a lower-case ASCII domain is a free mailbox provider.
    pub fn is_free(&self, domain: &str) -> bool {
        self.known(domain_hash(domain)).0
    }

    /// Whether a local part is a role account (`info`, `Sales+eu`): compared
    /// case-insensitively, without its `+` subaddress. Non-ASCII local parts
    /// are never role accounts.
    pub fn is_role(&self, local: &str) -> bool {
        let b = local.as_bytes();
        let base = b
            .iter()
            .position(|&c| c == b'+')
            .map_or(b, |plus| &b[..plus]);
        let (Some(&first), true) = (base.first(), base.len() <= ROLE_MAX) else {
            return false;
        };
        if first >= 128
            || self.role_shapes[first.to_ascii_lowercase() as usize] & (1 << base.len()) == 0
        {
            return false;
        }
        let mut buf = [0u8; ROLE_MAX];
        let lower = &mut buf[..base.len()];
        lower.copy_from_slice(base);
        lower.make_ascii_lowercase();
        // Non-ASCII bytes never match: every role is ASCII.
        self.roles.contains(&hash_bytes(lower))
    }
}

/// Local parts longer than this are never looked up as roles (the longest
/// role in roles.txt is shorter; a test checks). Below 32: `role_shapes` bits.
const ROLE_MAX: usize = 24;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lists_load() {
        let d = Data::builtin();
        assert!(d.is_free("gmail.com"));
        assert!(!d.is_free("example.com"));
        assert!(d.is_role("info"));
        assert!(d.is_role("Sales+emea"));
        assert!(!d.is_role("john.doe"));
        assert!(d.disposable.lookup("mailinator.com").is_some());
        assert!(d.disposable.lookup("gmail.com").is_none());
    }

    #[test]
    fn real_providers_are_never_disposable() {
        // Real providers some public lists carry by mistake, and the majors.
        for d in [
            "21cn.com",
            "189.cn",
            "wo.cn",
            "zoho.com",
            "hushmail.com",
            "139.com",
            "email.com",
            "inbox.com",
            "gmail.com",
            "outlook.com",
            "yahoo.co.uk",
            "gmx.de",
            "mail.ru",
            "qq.com",
            "proton.me",
        ] {
            assert!(Data::builtin().disposable.lookup(d).is_none(), "{d}");
        }
    }

    #[test]
    fn every_role_fits_the_lookup_buffer() {
        assert!(list_entries(ROLES_TXT).all(|r| r.len() <= ROLE_MAX));
    }

    #[test]
    fn list_entries_skip_comments() {
        let v: Vec<String> = list_entries("# c\n\nA.com  # why\n b.org\n").collect();
        assert_eq!(v, ["a.com", "b.org"]);
    }

    #[cfg(feature = "full-disposable")]
    #[test]
    fn embedded_filter_loads_and_holds_every_listed_domain() {
        let f = DisposableFilter::from_bytes(FULL_DISPOSABLE_FILTER).unwrap();
        let listed: Vec<String> =
            list_entries(include_str!("../data/disposable/domains.txt")).collect();
        assert!(listed.len() >= 100_000, "{}", listed.len());
        assert_eq!(f.domain_count(), listed.len());
        let missing: Vec<&String> = listed
            .iter()
            .filter(|d| !f.contains_hash(domain_hash(d)))
            .take(5)
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
        // Rebuilding from the list gives the same bytes: the file is current.
        let rebuilt = DisposableFilter::build(listed.iter().map(String::as_str)).unwrap();
        assert!(
            rebuilt.to_bytes() == FULL_DISPOSABLE_FILTER,
            "filter.bin is stale: run scripts/refresh-disposable.sh"
        );
    }
}
