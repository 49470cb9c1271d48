//! The fuzzing hook of binary XML (`crate::__fuzz::binary_xml`): one connection's worth of
//! msbinsession1 messages, read on every route this module has, with the checks that hold
//! for any input. It lives here because the routes it compares are private to this module.

use super::encoder::{decode_via_text, Failure, SessionBinaryCodec};
use super::{
    binary_to_text, direct_read, text_to_binary, BinaryLimits, BinaryXmlError, ReaderSession,
    WriterSession, DEFAULT_MAX_SESSION_SIZE,
};
use crate::message::{MessageVersion, ReaderQuotas};
use bytes::Bytes;

/// Feeds `messages` in order, as the frames of one direction of a connection, to:
///
/// 1. `binary_to_text` with a session; what decodes is written back with `text_to_binary` on
///    a writer session and read again with a mirror reader session: that must give the same
///    text (what this end reads, it can write, and the two sessions stay in step);
/// 2. the direct route (`direct_read`) against the text route it short-cuts: wherever the
///    direct route accepts a document, the text route must give the same `Message`;
/// 3. `SessionBinaryCodec::decode`, the whole receiving path; a decoded message is encoded
///    again by a second codec and decoded by a third: that must say the same (see
///    `__fuzz::assert_same_message`: namespace declarations may move between fragments).
///
/// Errors are fine everywhere (the input is arbitrary); a panic or a failed check is a bug.
pub(crate) fn session_messages(messages: &[&[u8]]) {
    let limits = BinaryLimits::default();
    let quotas = ReaderQuotas::default();
    let version = MessageVersion::SOAP12_WSA10;
    let codec = || SessionBinaryCodec::new(version, quotas, DEFAULT_MAX_SESSION_SIZE);

    let mut text_session = ReaderSession::new();
    let mut writer = WriterSession::new();
    let mut mirror = ReaderSession::new();
    let mut routes = ReaderSession::new();
    let (mut receiver, mut echo, mut echo_receiver) = (codec(), codec(), codec());

    for &message in messages {
        if let Ok(text) = binary_to_text(message, Some(&mut text_session), &limits) {
            if let Ok(again) = text_to_binary(&text, Some(&mut writer)) {
                match binary_to_text(&again, Some(&mut mirror), &limits) {
                    Ok(back) => assert_eq!(
                        String::from_utf8_lossy(&back),
                        String::from_utf8_lossy(&text),
                        "re-encoded text differs"
                    ),
                    Err(e) => panic!("our own encoding of decoded text does not decode: {e}"),
                }
            }
        }

        if let Ok(table_len) = routes.read_table(message) {
            let document = message.get(table_len..).unwrap_or_default();
            let strings = routes.strings();
            if let Some(direct) =
                direct_read::read(document, table_len, strings, &limits, version, &quotas)
            {
                match decode_via_text(document, table_len, strings, &limits, version, &quotas) {
                    // WS-RM headers the direct route typed are the session's to compare.
                    Ok(text) if direct.headers.wsrm.is_some() => {
                        crate::reliable::wire::assert_typed_reads_as_raw(&direct, &text, &quotas)
                    }
                    Ok(text) => assert_eq!(direct, text, "the two read routes differ"),
                    // The one bound the direct route applies more loosely (see direct_read).
                    Err(Failure::Binary(BinaryXmlError::QuotaExceeded(_))) => {}
                    Err(e) => panic!("the direct route accepts what the text route refuses: {e:?}"),
                }
            }
        }

        if let Ok(decoded) = receiver.decode(Bytes::copy_from_slice(message)) {
            let mut out = Vec::new();
            if echo.encode(&decoded, &mut out).is_ok() {
                match echo_receiver.decode(out.into()) {
                    Ok(back) => crate::__fuzz::assert_same_message(decoded, back),
                    Err(e) => panic!("our own encoding of a decoded message does not decode: {e}"),
                }
            }
        }
    }
}
