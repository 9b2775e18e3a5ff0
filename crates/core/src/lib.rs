//! prebounce-core: the one crate that decides every prebounce verdict.
//!
//! Pure Rust with no I/O, no clocks and no hidden randomness, so the browser
//! module, the edge worker and the native probe give identical answers for
//! identical inputs. See the crate README for the tour.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod address;
pub mod mx;
pub mod options;
pub mod reply;
pub mod verdict;

pub use address::SyntaxErrorCode;
pub use options::Options;
pub use verdict::{DnsInfo, Depth, ErrorInfo, Flags, MxRecord, Reason, SmtpInfo, Status, SuppressionInfo, Verdict};
