//! docs/DESIGN.md's options as command-line flags: the same words with dashes,
//! alone for `true` or with `=true` / `=false` (`--allow-special-use`,
//! `--allow-smtputf8=false`). The `=` is required so that a bare flag never
//! swallows the address after it.

use clap::Args;
use prebounce_core::Options;

/// The option flags shared by every command that checks addresses.
#[derive(Debug, Clone, Default, Args)]
pub struct OptionFlags {
    /// Accept quoted local parts ("john doe"@example.com).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub allow_quoted_local: Option<bool>,
    /// Accept domain literals (user@[192.0.2.1]).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub allow_domain_literal: Option<bool>,
    /// Accept non-ASCII local parts (on by default; `--allow-smtputf8=false` turns it off).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub allow_smtputf8: Option<bool>,
    /// Accept domains without a dot.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub allow_single_label: Option<bool>,
    /// Accept special-use domains (.test, .localhost, …).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub allow_special_use: Option<bool>,
    /// Make role accounts (info@, sales@) risky.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub role_is_risky: Option<bool>,
}

impl OptionFlags {
    /// The core options these flags select (unset flags keep the defaults).
    pub fn to_options(&self) -> Options {
        let mut o = Options::default();
        let flags = [
            ("allow_quoted_local", self.allow_quoted_local),
            ("allow_domain_literal", self.allow_domain_literal),
            ("allow_smtputf8", self.allow_smtputf8),
            ("allow_single_label", self.allow_single_label),
            ("allow_special_use", self.allow_special_use),
            ("role_is_risky", self.role_is_risky),
        ];
        for (name, value) in flags {
            if let Some(v) = value {
                // The names above are exactly Options::NAMES; a test checks.
                let known = o.set(name, v);
                debug_assert!(known, "{name}");
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_maps_to_a_core_option() {
        let all = OptionFlags {
            allow_quoted_local: Some(true),
            allow_domain_literal: Some(true),
            allow_smtputf8: Some(false),
            allow_single_label: Some(true),
            allow_special_use: Some(true),
            role_is_risky: Some(true),
        };
        let o = all.to_options();
        assert!(o.allow_quoted_local && o.allow_domain_literal && !o.allow_smtputf8);
        assert!(o.allow_single_label && o.allow_special_use && o.role_is_risky);
        assert_eq!(OptionFlags::default().to_options(), Options::default());
    }
}
