//! Windows credentials on net.tcp: WCF's `application/negotiate` stream upgrade
//! (`WindowsStreamSecurityUpgradeProvider`), which is .NET's `NegotiateStream` ([MS-NNS]) on
//! the connection: SPNEGO ([MS-SPNG]) with NTLM inside, then every byte signed, or signed and
//! encrypted, per the [`ProtectionLevel`].
//!
//! A client logs on with a [`WindowsCredential`] (a domain, a user name and a password: WCF's
//! `ClientCredentials.Windows.ClientCredential`). A service has no domain controller here, so
//! it checks logons against the [`WindowsAccounts`] it is given, and the caller's identity in
//! the `OperationContext` is the account's [`WindowsIdentity`] (`DOMAIN\user`, and its SID if
//! the account names one).
//!
//! The protocol is the `sspi` crate's (pure Rust). Kerberos is not offered: it needs a KDC,
//! and a Windows client falls back to NTLM inside SPNEGO when it cannot get a ticket. NTLMv1
//! and anonymous logons are refused.

mod context;
mod nns;
mod ntlm;
mod stream;

pub(crate) use stream::{client, server};

use std::fmt;
use std::sync::Arc;

/// The wire name of the upgrade in the net.tcp preamble.
pub(crate) const NEGOTIATE_UPGRADE: &str = "application/negotiate";

/// How the bytes after the handshake are protected (WCF's and .NET's `ProtectionLevel`, the
/// `NetTcpBinding`'s `Security.Transport.ProtectionLevel`). A service refuses a client that
/// asks for less than its level; a client asking for more gets what it asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ProtectionLevel {
    /// Authentication only: the bytes travel as they are.
    None,
    /// Every message carries a signature: tampering is detected, nothing is hidden.
    Sign,
    /// Every message is encrypted and signed. WCF's default.
    #[default]
    EncryptAndSign,
}

/// The Windows account a client logs on with (WCF's
/// `ClientCredentials.Windows.ClientCredential`, a `NetworkCredential`).
#[derive(Clone, PartialEq, Eq)]
pub struct WindowsCredential {
    /// The domain (or, for a local account, the machine name).
    pub domain: String,
    /// The account name.
    pub user_name: String,
    /// The password.
    pub password: String,
}

impl WindowsCredential {
    /// A credential for `domain\user_name`.
    pub fn new(
        domain: impl Into<String>,
        user_name: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        WindowsCredential {
            domain: domain.into(),
            user_name: user_name.into(),
            password: password.into(),
        }
    }

    /// A credential from a down-level logon name, `DOMAIN\user` (a bare `user` has no domain).
    ///
    /// ```
    /// let credential = indigo::security::WindowsCredential::parse(r"CONTOSO\alice", "secret");
    /// assert_eq!((credential.domain.as_str(), credential.user_name.as_str()), ("CONTOSO", "alice"));
    /// ```
    pub fn parse(logon_name: &str, password: impl Into<String>) -> Self {
        let (domain, user) = logon_name.split_once('\\').unwrap_or(("", logon_name));
        WindowsCredential::new(domain, user, password)
    }
}

impl fmt::Debug for WindowsCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowsCredential")
            .field("domain", &self.domain)
            .field("user_name", &self.user_name)
            .finish_non_exhaustive()
    }
}

/// An account a service accepts: what a domain controller would know of it.
#[derive(Clone, PartialEq, Eq)]
pub struct WindowsAccount {
    /// The domain; matched without regard to case.
    pub domain: String,
    /// The account name; matched without regard to case.
    pub user_name: String,
    /// The password the client must prove it knows.
    pub password: String,
    /// The account's security identifier (`S-1-5-21-…`), shown in the caller's identity.
    pub sid: Option<String>,
}

impl WindowsAccount {
    /// The account `domain\user_name` with its password.
    pub fn new(
        domain: impl Into<String>,
        user_name: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        WindowsAccount {
            domain: domain.into(),
            user_name: user_name.into(),
            password: password.into(),
            sid: None,
        }
    }

    /// Sets the account's SID.
    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }
}

impl fmt::Debug for WindowsAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowsAccount")
            .field("domain", &self.domain)
            .field("user_name", &self.user_name)
            .field("sid", &self.sid)
            .finish_non_exhaustive()
    }
}

/// The accounts a service checks NTLM logons against (cheap to clone: shared). Each SPNEGO
/// logon hands `sspi` the whole list, so it suits a service's own accounts (tens to thousands),
/// not a directory.
///
/// ```
/// use indigo::security::{WindowsAccount, WindowsAccounts};
/// let accounts = WindowsAccounts::new()
///     .with_account(WindowsAccount::new("CONTOSO", "alice", "s3cret").with_sid("S-1-5-21-1-2-3-1001"));
/// assert!(accounts.find("contoso", "ALICE").is_some());
/// ```
#[derive(Debug, Clone, Default)]
pub struct WindowsAccounts {
    accounts: Arc<Vec<WindowsAccount>>,
}

impl WindowsAccounts {
    /// No accounts: every logon is refused.
    pub fn new() -> Self {
        WindowsAccounts::default()
    }

    /// Adds an account.
    pub fn with_account(mut self, account: WindowsAccount) -> Self {
        Arc::make_mut(&mut self.accounts).push(account);
        self
    }

    /// The account `domain\user_name`, case aside.
    pub fn find(&self, domain: &str, user_name: &str) -> Option<&WindowsAccount> {
        self.accounts.iter().find(|account| {
            account.domain.eq_ignore_ascii_case(domain)
                && account.user_name.to_lowercase() == user_name.to_lowercase()
        })
    }

    /// How many accounts there are.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &WindowsAccount> {
        self.accounts.iter()
    }
}

/// A caller logged on with a Windows account (what WCF's `WindowsIdentity` shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsIdentity {
    /// `DOMAIN\user`, as the service's account list spells it (`WindowsIdentity.Name`).
    pub name: String,
    /// The account's SID, where the account list gives one (`WindowsIdentity.User`).
    pub sid: Option<String>,
    /// How the caller logged on: `NTLM` (`WindowsIdentity.AuthenticationType`).
    pub authentication_type: String,
}

#[cfg(test)]
mod tests;
