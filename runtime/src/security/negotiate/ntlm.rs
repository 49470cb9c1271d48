//! What a service reads of the NTLM messages inside the handshake ([MS-NLMP] 2.2.1), and the
//! check of the client's proof of its password (MS-NLMP 3.3.2).
//!
//! Written by hand because the `sspi` crate, which runs the protocol, decides an NTLM logon
//! only by the message integrity code: a client that leaves the MIC out would pass with any
//! password. So the service checks the NTLMv2 `NTProofStr` itself, against the account its
//! [`WindowsAccounts`](super::WindowsAccounts) holds for the user the message names, before
//! `sspi` sees the message. The hashes are the `md4`, `md-5` and `hmac` crates'.

use hmac::{Hmac, Mac};
use md4::{Digest as _, Md4};
use md5::Md5;

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
/// MessageType of a CHALLENGE_MESSAGE.
pub(crate) const CHALLENGE: u32 = 2;
/// MessageType of an AUTHENTICATE_MESSAGE.
pub(crate) const AUTHENTICATE: u32 = 3;

/// NTLMSSP_NEGOTIATE_UNICODE: strings are UTF-16LE.
const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// NTLMSSP_NEGOTIATE_SIGN: messages are signed.
pub(crate) const NEGOTIATE_SIGN: u32 = 0x0000_0010;
/// NTLMSSP_NEGOTIATE_SEAL: messages are encrypted.
pub(crate) const NEGOTIATE_SEAL: u32 = 0x0000_0020;

/// The length of an NTLMv2 proof, and of the whole NTLMv1 response (refused).
const PROOF_LEN: usize = 16;
const NTLM_V1_RESPONSE_LEN: usize = 24;

/// Why an AUTHENTICATE_MESSAGE was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NtlmError {
    #[error("the NTLM message is cut short or its fields point outside it")]
    Truncated,
    #[error("the client sent an anonymous NTLM logon")]
    Anonymous,
    #[error("the client sent an NTLMv1 response; only NTLMv2 is accepted")]
    NtlmV1,
}

/// The NTLM message of type `kind` in a security token: the token itself (raw NTLM), or the
/// one an SPNEGO token wraps. The message runs to the end of the slice; its fields are
/// offsets from its start, so bytes after it do no harm.
pub(crate) fn find_message(token: &[u8], kind: u32) -> Option<&[u8]> {
    let mut at = 0;
    while let Some(found) = token[at..]
        .windows(SIGNATURE.len())
        .position(|window| window == SIGNATURE)
    {
        let start = at + found;
        let message = &token[start..];
        if read_u32(message, 8) == Some(kind) {
            return Some(message);
        }
        at = start + 1;
    }
    None
}

/// The 8-byte ServerChallenge of a CHALLENGE_MESSAGE.
pub(crate) fn server_challenge(challenge: &[u8]) -> Option<[u8; 8]> {
    challenge.get(24..32)?.try_into().ok()
}

/// What the service needs of an AUTHENTICATE_MESSAGE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authenticate {
    pub(crate) user: String,
    pub(crate) domain: String,
    pub(crate) flags: u32,
    nt_response: Vec<u8>,
}

impl Authenticate {
    /// Reads the message; `message` starts at its signature.
    pub(crate) fn parse(message: &[u8]) -> Result<Self, NtlmError> {
        let flags = read_u32(message, 60).ok_or(NtlmError::Truncated)?;
        let unicode = flags & NEGOTIATE_UNICODE != 0;
        let nt_response = field(message, 20)?.to_vec();
        let domain = text(field(message, 28)?, unicode);
        let user = text(field(message, 36)?, unicode);
        if user.is_empty() && nt_response.is_empty() {
            return Err(NtlmError::Anonymous);
        }
        if nt_response.len() == NTLM_V1_RESPONSE_LEN {
            return Err(NtlmError::NtlmV1);
        }
        if nt_response.len() <= PROOF_LEN {
            return Err(NtlmError::Truncated);
        }
        Ok(Authenticate {
            user,
            domain,
            flags,
            nt_response,
        })
    }

    /// Whether the client's NTLMv2 response proves it knows `password`: NTProofStr =
    /// HMAC-MD5(ResponseKeyNT, ServerChallenge ‖ temp), where ResponseKeyNT =
    /// HMAC-MD5(MD4(UTF-16LE(password)), UTF-16LE(UPPER(user) ‖ domain)), with the user and
    /// domain exactly as the message gives them.
    pub(crate) fn proves(&self, password: &str, server_challenge: &[u8; 8]) -> bool {
        let nt_hash = Md4::digest(utf16le(password));
        let identity = utf16le(&(self.user.to_uppercase() + &self.domain));
        let Some(response_key) = hmac_md5(&nt_hash, &[&identity]) else {
            return false;
        };
        let (proof, temp) = self.nt_response.split_at(PROOF_LEN);
        let Ok(mut mac) = Hmac::<Md5>::new_from_slice(&response_key) else {
            return false;
        };
        mac.update(server_challenge);
        mac.update(temp);
        // verify_slice compares in constant time.
        mac.verify_slice(proof).is_ok()
    }
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Md5>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().to_vec())
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn text(bytes: &[u8], unicode: bool) -> String {
    if unicode {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}

fn read_u32(message: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        message.get(at..at + 4)?.try_into().ok()?,
    ))
}

