//! Amazon SNS message authentication, for `POST /v1/bounces`.
//!
//! SNS signs every message it sends (RSA, PKCS #1 v1.5: SHA-1 for
//! `SignatureVersion` 1, SHA-256 for 2) over the text core builds,
//! [`SnsEnvelope::string_to_sign`]. The key is in a certificate SNS
//! publishes at the message's `SigningCertURL`; that URL is only trusted on
//! an SNS host ([`check_cert_url`]), fetched over HTTPS. The same host rule
//! holds for a subscription's `SubscribeURL` ([`check_subscribe_url`]), which
//! the worker visits to confirm.
//!
//! What the worker accepts on top of a good signature (the topic allow-list,
//! the age of the message) is decided in the handler; this module is the
//! cryptography and the URL rules, with no I/O.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use prebounce_core::bounce::ses::SnsEnvelope;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use sha1::Sha1;
use sha2::Sha256;
use x509_cert::der::{DecodePem, Encode};
use x509_cert::Certificate;

/// Why a message or a certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnsError {
    /// `SigningCertURL` is not a `.pem` on an SNS host.
    #[error("SigningCertURL {0:?} is not an https URL of a .pem file on an SNS host (sns.REGION.amazonaws.com)")]
    CertUrl(String),
    /// `SubscribeURL` is missing or not on an SNS host.
    #[error("SubscribeURL {0:?} is not an https URL on an SNS host (sns.REGION.amazonaws.com)")]
    SubscribeUrl(String),
    /// A `SignatureVersion` other than 1 and 2.
    #[error("SignatureVersion {0:?} is not supported (1: SHA1withRSA, 2: SHA256withRSA)")]
    Version(String),
    /// The signature does not verify (or is not even base64).
    #[error("the signature does not match the message: it was not signed by SNS, or it was changed on the way")]
    Mismatch,
    /// The certificate cannot be read, or holds no RSA key.
    #[error("the signing certificate cannot be read: {0}")]
    Certificate(String),
    /// The certificate is outside its validity period.
    #[error("the signing certificate is not valid now (it expired, or is not valid yet)")]
    CertificateExpired,
}

/// A signing certificate's RSA key and validity period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningCert {
    key: RsaPublicKey,
    not_before: u64,
    not_after: u64,
}

impl SigningCert {
    /// Reads a PEM certificate (`-----BEGIN CERTIFICATE-----`), as SNS
    /// serves it.
    pub fn from_pem(pem: &[u8]) -> Result<SigningCert, SnsError> {
        let bad = |e: &dyn std::fmt::Display| SnsError::Certificate(e.to_string());
        let cert = Certificate::from_pem(pem).map_err(|e| bad(&e))?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs.subject_public_key_info.to_der().map_err(|e| bad(&e))?;
        let key = RsaPublicKey::from_public_key_der(&spki)
            .map_err(|e| bad(&format!("no RSA public key ({e})")))?;
        Ok(SigningCert {
            key,
            not_before: tbs.validity.not_before.to_unix_duration().as_secs(),
            not_after: tbs.validity.not_after.to_unix_duration().as_secs(),
        })
    }

    /// Checks `envelope`'s signature with this certificate's key, at
    /// `now_secs` (Unix seconds) for the validity period.
    pub fn verify(&self, envelope: &SnsEnvelope, now_secs: u64) -> Result<(), SnsError> {
        if now_secs < self.not_before || now_secs > self.not_after {
            return Err(SnsError::CertificateExpired);
        }
        let raw = STANDARD
            .decode(envelope.signature.trim())
            .map_err(|_| SnsError::Mismatch)?;
        let signature = Signature::try_from(raw.as_slice()).map_err(|_| SnsError::Mismatch)?;
        let text = envelope.string_to_sign();
        let verified = match envelope.signature_version.as_str() {
            "1" => VerifyingKey::<Sha1>::new(self.key.clone()).verify(text.as_bytes(), &signature),
            "2" => {
                VerifyingKey::<Sha256>::new(self.key.clone()).verify(text.as_bytes(), &signature)
            }
            other => return Err(SnsError::Version(other.to_owned())),
        };
        verified.map_err(|_| SnsError::Mismatch)
    }
}

