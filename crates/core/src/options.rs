//! The check options: the same names in every part (docs/DESIGN.md). CLI flags are
//! the same words with dashes; the wasm module and the APIs take them as JSON.

use serde::{Deserialize, Serialize};

/// Options that change what counts as acceptable. All default to docs/DESIGN.md's
/// values; unknown JSON fields are rejected so a misspelt option is an error,
/// not a silent default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// Accept quoted local parts (`"john doe"@example.com`). Default false.
    pub allow_quoted_local: bool,
    /// Accept domain literals (`user@[192.0.2.1]`). Default false.
    pub allow_domain_literal: bool,
    /// Accept non-ASCII local parts (RFC 6531). Default true.
    pub allow_smtputf8: bool,
    /// Accept domains without a dot (`user@intranet`). Default false.
    pub allow_single_label: bool,
    /// Accept special-use names (`.test`, `.localhost` …). Default false.
    pub allow_special_use: bool,
    /// Make role accounts (`info@`) `risky` / `role_account`. Default false.
    pub role_is_risky: bool,
}

impl Default for Options {
    fn default() -> Self {
        DEFAULTS
    }
}

/// docs/DESIGN.md's defaults, as a constant so [`Options::DEFAULT_BITS`] is one too.
const DEFAULTS: Options = Options {
    allow_quoted_local: false,
    allow_domain_literal: false,
    allow_smtputf8: true,
    allow_single_label: false,
    allow_special_use: false,
    role_is_risky: false,
};

impl Options {
    /// The option names, as used in JSON, query strings and (with dashes) CLI flags.
    pub const NAMES: [&'static str; 6] = [
        "allow_quoted_local",
        "allow_domain_literal",
        "allow_smtputf8",
        "allow_single_label",
        "allow_special_use",
        "role_is_risky",
    ];

    /// The defaults as [`Options::to_bits`] packs them (only `allow_smtputf8`
    /// is on).
    pub const DEFAULT_BITS: u8 = DEFAULTS.to_bits();

    /// The options as bits, bit `i` for [`Options::NAMES`]`[i]` (bit 0
    /// `allow_quoted_local` … bit 5 `role_is_risky`): how the wasm module
    /// takes them and how the edge keys its verdict cache.
    pub const fn to_bits(&self) -> u8 {
        let values = [
            self.allow_quoted_local,
            self.allow_domain_literal,
            self.allow_smtputf8,
            self.allow_single_label,
            self.allow_special_use,
            self.role_is_risky,
        ];
        let mut bits = 0;
        let mut i = 0;
        while i < values.len() {
            bits |= (values[i] as u8) << i;
            i += 1;
        }
        bits
    }

    /// The options [`Options::to_bits`] packed into `bits`; bits above bit 5
    /// are ignored.
    pub const fn from_bits(bits: u8) -> Options {
        Options {
            allow_quoted_local: bits & 1 != 0,
            allow_domain_literal: bits & (1 << 1) != 0,
            allow_smtputf8: bits & (1 << 2) != 0,
            allow_single_label: bits & (1 << 3) != 0,
            allow_special_use: bits & (1 << 4) != 0,
            role_is_risky: bits & (1 << 5) != 0,
        }
    }

    /// Sets an option by its docs/DESIGN.md name. Returns false for an unknown name.
    pub fn set(&mut self, name: &str, value: bool) -> bool {
        let slot = match name {
            "allow_quoted_local" => &mut self.allow_quoted_local,
            "allow_domain_literal" => &mut self.allow_domain_literal,
            "allow_smtputf8" => &mut self.allow_smtputf8,
            "allow_single_label" => &mut self.allow_single_label,
            "allow_special_use" => &mut self.allow_special_use,
            "role_is_risky" => &mut self.role_is_risky,
            _ => return false,
        };
        *slot = value;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_design() {
        let o: Options = serde_json::from_str("{}").unwrap();
        assert_eq!(o, Options::default());
        assert!(o.allow_smtputf8 && !o.allow_quoted_local && !o.role_is_risky);
    }

    #[test]
    fn bits_follow_the_names_both_ways() {
        for (i, name) in Options::NAMES.iter().enumerate() {
            let mut o = Options::from_bits(0);
            assert!(o.set(name, true), "{name}");
            assert_eq!(o.to_bits(), 1 << i, "{name}");
            assert_eq!(Options::from_bits(1 << i), o, "{name}");
        }
        for bits in 0..64 {
            assert_eq!(Options::from_bits(bits).to_bits(), bits);
        }
        assert_eq!(Options::from_bits(0xC0), Options::from_bits(0));
    }

    #[test]
    fn default_bits_are_the_defaults() {
        assert_eq!(Options::DEFAULT_BITS, Options::default().to_bits());
        assert_eq!(
            Options::from_bits(Options::DEFAULT_BITS),
            Options::default()
        );
        assert_eq!(Options::DEFAULT_BITS, 1 << 2);
    }

    #[test]
    fn unknown_option_is_an_error() {
        assert!(serde_json::from_str::<Options>(r#"{"allow_quoted":true}"#).is_err());
        let mut o = Options::default();
        assert!(!o.set("nope", true));
        for n in Options::NAMES {
            assert!(o.set(n, true), "{n}");
        }
        assert_eq!(
            serde_json::to_value(o).unwrap().as_object().unwrap().len(),
            6
        );
    }
}
