//! A streamed message in binary XML (msbin1): WCF writes a `Stream` part as the content of one
//! element, `Envelope/Body/{wrapper}/{part}`, in Bytes records. A streamed message is then
//! three pieces: the head (every record up to and including the part's start element), the
//! content (Bytes records, read and written one at a time), and the tail (the end elements).
//! Nothing here needs the whole message in memory.

use super::error::BinaryXmlError;
use super::events::{EventSink, XmlEvent};
use super::reader::{read_until_done, BinaryLimits};
use super::records::{BYTES16_TEXT, BYTES32_TEXT, BYTES8_TEXT, EMPTY_TEXT, END_ELEMENT};
use bytes::{Buf, Bytes, BytesMut};

/// How deep the part element sits: Envelope, Body, wrapper, part.
pub const STREAM_PART_DEPTH: usize = 4;
/// The records that close a streamed message after its content: part, wrapper, Body, Envelope.
pub const STREAM_TAIL: [u8; STREAM_PART_DEPTH] = [END_ELEMENT; STREAM_PART_DEPTH];

/// What the start of a binary message shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadScan {
    /// More bytes are needed.
    Incomplete,
    /// The stream's content starts at this offset: the bytes before it are the head.
    Stream(usize),
    /// The whole document is there and has no stream part (a fault, or a buffered reply).
    Complete,
}

/// Looks for the start of a stream part in the first bytes of a message. Faults are never
/// streamed: `Body/Fault/Code` is not a part.
pub fn scan_head(bytes: &[u8], limits: &BinaryLimits) -> Result<HeadScan, BinaryXmlError> {
    let mut sink = HeadSink::default();
    match read_until_done(bytes, limits, &mut sink) {
        Ok(Some(offset)) => Ok(HeadScan::Stream(offset)),
        Ok(None) => Ok(HeadScan::Complete),
        Err(BinaryXmlError::Truncated { .. } | BinaryXmlError::Unclosed { .. }) => {
            Ok(HeadScan::Incomplete)
        }
        Err(error) => Err(error),
    }
}

/// Tracks the element path until the part element has started.
#[derive(Debug, Default)]
struct HeadSink {
    /// Local names of the open elements.
    path: Vec<String>,
    found: bool,
}

