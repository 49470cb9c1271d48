//! The security context of one NegotiateStream connection, sans IO: the client's and the
//! service's side of the handshake (MS-NNS 3.1.5, as .NET's `NegotiateStream` runs it), fed one
//! handshake message at a time and answering with the bytes to send; then the per-message
//! protection of the data.
//!
//! The tokens are the `sspi` crate's: SPNEGO ([MS-SPNG]) around NTLM, or bare NTLM where .NET
//! uses it (a client asking for no protection). No Kerberos: it needs a KDC this crate is not
//! configured to reach.

use super::nns::{self, HandshakeId, HandshakeMessage};
use super::ntlm::{self, Authenticate};
use super::{ProtectionLevel, WindowsAccount, WindowsAccounts, WindowsCredential, WindowsIdentity};
use sspi::ntlm::NtlmConfig;
use sspi::{
    AuthIdentity, BufferType, ClientRequestFlags, CredentialUse, Credentials, DataRepresentation,
    EncryptionFlags, Negotiate, NegotiateConfig, Ntlm, SecurityBuffer, SecurityBufferRef,
    SecurityStatus, ServerRequestFlags, Sspi, SspiImpl, Username,
};

/// The NTLM signature that leads every protected message.
const SIGNATURE_LEN: usize = 16;
/// Most handshake messages either side takes before giving up: SPNEGO over NTLM needs three.
const MAX_ROUNDS: usize = 8;
/// SEC_E_LOGON_DENIED, the code a refused logon carries in the error message.
pub(crate) const LOGON_DENIED: u32 = 0x8009_030C;
/// ERROR_TRUST_FAILURE, which .NET sends when the protection level is below what it requires.
pub(crate) const TRUST_FAILURE: u32 = 1790;
/// SEC_E_INVALID_TOKEN, for a token that is not what the handshake expects.
pub(crate) const INVALID_TOKEN: u32 = 0x8009_0308;

/// Why the handshake or a protected message failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NegotiateError {
    #[error("NegotiateStream framing: {0}")]
    Framing(#[from] nns::NnsError),
    #[error("the credentials were refused (logon denied)")]
    LogonDenied,
    #[error(
        "the client asked for protection level {offered:?}, below the service's {required:?}; \
         configure both sides alike"
    )]
    ProtectionTooLow {
        offered: ProtectionLevel,
        required: ProtectionLevel,
    },
    #[error("the service refused the protection level the client asked for (error 1790)")]
    RemoteProtectionMismatch,
    #[error("the service refused the Windows credentials (logon denied)")]
    RemoteLogonDenied,
    #[error("the peer ended the handshake with error 0x{0:08X}")]
    RemoteError(u64),
    #[error("the peer ended the handshake with an error")]
    RemoteErrorWithoutCode,
    #[error("the security token is not valid: {0}")]
    InvalidToken(String),
    #[error("the handshake took more than {MAX_ROUNDS} messages")]
    TooManyRounds,
    #[error("a protected message does not verify (tampered, replayed or out of order): {0}")]
    Tampered(String),
}

impl NegotiateError {
    /// The code a service puts in its error message for this failure.
    fn code(&self) -> u32 {
        match self {
            NegotiateError::LogonDenied => LOGON_DENIED,
            NegotiateError::ProtectionTooLow { .. } => TRUST_FAILURE,
            _ => INVALID_TOKEN,
        }
    }

    fn from_remote(payload: &[u8]) -> Self {
        match nns::error_code(payload) {
            Some(code) if code == u64::from(LOGON_DENIED) => NegotiateError::RemoteLogonDenied,
            Some(code) if code == u64::from(TRUST_FAILURE) => {
                NegotiateError::RemoteProtectionMismatch
            }
            Some(code) => NegotiateError::RemoteError(code),
            None => NegotiateError::RemoteErrorWithoutCode,
        }
    }
}

fn invalid(error: impl std::fmt::Display) -> NegotiateError {
    NegotiateError::InvalidToken(error.to_string())
}

/// The mechanism running the tokens.
enum Mechanism {
    /// SPNEGO, NTLM inside: .NET's default package, "Negotiate".
    Spnego {
        context: Box<Negotiate>,
        credentials: <Negotiate as SspiImpl>::CredentialsHandle,
    },
    /// Bare NTLM: what .NET's client uses for `ProtectionLevel.None`.
    Ntlm {
        context: Box<Ntlm>,
        credentials: <Ntlm as SspiImpl>::CredentialsHandle,
    },
}

