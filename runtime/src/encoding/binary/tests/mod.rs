//! Tests of the binary XML codec: the Mono captures, generated documents both ways, bad
//! input, and (where installed) the PyPI `wcf` decoder as an oracle.

mod bad_input;
mod captures;
mod direct;
mod encoder;
mod generator;
mod python_oracle;
mod roundtrip;
mod typed;

use super::cursor::Cursor;

/// A small deterministic generator (xorshift64*), so failures reproduce from the seed.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub(super) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub(super) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// The SizedEnvelope payloads of one direction of a captured .NET Message Framing stream
/// (preamble records, PreambleAck and End are skipped). Test-only: the real framing layer is
/// elsewhere.
pub(super) fn sized_envelopes(stream: &[u8]) -> Vec<&[u8]> {
    let mut cur = Cursor::new(stream);
    let mut envelopes = Vec::new();
    while !cur.is_empty() {
        match cur.u8("record").expect("record type") {
            0x00 => {
                cur.take(2, "version").expect("version");
            }
            0x01 | 0x03 => {
                cur.u8("mode or encoding").expect("byte");
            }
            0x02 => {
                cur.string("via").expect("via");
            }
            0x06 => {
                let len = cur.mb31().expect("size");
                envelopes.push(cur.take(u64::from(len), "envelope").expect("payload"));
            }
            0x07 | 0x0B | 0x0C => {}
            other => panic!("unexpected framing record 0x{other:02X}"),
        }
    }
    envelopes
}

pub(super) const C2S: &[u8] = include_bytes!("../testdata/mono-nettcp-session.c2s.bin");
pub(super) const S2C: &[u8] = include_bytes!("../testdata/mono-nettcp-session.s2c.bin");
