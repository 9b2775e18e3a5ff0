//! The one hash every data lookup uses, and an identity hasher for sets
//! whose keys are already such hashes.

use std::hash::{BuildHasherDefault, Hasher};

/// XXH3-64 (seed 0) of a lower-case ASCII domain or local part. Stable across
/// platforms and versions: the disposable filter file depends on it.
pub fn domain_hash(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

/// [`domain_hash`] of text already held as bytes.
pub fn hash_bytes(b: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(b)
}

/// A hasher that passes a `u64` key through unchanged: the keys are already
/// uniformly distributed XXH3 values, so hashing them again is wasted work.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are used; fold anything else in so it stays correct.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8)) ^ b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Builds [`IdHasher`]s.
pub type IdBuild = BuildHasherDefault<IdHasher>;