impl std::fmt::Debug for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mechanism::Spnego { .. } => "Spnego",
            Mechanism::Ntlm { .. } => "Ntlm",
        })
    }
}

/// The workstation name NTLM carries (informational only).
fn workstation() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "INDIGO".to_owned())
        .to_uppercase()
}

fn negotiate_config() -> NegotiateConfig {
    NegotiateConfig::new(
        Box::new(NtlmConfig::new(workstation())),
        Some("ntlm".to_owned()),
        workstation(),
    )
}

fn auth_identity(domain: &str, user: &str, password: &str) -> Result<AuthIdentity, NegotiateError> {
    let domain = (!domain.is_empty()).then_some(domain);
    Ok(AuthIdentity {
        username: Username::new(user, domain).map_err(invalid)?,
        password: password.to_owned().into(),
    })
}

fn token_buffer(bytes: Vec<u8>) -> Vec<SecurityBuffer> {
    vec![SecurityBuffer::new(bytes, BufferType::Token)]
}

fn taken_token(buffers: &mut [SecurityBuffer]) -> Vec<u8> {
    buffers
        .first_mut()
        .map(|buffer| std::mem::take(&mut buffer.buffer))
        .unwrap_or_default()
}

fn done(status: SecurityStatus) -> bool {
    matches!(status, SecurityStatus::Ok | SecurityStatus::CompleteNeeded)
}

/// One client step of any mechanism: the next token and the status.
fn initialize_with<T: Sspi>(
    context: &mut T,
    credentials: &mut T::CredentialsHandle,
    flags: ClientRequestFlags,
    target: &str,
    input: Option<Vec<u8>>,
) -> Result<(Vec<u8>, SecurityStatus), NegotiateError> {
    let mut output = token_buffer(Vec::new());
    let mut input = input.map(token_buffer);
    let mut builder = context
        .initialize_security_context()
        .with_credentials_handle(credentials)
        .with_context_requirements(flags)
        .with_target_data_representation(DataRepresentation::Native)
        .with_target_name(target)
        .with_output(&mut output);
    if let Some(input) = input.as_mut() {
        builder = builder.with_input(input);
    }
    let result = context
        .initialize_security_context_impl(&mut builder)
        .map_err(invalid)?
        .resolve_to_result()
        .map_err(invalid)?;
    Ok((taken_token(&mut output), result.status))
}

/// A refused logon, as the service reports it; other failures are bad tokens.
fn logon_error(error: sspi::Error) -> NegotiateError {
    match error.error_type {
        sspi::ErrorKind::LogonDenied
        | sspi::ErrorKind::NoCredentials
        | sspi::ErrorKind::MessageAltered => NegotiateError::LogonDenied,
        _ => invalid(error),
    }
}

/// One service step of any mechanism: the answer token and the status.
fn accept_with<T: Sspi>(
    context: &mut T,
    credentials: &mut T::CredentialsHandle,
    input: Vec<u8>,
) -> Result<(Vec<u8>, SecurityStatus), NegotiateError> {
    let mut output = token_buffer(Vec::new());
    let mut input = token_buffer(input);
    let builder = context
        .accept_security_context()
        .with_credentials_handle(credentials)
        .with_context_requirements(ServerRequestFlags::ALLOCATE_MEMORY)
        .with_target_data_representation(DataRepresentation::Native)
        .with_input(&mut input)
        .with_output(&mut output);
    let result = context
        .accept_security_context_impl(builder)
        .map_err(logon_error)?
        .resolve_to_result()
        .map_err(logon_error)?;
    if matches!(
        result.status,
        SecurityStatus::CompleteNeeded | SecurityStatus::CompleteAndContinue
    ) {
        // Bare NTLM checks the logon (the MIC) and derives the keys here.
        context
            .complete_auth_token(&mut output)
            .map_err(logon_error)?;
    }
    Ok((taken_token(&mut output), result.status))
}

