//! `prebounce verp`: VERP return paths that name their recipient under an
//! HMAC tag (core's `bounce::verp`; the format is docs/TRUST.md's).
//!
//! ```text
//! prebounce verp encode --domain bounces.example.com ADDRESS...   # one return path a line
//! prebounce verp decode RETURN_PATH...                            # the recipient, once the tag checks
//! ```
//!
//! The secret is [`VerpSecret`]'s, read by [`verp_key`]: `bounces` takes the
//! same flags to check the tags of the bounces it reads.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use prebounce_core::bounce::verp::{VerpKey, MIN_SECRET_BYTES};

use crate::failure::Failure;

/// The environment variable holding the VERP secret.
pub const SECRET_ENV: &str = "PREBOUNCE_VERP_SECRET";

/// Where the VERP secret comes from: `--verp-secret-file`, else
/// `PREBOUNCE_VERP_SECRET`. Flatten it into any subcommand that makes or
/// checks return paths.
#[derive(Debug, Clone, Default, Args)]
pub struct VerpSecret {
    /// Read the VERP secret (at least 32 bytes) from this file; one trailing
    /// newline is ignored. Otherwise it comes from PREBOUNCE_VERP_SECRET.
    #[arg(long, value_name = "PATH", global = true)]
    pub verp_secret_file: Option<PathBuf>,
}

/// Why no key could be made from the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No secret, or one too short: a usage error (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The secret file could not be read: a run-time error (exit 1).
    #[error("{0}")]
    Unreadable(String),
}

impl SecretError {
    /// Whether it is a usage error.
    pub fn is_usage(&self) -> bool {
        matches!(self, SecretError::Usage(_))
    }
}

/// The key from `--verp-secret-file` or `PREBOUNCE_VERP_SECRET` (the file
/// wins when both are given).
pub fn verp_key(secret: &VerpSecret) -> Result<VerpKey, SecretError> {
    let (bytes, source) = match &secret.verp_secret_file {
        Some(path) => {
            let mut bytes = std::fs::read(path).map_err(|e| {
                SecretError::Unreadable(format!("--verp-secret-file {}: {e}", path.display()))
            })?;
            // One line ending, as editors and `echo` leave it.
            if bytes.ends_with(b"\n") {
                bytes.pop();
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
            }
            (bytes, format!("--verp-secret-file {}", path.display()))
        }
        None => match std::env::var_os(SECRET_ENV) {
            Some(v) => (v.into_encoded_bytes(), SECRET_ENV.to_owned()),
            None => {
                return Err(SecretError::Usage(format!(
                    "no VERP secret: set {SECRET_ENV} or pass --verp-secret-file PATH \
                     (at least {MIN_SECRET_BYTES} random bytes, e.g. `openssl rand -hex 32`)"
                )))
            }
        },
    };
    VerpKey::new(&bytes).map_err(|_| {
        SecretError::Usage(format!(
            "the VERP secret from {source} has {} bytes; it must have at least \
             {MIN_SECRET_BYTES} (random bytes, e.g. `openssl rand -hex 32`)",
            bytes.len()
        ))
    })
}

/// The key when a secret is given (`bounces`: verified mode), `None` when
/// neither `--verp-secret-file` nor `PREBOUNCE_VERP_SECRET` is; a secret
/// given but unusable is an error, as for [`verp_key`].
pub fn optional_key(secret: &VerpSecret) -> Result<Option<VerpKey>, SecretError> {
    if secret.verp_secret_file.is_none() && std::env::var_os(SECRET_ENV).is_none() {
        return Ok(None);
    }
    verp_key(secret).map(Some)
}

/// Arguments of `prebounce verp`.
#[derive(Debug, Args)]
pub struct VerpArgs {
    #[command(flatten)]
    secret: VerpSecret,
    #[command(subcommand)]
    command: VerpCommand,
}

#[derive(Debug, Subcommand)]
enum VerpCommand {
    /// Print the return path of each address, one a line, in order. An
    /// address that cannot be encoded (too long, quoted, not an address) is
    /// reported on stderr and makes the exit code 1; send its mail with the
    /// plain bounce address and record it in the sent log.
    Encode {
        /// The domain that receives the bounces (`bounces.example.com`).
        #[arg(long, value_name = "DOMAIN")]
        domain: String,
        /// The recipients.
        #[arg(value_name = "ADDRESS", required = true)]
        addresses: Vec<String>,
    },
    /// Check each return path's tag and print its recipient (the
    /// suppression key: lower case, A-label domain), one a line. A path that
    /// is not one, or whose tag is wrong, is reported on stderr and makes
    /// the exit code 1.
    Decode {
        /// The return paths (with or without angle brackets).
        #[arg(value_name = "RETURN_PATH", required = true)]
        return_paths: Vec<String>,
    },
}

/// What stops `verp`.
#[derive(Debug, thiserror::Error)]
pub enum VerpFailure {
    /// No usable secret, or a bad flag.
    #[error("{0}")]
    Secret(#[from] SecretError),
    /// Standard output could not be written.
    #[error("{0}")]
    Output(#[from] io::Error),
}

impl Failure for VerpFailure {
    fn is_broken_pipe(&self) -> bool {
        matches!(self, VerpFailure::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    fn is_usage(&self) -> bool {
        matches!(self, VerpFailure::Secret(e) if e.is_usage())
    }
}

/// Runs `prebounce verp`.
pub fn run(args: VerpArgs) -> Result<ExitCode, VerpFailure> {
    let key = verp_key(&args.secret)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = false;
    match args.command {
        VerpCommand::Encode { domain, addresses } => {
            for address in &addresses {
                match key.encode(address, &domain) {
                    Ok(path) => writeln!(out, "{path}")?,
                    Err(e) => {
                        out.flush()?;
                        eprintln!("prebounce verp: {e}");
                        failed = true;
                    }
                }
            }
        }
        VerpCommand::Decode { return_paths } => {
            for path in &return_paths {
                match key.decode(path) {
                    Ok(recipient) => writeln!(out, "{recipient}")?,
                    Err(e) => {
                        out.flush()?;
                        eprintln!("prebounce verp: {e}");
                        failed = true;
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_file_loses_one_line_ending() {
        let dir = std::env::temp_dir().join(format!("prebounce-verp-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        let secret = |path: &std::path::Path| VerpSecret {
            verp_secret_file: Some(path.to_owned()),
        };
        // 32 bytes and a CRLF: fine.
        std::fs::write(&file, format!("{}\r\n", "k".repeat(32))).unwrap();
        assert!(verp_key(&secret(&file)).is_ok());
        // 31 bytes and a newline: the newline does not count.
        std::fs::write(&file, format!("{}\n", "k".repeat(31))).unwrap();
        match verp_key(&secret(&file)) {
            Err(SecretError::Usage(m)) => assert!(m.contains("has 31 bytes"), "{m}"),
            other => panic!("{other:?}"),
        }
        let missing = dir.join("missing");
        assert!(matches!(
            verp_key(&secret(&missing)),
            Err(SecretError::Unreadable(m)) if m.contains("--verp-secret-file")
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
