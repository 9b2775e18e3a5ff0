//! The worker's settings, read from its environment (wrangler.toml `[vars]`
//! and secrets). Every name is documented in `worker/README.md`.

use std::collections::BTreeMap;

/// Every variable the worker reads (vars and secrets alike). The glue copies
/// these from the Workers environment into [`Config::from_vars`].
pub const VAR_NAMES: [&str; 9] = [
    "DOH_URL",
    "PROBE_URL",
    "PROBE_SECRET",
    "API_KEYS",
    "SUBREQUEST_BUDGET",
    "VERDICT_CACHE_TTL",
    "DOH_TIMEOUT_MS",
    "PROBE_TIMEOUT_MS",
    "MAX_BODY_BYTES",
];

/// The settings. Built from name → value pairs so tests need no runtime.
#[derive(Debug, Clone)]
pub struct Config {
    /// The raw variables, for settings read later.
    pub vars: BTreeMap<String, String>,
}

impl Config {
    /// Settings from variables (names as in [`VAR_NAMES`]).
    pub fn from_vars(vars: BTreeMap<String, String>) -> Config {
        Config { vars }
    }
}
