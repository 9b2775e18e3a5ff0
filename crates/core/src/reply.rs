//! SMTP replies: parsing (RFC 5321 §4.2, RFC 3463 enhanced codes) and the one
//! place that decides what a reply means for an address.
//! (Being written; see issue 2.)
