//! Disposable domains: one structure, used by every part.
//!
//! The full list (about 120,000 domains) ships as a binary fuse filter with
//! 16-bit fingerprints (the `xorf` crate): about 2.3 bytes a domain, so it
//! fits the browser's on-demand budget, and the CLI embeds the very same
//! bytes, so verdicts agree everywhere. A filter can say "listed" for a
//! domain that is not (1 in 65,536 per lookup); we look up the domain and
//! each parent with at least two labels, so a typical address costs one or
//! two lookups, a false-positive rate of at most about 1 in 32,000 per
//! address. Exact sets sit beside the filter:
//!
//! - the **allowlist** (real providers and our hand-kept allowlist) wins over
//!   everything, so no known real provider is ever flagged, false positive or
//!   not;
//! - the **curated** list, built into the browser module so it works before
//!   the full file is loaded (and embedded everywhere, so it never differs);
//! - **caller additions** ([`Disposable::add`]).
//!
//! Every set is keyed by [`domain_hash`], the 64-bit XXH3 of the lower-case
//! ASCII domain, so one hash per suffix serves all lookups.
//!
//! # Filter file format (little-endian)
//! `PBDF` magic, version `1`, hash id `1` (XXH3-64, seed 0), 2 reserved
//! bytes, domain count (u32), the fuse descriptor: seed (u64), segment length,
//! segment length mask, segment count length (u32 each), the fingerprint count
//! (u32), the fingerprints (u16 each), and an XXH3-64 checksum of everything
//! before it (u64).

use std::collections::HashSet;

use thiserror::Error;
use xorf::{BinaryFuse16, Filter};

use crate::hash::{domain_hash, IdBuild};

const MAGIC: &[u8; 4] = b"PBDF";
const VERSION: u8 = 1;
const HASH_XXH3: u8 = 1;
const HEADER_LEN: usize = 4 + 1 + 1 + 2 + 4 + 8 + 4 + 4 + 4 + 4;

/// The filter file could not be read or built.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DisposableDataError {
    /// The bytes do not start with the `PBDF` magic.
    #[error("not a prebounce disposable-domain file (bad magic)")]
    BadMagic,
    /// A version or hash this build does not know.
    #[error("unsupported disposable-domain file (version {version}, hash {hash})")]
    Unsupported {
        /// The file's format version.
        version: u8,
        /// The file's hash id.
        hash: u8,
    },
    /// The file is shorter or longer than its header says.
    #[error("disposable-domain file is truncated or has trailing bytes")]
    BadLength,
    /// The checksum does not match: the file is corrupt.
    #[error("disposable-domain file is corrupt (checksum mismatch)")]
    BadChecksum,
    /// The descriptor is inconsistent with the fingerprints.
    #[error("disposable-domain file has an inconsistent filter descriptor")]
    BadDescriptor,
    /// The filter could not be constructed from the domains given.
    #[error("could not build the disposable-domain filter: {0}")]
    Build(&'static str),
}

/// The full disposable list as a binary fuse filter.
#[derive(Debug, Clone)]
pub struct DisposableFilter {
    filter: BinaryFuse16,
    domains: u32,
}

impl DisposableFilter {
    /// Builds the filter from lower-case ASCII domains (duplicates are fine).
    pub fn build<'a>(
        domains: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, DisposableDataError> {
        let mut keys: Vec<u64> = domains.into_iter().map(domain_hash).collect();
        keys.sort_unstable();
        keys.dedup();
        let filter = BinaryFuse16::try_from(&keys).map_err(DisposableDataError::Build)?;
        let domains = u32::try_from(keys.len())
            .map_err(|_| DisposableDataError::Build("too many domains"))?;
        Ok(DisposableFilter { filter, domains })
    }

