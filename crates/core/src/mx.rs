//! MX planning (RFC 5321 §5.1, RFC 7505) and the address-safety rules for
//! hosts learned from DNS. No I/O: callers pass in DNS answers and a seed.
//! (Being written; see issue 2.)