/// Which topics may post to `/v1/bounces` (`SNS_TOPIC_ARNS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topics {
    /// Not configured: no topic may (the endpoint refuses everything).
    Unset,
    /// These topic ARNs only.
    Only(Vec<String>),
}

impl Topics {
    /// Reads `SNS_TOPIC_ARNS`: comma-separated ARNs. A wildcard is refused:
    /// any AWS account can make a topic and sign with it, so `*` would let
    /// anyone's notifications suppress addresses here.
    pub fn parse(value: Option<&str>) -> Result<Topics, String> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Topics::Unset);
        };
        let arns: Vec<String> = value
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        if arns.iter().any(|a| a.contains('*')) {
            return Err(
                "SNS_TOPIC_ARNS: a wildcard would accept any AWS account's topic; \
                 list your topic ARNs, comma-separated"
                    .into(),
            );
        }
        Ok(Topics::Only(arns))
    }

    /// Whether messages from `topic_arn` are accepted.
    pub fn allows(&self, topic_arn: &str) -> bool {
        match self {
            Topics::Unset => false,
            Topics::Only(list) => list.iter().any(|a| a == topic_arn),
        }
    }
}

/// The path (and query) of `url` when it is `https://` on an SNS host:
/// `sns.REGION.amazonaws.com` or `sns.REGION.amazonaws.com.cn`, no user
/// info, no port, only printable ASCII and no fragment.
fn sns_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let slash = rest.find('/')?;
    let (host, path) = rest.split_at(slash);
    let inner = host.strip_prefix("sns.")?;
    let region = inner
        .strip_suffix(".amazonaws.com")
        .or_else(|| inner.strip_suffix(".amazonaws.com.cn"))?;
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
    let path_ok = path
        .bytes()
        .all(|c| c.is_ascii_graphic() && c != b'#' && c != b'\\');
    (region_ok && path_ok).then_some(path)
}

/// Checks that a `SigningCertURL` is a `.pem` file on an SNS host.
pub fn check_cert_url(url: &str) -> Result<(), SnsError> {
    match sns_path(url) {
        Some(path) if path.ends_with(".pem") && !path.contains('?') => Ok(()),
        _ => Err(SnsError::CertUrl(url.to_owned())),
    }
}

/// Checks that a `SubscribeURL` is on an SNS host; answers its path and
/// query (`/?Action=ConfirmSubscription&…`).
pub fn check_subscribe_url(url: Option<&str>) -> Result<&str, SnsError> {
    let url = url.unwrap_or("");
    sns_path(url).ok_or_else(|| SnsError::SubscribeUrl(url.to_owned()))
}

#[cfg(test)]
pub(crate) mod tests {
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    use rsa::RsaPrivateKey;

    use super::*;

    /// The throw-away test key and its certificates (tests/worker/fixtures).
    pub const TEST_KEY: &str = include_str!("../../tests/worker/fixtures/sns-test.key.pem");
    pub const TEST_CERT: &str = include_str!("../../tests/worker/fixtures/sns-test.cert.pem");
    pub const EXPIRED_CERT: &str =
        include_str!("../../tests/worker/fixtures/sns-test-expired.cert.pem");
    /// 2026-11-18T11:06:40Z, inside the test certificate's validity.
    pub const NOW: u64 = 1_795_000_000;

    /// Signs `envelope` as SNS does, with the test key, for its
    /// `SignatureVersion` (1 or 2).
    pub fn sign(envelope: &mut SnsEnvelope) {
        let key = RsaPrivateKey::from_pkcs8_pem(TEST_KEY).expect("the test key is PKCS #8");
        let text = envelope.string_to_sign();
        let raw = match envelope.signature_version.as_str() {
            "1" => SigningKey::<Sha1>::new(key).sign(text.as_bytes()).to_vec(),
            _ => SigningKey::<Sha256>::new(key)
                .sign(text.as_bytes())
                .to_vec(),
        };
        envelope.signature = STANDARD.encode(raw);
    }

    /// A notification envelope carrying `message`, signed with `version`.
    pub fn envelope(message: &str, version: &str) -> SnsEnvelope {
        let mut e = SnsEnvelope {
            kind: "Notification".into(),
            message_id: "00000000-0000-0000-0000-000000000001".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:ses-bounces".into(),
            subject: None,
            message: message.into(),
            timestamp: "2026-11-18T11:06:40.000Z".into(),
            signature_version: version.into(),
            signature: String::new(),
            signing_cert_url:
                "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem".into(),
            subscribe_url: None,
            token: None,
            unsubscribe_url: None,
        };
        sign(&mut e);
        e
    }