impl Mechanism {
    /// One step of the client: the next token, and whether the context is complete.
    fn initialize(
        &mut self,
        flags: ClientRequestFlags,
        target: &str,
        input: Option<Vec<u8>>,
    ) -> Result<(Vec<u8>, bool), NegotiateError> {
        let (token, status) = match self {
            Mechanism::Spnego {
                context,
                credentials,
            } => initialize_with(context.as_mut(), credentials, flags, target, input)?,
            Mechanism::Ntlm {
                context,
                credentials,
            } => initialize_with(context.as_mut(), credentials, flags, target, input)?,
        };
        Ok((token, done(status)))
    }

    /// One step of the service: the answer token, and whether the context is complete.
    fn accept(&mut self, input: Vec<u8>) -> Result<(Vec<u8>, bool), NegotiateError> {
        let (token, status) = match self {
            Mechanism::Spnego {
                context,
                credentials,
            } => accept_with(context.as_mut(), credentials, input)?,
            Mechanism::Ntlm {
                context,
                credentials,
            } => accept_with(context.as_mut(), credentials, input)?,
        };
        Ok((token, done(status)))
    }

    fn sspi(&mut self) -> &mut dyn SspiMessages {
        match self {
            Mechanism::Spnego { context, .. } => context.as_mut(),
            Mechanism::Ntlm { context, .. } => context.as_mut(),
        }
    }
}