    /// Reads the file format described in the module docs.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DisposableDataError> {
        if bytes.len() < 4 || &bytes[..4] != MAGIC {
            return Err(DisposableDataError::BadMagic);
        }
        if bytes.len() < HEADER_LEN + 8 {
            return Err(DisposableDataError::BadLength);
        }
        let (version, hash) = (bytes[4], bytes[5]);
        if version != VERSION || hash != HASH_XXH3 {
            return Err(DisposableDataError::Unsupported { version, hash });
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let domains = u32_at(8);
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&bytes[12..20]);
        let seed = u64::from_le_bytes(seed);
        let (segment_length, segment_length_mask, segment_count_length) =
            (u32_at(20), u32_at(24), u32_at(28));
        let n = u32_at(32) as usize;
        if bytes.len() != HEADER_LEN + 2 * n + 8 {
            return Err(DisposableDataError::BadLength);
        }
        let body = &bytes[..HEADER_LEN + 2 * n];
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&bytes[HEADER_LEN + 2 * n..]);
        if xxhash_rust::xxh3::xxh3_64(body) != u64::from_le_bytes(sum) {
            return Err(DisposableDataError::BadChecksum);
        }
        // The lookup indexes up to segment_count_length + 2 * segment_length;
        // refuse descriptors that could reach past the fingerprints.
        let reach = segment_count_length as u64 + 2 * segment_length as u64;
        // xorf builds segment_count_length as a whole number of segments; the
        // bound above only holds for such descriptors.
        if segment_length == 0
            || segment_length_mask != segment_length - 1
            || !segment_length.is_power_of_two()
            || segment_count_length == 0
            || segment_count_length % segment_length != 0
            || reach > n as u64
        {
            return Err(DisposableDataError::BadDescriptor);
        }
        let fingerprints: Box<[u16]> = bytes[HEADER_LEN..HEADER_LEN + 2 * n]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let filter = BinaryFuse16 {
            descriptor: xorf::Descriptor {
                seed,
                segment_length,
                segment_length_mask,
                segment_count_length,
            },
            fingerprints,
        };
        Ok(DisposableFilter { filter, domains })
    }

    /// Writes the file format described in the module docs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let d = &self.filter.descriptor;
        let fps = &self.filter.fingerprints;
        let mut out = Vec::with_capacity(HEADER_LEN + 2 * fps.len() + 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[VERSION, HASH_XXH3, 0, 0]);
        out.extend_from_slice(&self.domains.to_le_bytes());
        out.extend_from_slice(&d.seed.to_le_bytes());
        out.extend_from_slice(&d.segment_length.to_le_bytes());
        out.extend_from_slice(&d.segment_length_mask.to_le_bytes());
        out.extend_from_slice(&d.segment_count_length.to_le_bytes());
        // The fingerprint count fits in u32: it is about 1.13 x the domain count, itself a u32.
        out.extend_from_slice(&(fps.len() as u32).to_le_bytes());
        for fp in fps.iter() {
            out.extend_from_slice(&fp.to_le_bytes());
        }
        let sum = xxhash_rust::xxh3::xxh3_64(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// How many domains the filter was built from.
    pub fn domain_count(&self) -> usize {
        self.domains as usize
    }

    /// Whether the domain with this [`domain_hash`] is (probably) listed.
    pub fn contains_hash(&self, hash: u64) -> bool {
        self.filter.contains(&hash)
    }
}

/// Where a disposable match came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The built-in curated list.
    Curated,
    /// The full list's filter.
    Full,
    /// Added by the caller.
    Added,
}

/// The disposable-domain lookup every part uses.
#[derive(Debug, Clone, Default)]
pub struct Disposable {
    full: Option<DisposableFilter>,
    curated: HashSet<u64, IdBuild>,
    added: HashSet<u64, IdBuild>,
    allow: HashSet<u64, IdBuild>,
    curated_count: usize,
}

impl Disposable {
    /// An empty lookup (nothing listed, nothing allowed).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds domains to the curated (built-in) list.
    pub fn extend_curated<'a>(&mut self, domains: impl IntoIterator<Item = &'a str>) {
        for d in domains {
            if self.curated.insert(domain_hash(d)) {
                self.curated_count += 1;
            }
        }
    }

    /// Installs the full list, replacing any earlier one.
    pub fn set_full(&mut self, filter: DisposableFilter) {
        self.full = Some(filter);
    }

    /// Whether the full list is loaded.
    pub fn has_full(&self) -> bool {
        self.full.is_some()
    }

    /// The number of domains in the full list (0 when not loaded) and in the curated list.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.full.as_ref().map_or(0, |f| f.domain_count()),
            self.curated_count,
        )
    }

    /// Lists a domain (lower-case ASCII) as disposable, with its subdomains.
    pub fn add(&mut self, domain: &str) {
        self.added.insert(domain_hash(domain));
    }

    /// Never flags this domain (lower-case ASCII) or its subdomains; wins over every list.
    pub fn allow(&mut self, domain: &str) {
        self.allow.insert(domain_hash(domain));
    }

    /// Looks up a lower-case ASCII domain and its parents (down to two labels).
    pub fn lookup(&self, domain: &str) -> Option<Source> {
        self.lookup_hashed(domain, domain_hash(domain))
    }

    /// Like [`lookup`](Self::lookup), with the domain's own hash already computed.
    pub fn lookup_hashed(&self, domain: &str, hash: u64) -> Option<Source> {
        let mut found = None;
        for (i, suffix) in suffixes(domain).enumerate() {
            let h = if i == 0 { hash } else { domain_hash(suffix) };
            if self.allow.contains(&h) {
                return None;
            }
            if found.is_none() {
                found = self.listed(h);
            }
        }
        found
    }

    fn listed(&self, h: u64) -> Option<Source> {
        if self.added.contains(&h) {
            Some(Source::Added)
        } else if self.curated.contains(&h) {
            Some(Source::Curated)
        } else if self.full.as_ref().is_some_and(|f| f.contains_hash(h)) {
            Some(Source::Full)
        } else {
            None
        }
    }
}

