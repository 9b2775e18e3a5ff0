//! One SMTP connection: connect (directly or through SOCKS5), read and write
//! bytes under deadlines, upgrade to TLS. What the bytes mean is the
//! session machine's (`prebounce_smtp::Client`).
//!
//! Every read is bounded twice: in time (the caller's deadline) and in size
//! (at most [`READ_CHUNK`] bytes a read; the machine refuses a line longer
//! than `MAX_LINE_BYTES` and a reply over core's bounds before buffering
//! more), so a slow-drip, endless or oversized server costs one attempt's
//! deadline and a few kilobytes, never more.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use prebounce_core::reply::{ReplyError, MAX_LINE_BYTES};
use prebounce_smtp::ProtocolError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsConnector;

use crate::config::Proxy;

/// Anything a session can run over: TCP, SOCKS5, TLS on either.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Why a connection could not go on.
#[derive(Debug, Error)]
pub enum ConnError {
    /// A deadline passed.
    #[error("no answer within the deadline ({0})")]
    Timeout(&'static str),
    /// The TCP connection (or the proxy) failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// A line longer than the bound.
    #[error("a reply line longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong,
    /// The reply broke SMTP's framing or a size bound.
    #[error("malformed reply: {0}")]
    Reply(#[from] ReplyError),
    /// The SOCKS5 proxy refused or failed.
    #[error("SOCKS5 proxy: {0}")]
    Proxy(String),
    /// The TLS handshake failed.
    #[error("TLS handshake: {0}")]
    Tls(String),
    /// The server sent data after its STARTTLS answer (a command-injection
    /// risk, RFC 3207 §6); the connection is dropped.
    #[error("data after the STARTTLS reply")]
    StartTlsInjection,
}

/// The most bytes one read takes.
pub const READ_CHUNK: usize = 8 * 1024;

impl From<ProtocolError> for ConnError {
    fn from(e: ProtocolError) -> ConnError {
        match e {
            ProtocolError::LineTooLong => ConnError::LineTooLong,
            ProtocolError::Reply(e) => ConnError::Reply(e),
            ProtocolError::StartTlsInjection => ConnError::StartTlsInjection,
        }
    }
}

impl ConnError {
    /// A deadline passed (the server is too slow for another try).
    pub fn is_timeout(&self) -> bool {
        matches!(self, ConnError::Timeout(_))
    }
}

/// An open connection.
pub struct Conn {
    io: Box<dyn Io>,
    buf: Box<[u8]>,
}

impl Conn {
    /// Connects to `addr`, directly or through `proxy`, by `deadline`.
    pub async fn connect(
        addr: SocketAddr,
        proxy: Option<&Proxy>,
        deadline: Instant,
    ) -> Result<Conn, ConnError> {
        let io: Box<dyn Io> = match proxy {
            None => {
                let s = timeout_at(deadline, TcpStream::connect(addr))
                    .await
                    .map_err(|_| ConnError::Timeout("connect"))??;
                let _ = s.set_nodelay(true);
                Box::new(s)
            }
            Some(p) => {
                let fut = async {
                    match &p.auth {
                        None => {
                            tokio_socks::tcp::Socks5Stream::connect(p.addr.as_str(), addr).await
                        }
                        Some((u, pw)) => {
                            tokio_socks::tcp::Socks5Stream::connect_with_password(
                                p.addr.as_str(),
                                addr,
                                u,
                                pw,
                            )
                            .await
                        }
                    }
                };
                let s = timeout_at(deadline, fut)
                    .await
                    .map_err(|_| ConnError::Timeout("connect through the proxy"))?
                    .map_err(|e| ConnError::Proxy(e.to_string()))?;
                Box::new(s)
            }
        };
        Ok(Conn::over(io))
    }

    fn over(io: Box<dyn Io>) -> Conn {
        Conn {
            io,
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
        }
    }

    /// Reads what the server sent next (at most [`READ_CHUNK`] bytes) by
    /// `deadline`.
    pub async fn read(&mut self, deadline: Instant) -> Result<&[u8], ConnError> {
        let n = timeout_at(deadline, self.io.read(&mut self.buf))
            .await
            .map_err(|_| ConnError::Timeout("reply"))??;
        if n == 0 {
            return Err(ConnError::Closed);
        }
        Ok(&self.buf[..n])
    }

    /// Writes `data` (one or more command lines) by `deadline`.
    pub async fn send(&mut self, data: &[u8], deadline: Instant) -> Result<(), ConnError> {
        let io = &mut self.io;
        timeout_at(deadline, async {
            io.write_all(data).await?;
            io.flush().await
        })
        .await
        .map_err(|_| ConnError::Timeout("write"))??;
        Ok(())
    }

    /// Upgrades to TLS after a 220 reply to STARTTLS (the machine has
    /// checked nothing was sent after it). Any certificate is accepted: the
    /// probe only reads replies, and a verifier that refused self-signed
    /// certificates would miss most of the mail servers on earth.
    pub async fn start_tls(self, host: &str, deadline: Instant) -> Result<Conn, ConnError> {
        let inner = self.io;
        let name = ServerName::try_from(host.to_owned())
            .unwrap_or_else(|_| ServerName::try_from("mx.invalid").expect("a valid name"));
        let tls = timeout_at(deadline, tls_connector().connect(name, inner))
            .await
            .map_err(|_| ConnError::Timeout("TLS handshake"))?
            .map_err(|e| ConnError::Tls(e.to_string()))?;
        Ok(Conn::over(Box::new(tls)))
    }
}

fn tls_connector() -> TlsConnector {
    static CONNECTOR: std::sync::OnceLock<TlsConnector> = std::sync::OnceLock::new();
    CONNECTOR
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .expect("ring supports the default protocol versions")
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
                .with_no_client_auth();
            TlsConnector::from(Arc::new(config))
        })
        .clone()
}

/// Accepts any server certificate, but still checks the handshake signatures
/// (so the session is really encrypted to whoever holds that key).
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