impl<'a> EventSink<'a> for HeadSink {
    fn event(&mut self, event: XmlEvent<'a>) -> Result<(), BinaryXmlError> {
        match event {
            XmlEvent::StartElement { local, .. } => {
                self.path.push(local.into_owned());
                self.found = self.path.len() == STREAM_PART_DEPTH
                    && self.path[1] == "Body"
                    && self.path[2] != "Fault";
            }
            XmlEvent::EndElement => {
                self.path.pop();
            }
            XmlEvent::Text(_) | XmlEvent::Comment(_) => {}
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.found
    }
}

/// The header of a Bytes32 record carrying `len` bytes (`len` ≤ 2^31 − 1).
pub fn bytes_record_header(len: usize) -> Result<[u8; 5], BinaryXmlError> {
    let len = i32::try_from(len)
        .map_err(|_| BinaryXmlError::invalid("Bytes32 record", 0, "longer than 2^31 - 1"))?;
    let [a, b, c, d] = len.to_le_bytes();
    Ok([BYTES32_TEXT, a, b, c, d])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before a record.
    Record,
    /// Inside a Bytes record with this many bytes to come; `ends` if it is the
    /// WithEndElement variant.
    Bytes { remaining: usize, ends: bool },
    /// The part element has ended.
    Done,
}

/// Decodes a stream part's content incrementally: Bytes8/16/32 records (and EmptyText) up to
/// the part's end element. Each call hands out the payload bytes at hand, so memory stays at
/// one input piece whatever a record's claimed length.
#[derive(Debug)]
pub struct StreamContentDecoder {
    state: State,
}

impl Default for StreamContentDecoder {
    fn default() -> Self {
        StreamContentDecoder {
            state: State::Record,
        }
    }
}

impl StreamContentDecoder {
    /// Whether the part element has ended.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Takes content bytes from the front of `input`: `Ok(Some(bytes))` for payload,
    /// `Ok(None)` when `input` holds no complete step (feed more) or the part has ended
    /// ([`is_done`](Self::is_done)). What follows the part's end stays in `input`.
    pub fn next(&mut self, input: &mut BytesMut) -> Result<Option<Bytes>, BinaryXmlError> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Bytes { remaining, ends } => {
                    if remaining == 0 {
                        self.state = if ends { State::Done } else { State::Record };
                        continue;
                    }
                    if input.is_empty() {
                        return Ok(None);
                    }
                    let take = remaining.min(input.len());
                    self.state = State::Bytes {
                        remaining: remaining - take,
                        ends,
                    };
                    return Ok(Some(input.split_to(take).freeze()));
                }
                State::Record => {
                    let Some(&record) = input.first() else {
                        return Ok(None);
                    };
                    let (header, len) = match record {
                        END_ELEMENT => {
                            input.advance(1);
                            self.state = State::Done;
                            continue;
                        }
                        EMPTY_TEXT => {
                            input.advance(1);
                            continue;
                        }
                        r if r == EMPTY_TEXT | 1 => {
                            input.advance(1);
                            self.state = State::Done;
                            continue;
                        }
                        r if r & !1 == BYTES8_TEXT => match input.get(1) {
                            Some(&n) => (2, usize::from(n)),
                            None => return Ok(None),
                        },
                        r if r & !1 == BYTES16_TEXT => match input.get(1..3) {
                            Some(&[a, b]) => (3, usize::from(u16::from_le_bytes([a, b]))),
                            _ => return Ok(None),
                        },
                        r if r & !1 == BYTES32_TEXT => match input.get(1..5) {
                            Some(&[a, b, c, d]) => {
                                let n = i32::from_le_bytes([a, b, c, d]);
                                let n = usize::try_from(n).map_err(|_| {
                                    BinaryXmlError::invalid("Bytes32 record", 0, "negative length")
                                })?;
                                (5, n)
                            }
                            _ => return Ok(None),
                        },
                        other => {
                            return Err(BinaryXmlError::UnexpectedRecord {
                                record: other,
                                offset: 0,
                                context: "in a stream part (only Bytes records carry a stream)",
                            })
                        }
                    };
                    input.advance(header);
                    self.state = State::Bytes {
                        remaining: len,
                        ends: record & 1 == 1,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], piece: usize) -> (Vec<u8>, Vec<u8>) {
        let mut decoder = StreamContentDecoder::default();
        let mut input = BytesMut::new();
        let mut out = Vec::new();
        for chunk in bytes.chunks(piece) {
            input.extend_from_slice(chunk);
            while let Some(bytes) = decoder.next(&mut input).unwrap() {
                out.extend_from_slice(&bytes);
            }
        }
        assert!(decoder.is_done());
        (out, input.to_vec())
    }

    #[test]
    fn bytes_records_of_every_width_decode_across_any_split() {
        let mut doc = vec![BYTES8_TEXT, 3, b'a', b'b', b'c', EMPTY_TEXT];
        doc.extend_from_slice(&[BYTES16_TEXT, 2, 0, b'd', b'e']);
        doc.extend_from_slice(&bytes_record_header(1).unwrap());
        doc.push(b'f');
        doc.extend_from_slice(&[BYTES8_TEXT | 1, 1, b'g', END_ELEMENT, END_ELEMENT]);
        for piece in 1..doc.len() {
            let (content, rest) = decode_all(&doc, piece);
            assert_eq!(content, b"abcdefg");
            assert_eq!(rest, [END_ELEMENT, END_ELEMENT]);
        }
    }

    #[test]
    fn other_records_in_a_stream_part_are_refused() {
        let mut decoder = StreamContentDecoder::default();
        let mut input = BytesMut::from(&[0x98u8, 1, b'x'][..]);
        assert!(decoder.next(&mut input).is_err());
    }

    #[test]
    fn a_claimed_length_is_not_allocated() {
        let mut decoder = StreamContentDecoder::default();
        let mut input = BytesMut::from(&[BYTES32_TEXT, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2][..]);
        assert_eq!(decoder.next(&mut input).unwrap().unwrap().as_ref(), [1, 2]);
        assert_eq!(decoder.next(&mut input).unwrap(), None);
        assert!(!decoder.is_done());
    }
}