/// The domain and each parent with at least two labels, longest first:
/// `a.b.example.com`, `b.example.com`, `example.com`.
pub fn suffixes(domain: &str) -> impl Iterator<Item = &str> {
    let dots = domain.bytes().filter(|&b| b == b'.').count();
    let mut rest = Some(domain);
    let mut left = dots.max(1);
    std::iter::from_fn(move || {
        let cur = rest?;
        left -= 1;
        rest = if left == 0 {
            None
        } else {
            cur.split_once('.').map(|(_, r)| r)
        };
        Some(cur)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_stop_at_two_labels() {
        assert_eq!(
            suffixes("a.b.example.com").collect::<Vec<_>>(),
            ["a.b.example.com", "b.example.com", "example.com"]
        );
        assert_eq!(suffixes("example.com").collect::<Vec<_>>(), ["example.com"]);
        assert_eq!(suffixes("intranet").collect::<Vec<_>>(), ["intranet"]);
    }

    #[test]
    fn filter_round_trips_and_finds_every_member() {
        let domains: Vec<String> = (0..5000).map(|i| format!("d{i}.example")).collect();
        let f = DisposableFilter::build(domains.iter().map(String::as_str)).unwrap();
        let bytes = f.to_bytes();
        let g = DisposableFilter::from_bytes(&bytes).unwrap();
        assert_eq!(g.domain_count(), 5000);
        assert!(domains.iter().all(|d| g.contains_hash(domain_hash(d))));
        // Deterministic: building again gives identical bytes.
        assert_eq!(
            DisposableFilter::build(domains.iter().map(String::as_str))
                .unwrap()
                .to_bytes(),
            bytes
        );
        // Small filters carry more slack; at 5,000 domains about 2.7 bytes each.
        assert!(bytes.len() < 5000 * 3, "{} bytes", bytes.len());
    }

    #[test]
    fn corrupt_files_are_refused() {
        let f = DisposableFilter::build(["a.example", "b.example"]).unwrap();
        let bytes = f.to_bytes();
        assert_eq!(
            DisposableFilter::from_bytes(b"nope").unwrap_err(),
            DisposableDataError::BadMagic
        );
        assert_eq!(
            DisposableFilter::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err(),
            DisposableDataError::BadLength
        );
        let mut flipped = bytes.clone();
        flipped[HEADER_LEN] ^= 1;
        assert_eq!(
            DisposableFilter::from_bytes(&flipped).unwrap_err(),
            DisposableDataError::BadChecksum
        );
        let mut v2 = bytes;
        v2[4] = 9;
        assert!(matches!(
            DisposableFilter::from_bytes(&v2),
            Err(DisposableDataError::Unsupported { .. })
        ));
    }

    #[test]
    fn allowlist_wins_and_subdomains_match() {
        let mut d = Disposable::new();
        d.extend_curated(["mailinator.com", "zoho.com"]);
        d.allow("zoho.com");
        assert_eq!(d.lookup("mailinator.com"), Some(Source::Curated));
        assert_eq!(d.lookup("x.y.mailinator.com"), Some(Source::Curated));
        assert_eq!(d.lookup("zoho.com"), None);
        assert_eq!(d.lookup("mail.zoho.com"), None);
        assert_eq!(d.lookup("example.com"), None);
        d.add("throwaway.example");
        assert_eq!(d.lookup("a.throwaway.example"), Some(Source::Added));
    }
}