    #[test]
    fn both_signature_versions_verify_and_any_change_breaks_them() {
        let cert = SigningCert::from_pem(TEST_CERT.as_bytes()).unwrap();
        for version in ["1", "2"] {
            let e = envelope(r#"{"notificationType":"Bounce"}"#, version);
            assert_eq!(cert.verify(&e, NOW), Ok(()), "version {version}");
            let mut tampered = e.clone();
            tampered.message.push(' ');
            assert_eq!(cert.verify(&tampered, NOW), Err(SnsError::Mismatch));
            let mut other_topic = e.clone();
            other_topic.topic_arn.push('x');
            assert_eq!(cert.verify(&other_topic, NOW), Err(SnsError::Mismatch));
            let mut garbage = e.clone();
            garbage.signature = "not base64!".into();
            assert_eq!(cert.verify(&garbage, NOW), Err(SnsError::Mismatch));
        }
        // A version-1 signature presented as version 2 does not verify.
        let mut e = envelope("{}", "1");
        e.signature_version = "2".into();
        assert_eq!(cert.verify(&e, NOW), Err(SnsError::Mismatch));
        e.signature_version = "3".into();
        assert_eq!(cert.verify(&e, NOW), Err(SnsError::Version("3".into())));
    }

    #[test]
    fn certificates_are_read_and_their_dates_kept() {
        let expired = SigningCert::from_pem(EXPIRED_CERT.as_bytes()).unwrap();
        let e = envelope("{}", "2");
        assert_eq!(expired.verify(&e, NOW), Err(SnsError::CertificateExpired));
        let cert = SigningCert::from_pem(TEST_CERT.as_bytes()).unwrap();
        assert_eq!(
            cert.verify(&e, 1_500_000_000),
            Err(SnsError::CertificateExpired),
            "2017: before notBefore"
        );
        for bad in ["", "not a pem", TEST_KEY] {
            assert!(matches!(
                SigningCert::from_pem(bad.as_bytes()),
                Err(SnsError::Certificate(_))
            ));
        }
    }

    #[test]
    fn only_sns_hosts_are_trusted() {
        for ok in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
        ] {
            assert_eq!(check_cert_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com/x.txt",
            "https://sns.us-east-1.amazonaws.com/x.pem?y=1",
            "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
            "https://sns.us-east-1.amazonaws.com@evil.example/x.pem",
            "https://sns.us-east-1.amazonaws.com:8443/x.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.evil.example/x.pem",
            "https://sns..amazonaws.com/x.pem",
            "https://sns.a.b.amazonaws.com/x.pem",
            "https://SNS.us-east-1.amazonaws.com/x.pem",
            "https://s3.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com",
            "https://sns.us-east-1.amazonaws.com/x y.pem",
            "",
        ] {
            assert!(check_cert_url(bad).is_err(), "{bad}");
        }
        let confirm = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:1:t&Token=abc";
        assert_eq!(
            check_subscribe_url(Some(confirm)),
            Ok("/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:1:t&Token=abc")
        );
        assert!(
            check_subscribe_url(Some("https://evil.example/?Action=ConfirmSubscription")).is_err()
        );
        assert!(check_subscribe_url(None).is_err());
    }

    #[test]
    fn topic_lists() {
        let arn = "arn:aws:sns:us-east-1:123456789012:ses-bounces";
        assert!(!Topics::parse(None).unwrap().allows(arn));
        assert!(!Topics::parse(Some("  ")).unwrap().allows(arn));
        // Any AWS account could make a topic: no wildcard.
        for wild in [
            "*",
            &format!("{arn},*"),
            "arn:aws:sns:us-east-1:123456789012:*",
        ] {
            let e = Topics::parse(Some(wild)).unwrap_err();
            assert!(
                e.contains("SNS_TOPIC_ARNS") && e.contains("wildcard"),
                "{e}"
            );
        }
        let list =
            Topics::parse(Some(&format!(" arn:aws:sns:us-east-1:1:other , {arn} "))).unwrap();
        assert!(list.allows(arn));
        assert!(!list.allows("arn:aws:sns:us-east-1:123456789012:ses"));
    }
}