/// The per-message calls of a complete context, object-safe.
trait SspiMessages: Send {
    fn seal(&mut self, buffers: &mut [SecurityBufferRef<'_>]) -> sspi::Result<SecurityStatus>;
    fn unseal(&mut self, buffers: &mut [SecurityBufferRef<'_>]) -> sspi::Result<()>;
    fn sign(&mut self, buffers: &mut [SecurityBufferRef<'_>], sequence: u32) -> sspi::Result<()>;
    fn verify(&mut self, buffers: &mut [SecurityBufferRef<'_>], sequence: u32) -> sspi::Result<()>;
}

impl<T: Sspi + Send> SspiMessages for T {
    fn seal(&mut self, buffers: &mut [SecurityBufferRef<'_>]) -> sspi::Result<SecurityStatus> {
        self.encrypt_message(EncryptionFlags::empty(), buffers)
    }
    fn unseal(&mut self, buffers: &mut [SecurityBufferRef<'_>]) -> sspi::Result<()> {
        self.decrypt_message(buffers).map(|_| ())
    }
    fn sign(&mut self, buffers: &mut [SecurityBufferRef<'_>], sequence: u32) -> sspi::Result<()> {
        self.make_signature(0, buffers, sequence)
    }
    fn verify(&mut self, buffers: &mut [SecurityBufferRef<'_>], sequence: u32) -> sspi::Result<()> {
        self.verify_signature(buffers, sequence).map(|_| ())
    }
}

/// A complete context: it protects and checks the data messages.
#[derive(Debug)]
pub(crate) struct SecurityContext {
    mechanism: Mechanism,
    level: ProtectionLevel,
    /// Sign-only sequence numbers, each direction its own. SPNEGO spent number 0 on its
    /// mechListMIC, so its data starts at 1, as SSPI's own counter does.
    send_sequence: u32,
    receive_sequence: u32,
}

impl SecurityContext {
    fn new(mechanism: Mechanism, level: ProtectionLevel) -> Self {
        let first = u32::from(matches!(mechanism, Mechanism::Spnego { .. }));
        SecurityContext {
            mechanism,
            level,
            send_sequence: first,
            receive_sequence: first,
        }
    }

    /// The protection the data messages get.
    pub(crate) fn level(&self) -> ProtectionLevel {
        self.level
    }

    /// Appends one data message carrying `data` (at most
    /// [`MAX_DATA_PER_MESSAGE`](nns::MAX_DATA_PER_MESSAGE) bytes) to `out`.
    pub(crate) fn wrap(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), NegotiateError> {
        let mut signature = [0_u8; SIGNATURE_LEN];
        let mut body = data.to_vec();
        let mut buffers = [
            SecurityBufferRef::token_buf(&mut signature),
            SecurityBufferRef::data_buf(&mut body),
        ];
        let sspi = self.mechanism.sspi();
        match self.level {
            ProtectionLevel::EncryptAndSign => {
                sspi.seal(&mut buffers).map_err(invalid)?;
            }
            ProtectionLevel::Sign => {
                sspi.sign(&mut buffers, self.send_sequence)
                    .map_err(invalid)?;
                self.send_sequence = self.send_sequence.wrapping_add(1);
            }
            ProtectionLevel::None => {}
        }
        let mut payload = Vec::with_capacity(SIGNATURE_LEN + body.len());
        payload.extend_from_slice(&signature);
        payload.extend_from_slice(&body);
        nns::encode_data(&payload, out);
        Ok(())
    }

    /// The data of one data message's payload (signature, then data), checked and decrypted.
    pub(crate) fn unwrap(&mut self, mut payload: Vec<u8>) -> Result<Vec<u8>, NegotiateError> {
        if payload.len() < SIGNATURE_LEN {
            return Err(NegotiateError::Tampered(format!(
                "a message of {} bytes has no room for its signature",
                payload.len()
            )));
        }
        let mut data = payload.split_off(SIGNATURE_LEN);
        let mut signature = payload;
        let tampered = |error: sspi::Error| NegotiateError::Tampered(error.to_string());
        {
            let mut buffers = [
                SecurityBufferRef::data_buf(&mut data),
                SecurityBufferRef::token_buf(&mut signature),
            ];
            let sspi = self.mechanism.sspi();
            match self.level {
                ProtectionLevel::EncryptAndSign => sspi.unseal(&mut buffers).map_err(tampered)?,
                ProtectionLevel::Sign => {
                    sspi.verify(&mut buffers, self.receive_sequence)
                        .map_err(tampered)?;
                    self.receive_sequence = self.receive_sequence.wrapping_add(1);
                }
                ProtectionLevel::None => {}
            }
        }
        Ok(data)
    }
}

/// What to do after a handshake message.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Bytes to send now (handshake messages), possibly none.
    pub(crate) send: Vec<u8>,
    /// Whether the handshake is over on this side: the data phase starts after `send`.
    pub(crate) finished: bool,
}

/// The client's side of the handshake.
#[derive(Debug)]
pub(crate) struct ClientHandshake {
    mechanism: Mechanism,
    flags: ClientRequestFlags,
    target: String,
    level: ProtectionLevel,
    complete: bool,
    remote_done: bool,
    rounds: usize,
}

impl ClientHandshake {
    /// A client logging on as `credential` to the service named `target` (its SPN, such as
    /// `host/server.example.org`), asking for `level`.
    pub(crate) fn new(
        credential: &WindowsCredential,
        target: String,
        level: ProtectionLevel,
    ) -> Result<Self, NegotiateError> {
        let identity = auth_identity(
            &credential.domain,
            &credential.user_name,
            &credential.password,
        )?;
        // .NET's flags per level (NegotiateStream.ValidateCreateContext); with no protection it
        // uses the NTLM package directly, not SPNEGO.
        let mut flags = ClientRequestFlags::ALLOCATE_MEMORY | ClientRequestFlags::CONNECTION;
        let mechanism = match level {
            ProtectionLevel::None => {
                let mut context = Box::new(Ntlm::with_config(NtlmConfig::new(workstation())));
                let acquired = context
                    .acquire_credentials_handle()
                    .with_credential_use(CredentialUse::Outbound)
                    .with_auth_data(&identity)
                    .execute(context.as_mut())
                    .map_err(invalid)?;
                Mechanism::Ntlm {
                    context,
                    credentials: acquired.credentials_handle,
                }
            }
            ProtectionLevel::Sign | ProtectionLevel::EncryptAndSign => {
                flags |= ClientRequestFlags::MUTUAL_AUTH | ClientRequestFlags::INTEGRITY;
                if level == ProtectionLevel::EncryptAndSign {
                    flags |= ClientRequestFlags::CONFIDENTIALITY;
                } else {
                    flags |=
                        ClientRequestFlags::REPLAY_DETECT | ClientRequestFlags::SEQUENCE_DETECT;
                }
                let mut context =
                    Box::new(Negotiate::new_client(negotiate_config()).map_err(invalid)?);
                let acquired = context
                    .acquire_credentials_handle()
                    .with_credential_use(CredentialUse::Outbound)
                    .with_auth_data(&Credentials::AuthIdentity(identity))
                    .execute(context.as_mut())
                    .map_err(invalid)?;
                Mechanism::Spnego {
                    context,
                    credentials: acquired.credentials_handle,
                }
            }
        };
        Ok(ClientHandshake {
            mechanism,
            flags,
            target,
            level,
            complete: false,
            remote_done: false,
            rounds: 0,
        })
    }

    /// The first handshake message.
    pub(crate) fn start(&mut self) -> Result<Vec<u8>, NegotiateError> {
        Ok(self.step(None)?.send)
    }

    /// Takes the service's next handshake message.
    pub(crate) fn receive(
        &mut self,
        message: HandshakeMessage,
    ) -> Result<Progress, NegotiateError> {
        match message.id {
            HandshakeId::Error => return Err(NegotiateError::from_remote(&message.payload)),
            HandshakeId::Done => self.remote_done = true,
            HandshakeId::InProgress => {}
        }
        if self.complete {
            // .NET: a complete client only waits for the service's "done".
            return if self.remote_done {
                Ok(Progress {
                    send: Vec::new(),
                    finished: true,
                })
            } else {
                Err(invalid(
                    "the service sent another token after the client was done",
                ))
            };
        }
        self.step(Some(message.payload))
    }

    fn step(&mut self, input: Option<Vec<u8>>) -> Result<Progress, NegotiateError> {
        self.rounds += 1;
        if self.rounds > MAX_ROUNDS {
            return Err(NegotiateError::TooManyRounds);
        }
        let (token, complete) = self.mechanism.initialize(self.flags, &self.target, input)?;
        self.complete = complete;
        let id = if complete {
            HandshakeId::Done
        } else {
            HandshakeId::InProgress
        };
        if !complete && token.is_empty() {
            return Err(invalid("the client's context produced no token"));
        }
        // A complete context with nothing left to say sends nothing: the service is already
        // done (it said so), and an empty message would only have to be skipped.
        let send = if token.is_empty() {
            Vec::new()
        } else {
            nns::encode_handshake(id, &token)?
        };
        Ok(Progress {
            send,
            finished: complete && self.remote_done,
        })
    }

    /// The context, once [`receive`](Self::receive) said the handshake is finished.
    pub(crate) fn into_context(self) -> SecurityContext {
        SecurityContext::new(self.mechanism, self.level)
    }
}

/// The service's side of the handshake.
#[derive(Debug)]
pub(crate) struct ServerHandshake {
    accounts: WindowsAccounts,
    required: ProtectionLevel,
    mechanism: Option<Mechanism>,
    /// The ServerChallenge the service sent, for checking the client's proof.
    challenge: Option<[u8; 8]>,
    /// The account the client proved it holds, and the level it asked for.
    logon: Option<(WindowsAccount, ProtectionLevel)>,
    complete: bool,
    rounds: usize,
}

/// A failed handshake on the service's side: the reason, and the error message to send the
/// client before closing.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) error: NegotiateError,
    pub(crate) send: Vec<u8>,
}

impl ServerHandshake {
    /// A service accepting `accounts`, requiring at least `required` protection.
    pub(crate) fn new(accounts: WindowsAccounts, required: ProtectionLevel) -> Self {
        ServerHandshake {
            accounts,
            required,
            mechanism: None,
            challenge: None,
            logon: None,
            complete: false,
            rounds: 0,
        }
    }

    /// Takes the client's next handshake message.
    pub(crate) fn receive(&mut self, message: HandshakeMessage) -> Result<Progress, Refusal> {
        self.step(message).map_err(|error| {
            let send = nns::encode_handshake(HandshakeId::Error, &nns::error_payload(error.code()))
                .unwrap_or_default();
            Refusal { error, send }
        })
    }

    fn step(&mut self, message: HandshakeMessage) -> Result<Progress, NegotiateError> {
        self.rounds += 1;
        if self.rounds > MAX_ROUNDS {
            return Err(NegotiateError::TooManyRounds);
        }
        match message.id {
            HandshakeId::Error => return Err(NegotiateError::from_remote(&message.payload)),
            HandshakeId::Done | HandshakeId::InProgress => {}
        }
        if self.complete {
            return Err(invalid("a token after the handshake was complete"));
        }
        let token = message.payload;
        if self.mechanism.is_none() {
            self.mechanism = Some(self.mechanism_for(&token)?);
        }
        if let Some(authenticate) = ntlm::find_message(&token, ntlm::AUTHENTICATE) {
            self.check_logon(authenticate)?;
        }
        let Some(mechanism) = self.mechanism.as_mut() else {
            return Err(invalid("no mechanism"));
        };
        let (answer, complete) = mechanism.accept(token)?;
        if self.challenge.is_none() {
            self.challenge =
                ntlm::find_message(&answer, ntlm::CHALLENGE).and_then(ntlm::server_challenge);
        }
        self.complete = complete;
        if !complete {
            if answer.is_empty() {
                return Err(invalid("the service's context produced no token"));
            }
            return Ok(Progress {
                send: nns::encode_handshake(HandshakeId::InProgress, &answer)?,
                finished: false,
            });
        }
        if self.logon.is_none() {
            // sspi completed without the AUTHENTICATE message this service checks.
            return Err(NegotiateError::LogonDenied);
        }
        // .NET's service always ends with "done", empty or not: the client waits for it.
        Ok(Progress {
            send: nns::encode_handshake(HandshakeId::Done, &answer)?,
            finished: true,
        })
    }

    /// The mechanism the client's first token asks for: SPNEGO (a GSS-API token, tag 0x60)
    /// or bare NTLM.
    fn mechanism_for(&self, token: &[u8]) -> Result<Mechanism, NegotiateError> {
        if token.starts_with(b"NTLMSSP\0") {
            let mut context = Box::new(Ntlm::with_config(NtlmConfig::new(workstation())));
            let acquired = context
                .acquire_credentials_handle()
                .with_credential_use(CredentialUse::Inbound)
                .execute(context.as_mut())
                .map_err(invalid)?;
            return Ok(Mechanism::Ntlm {
                context,
                credentials: acquired.credentials_handle,
            });
        }
        if token.first() != Some(&0x60) {
            return Err(invalid("neither SPNEGO nor NTLM"));
        }
        let identities = self
            .accounts
            .iter()
            .filter_map(|account| {
                auth_identity(&account.domain, &account.user_name, &account.password).ok()
            })
            .collect();
        let mut context =
            Box::new(Negotiate::new_server(negotiate_config(), identities).map_err(invalid)?);
        let acquired = context
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Inbound)
            .execute(context.as_mut())
            .map_err(invalid)?;
        Ok(Mechanism::Spnego {
            context,
            credentials: acquired.credentials_handle,
        })
    }

    /// Checks the client's proof against the account it names, before sspi sees the message,
    /// and the protection level it asks for.
    fn check_logon(&mut self, message: &[u8]) -> Result<(), NegotiateError> {
        let authenticate = Authenticate::parse(message).map_err(|error| {
            tracing::debug!(%error, "NTLM logon refused");
            NegotiateError::LogonDenied
        })?;
        let challenge = self
            .challenge
            .ok_or_else(|| invalid("AUTHENTICATE before CHALLENGE"))?;
        let account = self
            .accounts
            .find(&authenticate.domain, &authenticate.user)
            .filter(|account| authenticate.proves(&account.password, &challenge))
            .ok_or_else(|| {
                tracing::debug!(
                    domain = %authenticate.domain,
                    user = %authenticate.user,
                    "NTLM logon refused: unknown account or wrong password"
                );
                NegotiateError::LogonDenied
            })?
            .clone();
        let offered = if authenticate.flags & ntlm::NEGOTIATE_SEAL != 0 {
            ProtectionLevel::EncryptAndSign
        } else if authenticate.flags & ntlm::NEGOTIATE_SIGN != 0 {
            ProtectionLevel::Sign
        } else {
            ProtectionLevel::None
        };
        if offered < self.required {
            return Err(NegotiateError::ProtectionTooLow {
                offered,
                required: self.required,
            });
        }
        if let Some(Mechanism::Ntlm { credentials, .. }) = self.mechanism.as_mut() {
            // Bare NTLM takes the account to check against with this message.
            let identity = auth_identity(&account.domain, &account.user_name, &account.password)?;
            *credentials = Some(identity.into());
        }
        self.logon = Some((account, offered));
        Ok(())
    }

    /// The context and the caller's identity, once [`receive`](Self::receive) said the
    /// handshake is finished.
    pub(crate) fn into_context(self) -> Result<(SecurityContext, WindowsIdentity), NegotiateError> {
        let (Some(mechanism), Some((account, level))) = (self.mechanism, self.logon) else {
            return Err(NegotiateError::LogonDenied);
        };
        let identity = WindowsIdentity {
            name: format!("{}\\{}", account.domain, account.user_name),
            sid: account.sid.clone(),
            authentication_type: "NTLM".to_owned(),
        };
        Ok((SecurityContext::new(mechanism, level), identity))
    }
}