/// The bytes a `(Len, MaxLen, Offset)` field descriptor at `at` points to.
fn field(message: &[u8], at: usize) -> Result<&[u8], NtlmError> {
    let header = message.get(at..at + 8).ok_or(NtlmError::Truncated)?;
    let len = usize::from(u16::from_le_bytes([header[0], header[1]]));
    let offset = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
    let end = offset.checked_add(len).ok_or(NtlmError::Truncated)?;
    message.get(offset..end).ok_or(NtlmError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The NTLMv2 example of MS-NLMP 4.2.4: user "User", domain "Domain", password
    /// "Password", server challenge 0123456789abcdef, client challenge aa..aa, time 0, and
    /// the AV pairs of 4.2.4.1.3. Its NTProofStr is 68cd0ab851e51c96aabc927bebef6a1c.
    fn spec_example() -> (Authenticate, [u8; 8]) {
        let server_challenge = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
        let av_pairs: [u8; 36] = [
            0x02, 0x00, 0x0c, 0x00, 0x44, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00,
            0x6e, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00,
            0x65, 0x00, 0x72, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let mut temp = vec![0x01, 0x01, 0, 0, 0, 0, 0, 0];
        temp.extend_from_slice(&[0; 8]); // time
        temp.extend_from_slice(&[0xaa; 8]); // client challenge
        temp.extend_from_slice(&[0; 4]);
        temp.extend_from_slice(&av_pairs);
        temp.extend_from_slice(&[0; 4]);
        let mut nt_response = vec![
            0x68, 0xcd, 0x0a, 0xb8, 0x51, 0xe5, 0x1c, 0x96, 0xaa, 0xbc, 0x92, 0x7b, 0xeb, 0xef,
            0x6a, 0x1c,
        ];
        nt_response.extend_from_slice(&temp);
        let auth = Authenticate {
            user: "User".to_owned(),
            domain: "Domain".to_owned(),
            flags: 0,
            nt_response,
        };
        (auth, server_challenge)
    }

    #[test]
    fn the_specification_example_proves_its_password_and_no_other() {
        let (auth, challenge) = spec_example();
        assert!(auth.proves("Password", &challenge));
        assert!(!auth.proves("password", &challenge));
        assert!(!auth.proves("Password", &[0; 8]));
        let other_domain = Authenticate {
            domain: "Other".to_owned(),
            ..auth.clone()
        };
        assert!(!other_domain.proves("Password", &challenge));
    }

    fn message(kind: u32, fields: &[(usize, &[u8])], flags: u32) -> Vec<u8> {
        let mut message = SIGNATURE.to_vec();
        message.extend_from_slice(&kind.to_le_bytes());
        message.resize(64, 0);
        message[60..64].copy_from_slice(&flags.to_le_bytes());
        for (at, bytes) in fields {
            let offset = message.len() as u32;
            let len = bytes.len() as u16;
            message[*at..*at + 2].copy_from_slice(&len.to_le_bytes());
            message[*at + 2..*at + 4].copy_from_slice(&len.to_le_bytes());
            message[*at + 4..*at + 8].copy_from_slice(&offset.to_le_bytes());
            message.extend_from_slice(bytes);
        }
        message
    }

    #[test]
    fn authenticate_fields_are_read_from_their_offsets_inside_a_wrapper() {
        let response = [9_u8; 40];
        let raw = message(
            AUTHENTICATE,
            &[
                (20, &response),
                (28, &utf16le("CONTOSO")),
                (36, &utf16le("alice")),
            ],
            NEGOTIATE_UNICODE | NEGOTIATE_SEAL,
        );
        let mut wrapped = vec![0xa1, 0x82, 0x01, 0x00, 0x30];
        wrapped.extend_from_slice(&raw);
        wrapped.extend_from_slice(&[0xa3, 0x12]);
        let found = find_message(&wrapped, AUTHENTICATE).expect("found");
        let auth = Authenticate::parse(found).expect("parses");
        assert_eq!(
            (auth.user.as_str(), auth.domain.as_str()),
            ("alice", "CONTOSO")
        );
        assert_eq!(auth.flags & NEGOTIATE_SEAL, NEGOTIATE_SEAL);
        assert_eq!(find_message(&wrapped, CHALLENGE), None);
    }

    #[test]
    fn hostile_messages_are_errors_not_panics() {
        let anonymous = message(AUTHENTICATE, &[], NEGOTIATE_UNICODE);
        assert_eq!(Authenticate::parse(&anonymous), Err(NtlmError::Anonymous));
        let v1 = message(
            AUTHENTICATE,
            &[(20, &[1; 24]), (36, b"u\0")],
            NEGOTIATE_UNICODE,
        );
        assert_eq!(Authenticate::parse(&v1), Err(NtlmError::NtlmV1));
        let mut outside = message(AUTHENTICATE, &[(20, &[1; 40])], 0);
        outside[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Authenticate::parse(&outside), Err(NtlmError::Truncated));
        for cut in 0..64 {
            let short = &message(AUTHENTICATE, &[], 0)[..cut];
            assert!(Authenticate::parse(short).is_err());
        }
        assert_eq!(server_challenge(&[0; 20]), None);
    }
}
