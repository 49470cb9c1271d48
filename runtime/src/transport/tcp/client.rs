//! The initiator: connect, send the whole preamble in one write, wait for PreambleAck or a
//! Fault (net-tcp.md §1.5), then hand over a session.

use super::address::{self, TcpAddress};
use super::envelope_stream::{UnsizedReader, UnsizedWriter};
use super::fault::fault_error;
use super::framing::{
    encode, encode_preamble, encode_preamble_head, Limits, Mode, Record, RecordType, MAX_VIA_SIZE,
};
use super::io::{io_error, shared_writer, ReadError, Reader, RecordReader, WriteHalf};
use super::message_phase::{connection, Role};
use super::options::TcpOptions;
use super::upgrade;
use crate::transport::{Connection, TransportError};
use std::net::SocketAddr;
use tokio::io::AsyncWriteExt;
use tracing::debug;

/// Opens a net.tcp session to `address` (`net.tcp://host[:port]/path`, port 808 by default).
/// The Via is `address` as given. Fails with `EndpointNotFound` when nothing listens or the
/// server answers with an EndpointNotFound fault, and with `Framing` for other faults and
/// protocol errors.
pub async fn connect(address: &str, options: &TcpOptions) -> Result<Connection, TransportError> {
    let (reader, write) = handshake(address, options, Mode::Duplex).await?;
    Ok(connection(
        Role::Client,
        reader,
        shared_writer(write),
        options.max_received_message_size,
        options.close_timeout,
        address.to_owned(),
        address.to_owned(),
    ))
}

/// Opens one singleton (streamed) exchange: the preamble with mode `0x01`, then the request
/// goes out through the [`UnsizedWriter`] and the reply comes in through the
/// [`UnsizedReader`]. There is no transport session: every exchange is a connection of its own.
pub async fn connect_streamed(
    address: &str,
    options: &TcpOptions,
) -> Result<(UnsizedWriter, UnsizedReader), TransportError> {
    let (reader, write) = handshake(address, options, Mode::Singleton).await?;
    Ok((
        UnsizedWriter::new(write),
        UnsizedReader::new(
            reader,
            options.max_received_message_size,
            true,
            address.to_owned(),
        ),
    ))
}

/// Connects and runs the preamble in `mode`, within the preamble timeout.
async fn handshake(
    address: &str,
    options: &TcpOptions,
    mode: Mode,
) -> Result<(Reader, WriteHalf), TransportError> {
    let invalid = |why: &str| TransportError::InvalidAddress(address.to_owned(), why.to_owned());
    let target = address::parse(address).map_err(invalid)?;
    if address.len() > MAX_VIA_SIZE {
        // A WCF listener would drop the connection without a word; say why up front.
        return Err(invalid(
            "longer than the 2048 bytes a listener accepts as Via",
        ));
    }
    // With transport security the preamble stops before PreambleEnd: the upgrade request
    // comes next, and PreambleEnd goes through the upgraded stream.
    let preamble = match &options.upgrade {
        Some(upgrade) if upgrade.is_client() => {
            let mut head = encode_preamble_head(mode, address, options.encoding)
                .map_err(|e| invalid(&e.to_string()))?;
            encode(
                &Record::UpgradeRequest(upgrade.protocol().to_owned()),
                &mut head,
            )
            .map_err(|e| invalid(&e.to_string()))?;
            head
        }
        _ => {
            encode_preamble(mode, address, options.encoding).map_err(|e| invalid(&e.to_string()))?
        }
    };
    let timeout = options.preamble_timeout;
    tokio::time::timeout(timeout, open(address, &target, &preamble, options))
        .await
        .unwrap_or_else(|_| {
            Err(TransportError::Io(format!(
                "opening {address} timed out after {timeout:?}"
            )))
        })
}

