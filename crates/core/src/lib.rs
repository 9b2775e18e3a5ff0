//! prebounce-core: the one crate that decides every prebounce verdict.
//!
//! Pure Rust with no I/O, no clocks and no hidden randomness, so the browser
//! module, the edge worker and the native probe give identical answers for
//! identical inputs. See the crate README for the tour.
//!
//! ```
//! use prebounce_core::{check, Options, Reason};
//! let v = check("john@gmial.com", &Options::default());
//! assert_eq!(v.reason, Reason::PossibleTypo);
//! assert_eq!(v.suggestion.as_deref(), Some("john@gmail.com"));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod address;
#[cfg(feature = "bounces")]
pub mod bounce;
mod bounds;
pub mod check;
pub mod data;
pub mod disposable;
pub mod domain;
pub mod hash;
pub mod list;
pub mod mx;
pub mod options;
pub mod outcome;
pub mod reply;
pub mod suppression;
pub mod time;
pub mod typo;
pub mod verdict;

pub use address::{Mailbox, SyntaxErrorCode};
pub use check::{check, unreadable, Assessment, Checker, DomainMemo};
pub use data::Data;
pub use options::Options;
pub use reply::{classify, Classification, EnhancedCode, Reply, Stage};
pub use verdict::{
    Depth, DnsInfo, ErrorInfo, Flags, MxRecord, Reason, SmtpInfo, Status, SuppressionInfo, Verdict,
};