async fn open(
    address: &str,
    target: &TcpAddress,
    preamble: &[u8],
    options: &TcpOptions,
) -> Result<(Reader, WriteHalf), TransportError> {
    let socket = connect_socket(address, target).await?;
    let local = socket.local_addr().ok();
    // Messages are whole frames written at once; Nagle would only delay replies.
    socket.set_nodelay(true).map_err(|e| io_error(&e))?;
    let (read, write) = socket.into_split();
    let mut write: WriteHalf = Box::new(write);
    write.write_all(preamble).await.map_err(|e| io_error(&e))?;

    let mut reader: Reader = RecordReader::new(Box::new(read));
    let limits = Limits::new(options.max_received_message_size);
    let secured = match &options.upgrade {
        Some(requested) if requested.is_client() => {
            await_upgrade(&mut reader, &limits, address, requested.protocol()).await?;
            let (upgraded_reader, mut upgraded_write) =
                upgrade::client(reader, write, requested).await?;
            let mut end = Vec::with_capacity(1);
            // PreambleEnd has no payload, so encoding cannot fail.
            let _ = encode(&Record::PreambleEnd, &mut end);
            upgraded_write
                .write_all(&end)
                .await
                .map_err(|e| io_error(&e))?;
            upgraded_write.flush().await.map_err(|e| io_error(&e))?;
            reader = upgraded_reader;
            write = upgraded_write;
            true
        }
        _ => false,
    };
    let expected = |byte| {
        matches!(
            RecordType::from_byte(byte),
            Some(RecordType::PreambleAck | RecordType::Fault)
        )
    };
    match reader.next(&limits, expected).await {
        Ok(Record::PreambleAck) => {}
        Ok(Record::Fault(uri)) => {
            debug!(%address, fault = %uri, "net.tcp preamble refused");
            // Dropping the socket here is the EOF the listener drains for.
            return Err(fault_error(&uri, address));
        }
        Ok(other) => {
            return Err(TransportError::Framing(format!(
                "expected PreambleAck from {address}, got a {:?} record",
                other.record_type()
            )))
        }
        Err(ReadError::Eof { .. }) if !secured => {
            // WCF's secured listener aborts a client that skips the upgrade, without a fault.
            return Err(TransportError::Framing(format!(
                "{address} closed the connection without acknowledging the preamble; if the \
                 service uses transport security (WCF's NetTcpBinding default), configure the \
                 client's security to match"
            )));
        }
        Err(error) => return Err(handshake_error(address, error)),
    }
    debug!(%address, ?local, secured, "net.tcp connection open");
    Ok((reader, write))
}

/// Waits for the UpgradeResponse to the upgrade request. A service without transport
/// security, or with another kind, answers with the UpgradeInvalid fault, as WCF's does.
async fn await_upgrade(
    reader: &mut Reader,
    limits: &Limits,
    address: &str,
    protocol: &str,
) -> Result<(), TransportError> {
    let expected = |byte| {
        matches!(
            RecordType::from_byte(byte),
            Some(RecordType::UpgradeResponse | RecordType::Fault)
        )
    };
    match reader.next(limits, expected).await {
        Ok(Record::UpgradeResponse) => Ok(()),
        Ok(Record::Fault(uri)) if uri.ends_with("/UpgradeInvalid") => {
            Err(TransportError::Security(format!(
                "{address} does not offer the {protocol} upgrade (it answered UpgradeInvalid): \
                 the service has no transport security, or another kind (TLS is \
                 application/ssl-tls, Windows credentials application/negotiate); configure \
                 both sides alike"
            )))
        }
        Ok(Record::Fault(uri)) => {
            debug!(%address, fault = %uri, "net.tcp preamble refused");
            Err(fault_error(&uri, address))
        }
        Ok(other) => Err(TransportError::Framing(format!(
            "expected UpgradeResponse from {address}, got a {:?} record",
            other.record_type()
        ))),
        Err(error) => Err(handshake_error(address, error)),
    }
}

/// Resolves the host and tries its addresses in turn, as `localhost` may mean `::1` or
/// `127.0.0.1` and only one of them may be listening.
async fn connect_socket(
    address: &str,
    target: &TcpAddress,
) -> Result<tokio::net::TcpStream, TransportError> {
    let not_found = || TransportError::EndpointNotFound(address.to_owned());
    let candidates: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|e| {
            debug!(%address, error = %e, "net.tcp host lookup failed");
            not_found()
        })?
        .collect();
    let mut last_error = not_found();
    for candidate in candidates {
        match tokio::net::TcpStream::connect(candidate).await {
            Ok(socket) => return Ok(socket),
            Err(e) => {
                debug!(%address, %candidate, error = %e, "net.tcp connect failed");
                last_error = match e.kind() {
                    // WCF reports a refused connection as EndpointNotFoundException too.
                    std::io::ErrorKind::ConnectionRefused => not_found(),
                    _ => TransportError::from(e),
                };
            }
        }
    }
    Err(last_error)
}

/// The error for a preamble answer that is neither PreambleAck nor a fault.
fn handshake_error(address: &str, error: ReadError) -> TransportError {
    match error {
        ReadError::Unexpected(byte @ (b'h' | b'H')) => TransportError::Framing(format!(
            "{address} answered the preamble with 0x{byte:02X} ('{}'): this looks like an HTTP \
             endpoint, not net.tcp",
            char::from(byte)
        )),
        ReadError::Unexpected(byte) => TransportError::Framing(format!(
            "{address} answered the preamble with 0x{byte:02X} instead of PreambleAck (0x0B)"
        )),
        ReadError::Framing(error) => TransportError::Framing(format!(
            "{address} sent an invalid preamble answer: {error}"
        )),
        ReadError::Eof { .. } => TransportError::Framing(format!(
            "{address} closed the connection without acknowledging the preamble"
        )),
        ReadError::Io(error) => io_error(&error),
    }
}
