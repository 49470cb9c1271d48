//! The listener's check of an initiator's preamble, as a sans-IO state machine fed one decoded
//! record at a time. It follows WCF's order (net-tcp.md §1.5, §2): version and mode are judged
//! once both have arrived, the Via once the encoding has arrived (that is when WCF looks the
//! endpoint up), then the encoding, then upgrades and PreambleEnd. Anything out of order is an
//! abort without a fault, as in WCF.

use super::address::{same_path, via_path, ViaPath};
use super::fault::FramingFault;
use super::framing::{KnownEncoding, Mode, Record, RecordType};

/// What the listener does after a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Read the next record.
    Continue,
    /// Send this fault and close.
    Fault(FramingFault),
    /// Close without a fault; the text says why, for the log.
    Abort(String),
    /// The preamble is complete and valid: send PreambleAck.
    Accept,
    /// The client asks for the upgrade the endpoint offers: send UpgradeResponse, run the
    /// upgrade, then call [`PreambleCheck::upgraded`] and read on through the upgraded stream.
    Upgrade,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Version,
    Mode { major: u8 },
    Via,
    Encoding { via_matches: bool },
    UpgradeOrEnd,
    Done,
}

/// Validates one connection's preamble against one endpoint.
#[derive(Debug)]
pub(crate) struct PreambleCheck<'a> {
    path: &'a str,
    encoding: KnownEncoding,
    /// The one mode the endpoint serves: duplex (buffered) or singleton (streamed).
    mode: Mode,
    /// The stream upgrade the endpoint requires (`application/ssl-tls`), if any.
    upgrade: Option<&'static str>,
    upgraded: bool,
    state: State,
}

impl<'a> PreambleCheck<'a> {
    /// A check for an endpoint at `path` using `encoding`.
    pub(crate) fn new(path: &'a str, encoding: KnownEncoding) -> Self {
        PreambleCheck {
            path,
            encoding,
            mode: Mode::Duplex,
            upgrade: None,
            upgraded: false,
            state: State::Version,
        }
    }

    /// The same check for an endpoint that requires the stream upgrade `protocol`: a client
    /// must ask for it before PreambleEnd.
    pub(crate) fn with_upgrade(mut self, protocol: &'static str) -> Self {
        self.upgrade = Some(protocol);
        self
    }

    /// The upgrade asked for is in place: the preamble goes on (another UpgradeRequest is
    /// refused, PreambleEnd accepted).
    pub(crate) fn upgraded(&mut self) {
        self.upgraded = true;
        self.state = State::UpgradeOrEnd;
    }

    /// The same check for an endpoint that serves `mode` instead of duplex.
    pub(crate) fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether a record starting with `byte` may come next. Lets the reader refuse a wrong
    /// record from its first byte, before buffering whatever it would carry.
    pub(crate) fn expects(&self, byte: u8) -> bool {
        let Some(record_type) = RecordType::from_byte(byte) else {
            return false;
        };
        match self.state {
            State::Version => record_type == RecordType::Version,
            State::Mode { .. } => record_type == RecordType::Mode,
            State::Via => record_type == RecordType::Via,
            State::Encoding { .. } => matches!(
                record_type,
                RecordType::KnownEncoding | RecordType::ExtensibleEncoding
            ),
            State::UpgradeOrEnd => matches!(
                record_type,
                RecordType::UpgradeRequest | RecordType::PreambleEnd
            ),
            State::Done => false,
        }
    }

    /// Takes the next record.
    pub(crate) fn next(&mut self, record: Record) -> Step {
        let step = match (self.state, record) {
            (State::Version, Record::Version { major, .. }) => {
                // The minor version is read but never checked, as in WCF.
                self.state = State::Mode { major };
                Step::Continue
            }
            (State::Mode { major }, Record::Mode(mode)) => {
                if major != 1 {
                    Step::Fault(FramingFault::UnsupportedVersion)
                } else if Mode::from_byte(mode) != Some(self.mode) {
                    // An endpoint serves one transfer mode; the MSMQ modes never.
                    Step::Fault(FramingFault::UnsupportedMode)
                } else {
                    self.state = State::Via;
                    Step::Continue
                }
            }
            (State::Via, Record::Via(via)) => match via_path(&via) {
                ViaPath::Invalid => Step::Abort(format!("the Via {via:?} is not a URI")),
                ViaPath::OtherScheme => {
                    self.state = State::Encoding { via_matches: false };
                    Step::Continue
                }
                ViaPath::NetTcp(path) => {
                    self.state = State::Encoding {
                        via_matches: same_path(path, self.path),
                    };
                    Step::Continue
                }
            },
            (State::Encoding { via_matches }, record @ Record::KnownEncoding(_))
            | (State::Encoding { via_matches }, record @ Record::ExtensibleEncoding(_)) => {
                if !via_matches {
                    Step::Fault(FramingFault::EndpointNotFound)
                } else if !self.accepts_encoding(&record) {
                    Step::Fault(FramingFault::ContentTypeInvalid)
                } else {
                    self.state = State::UpgradeOrEnd;
                    Step::Continue
                }
            }
            // WCF's ProcessUpgradeRequest: an endpoint without that upgrade, or a second one,
            // is UpgradeInvalid.
            (State::UpgradeOrEnd, Record::UpgradeRequest(protocol)) => {
                if !self.upgraded && self.upgrade == Some(protocol.as_str()) {
                    Step::Upgrade
                } else {
                    Step::Fault(FramingFault::UpgradeInvalid)
                }
            }
            // WCF's SetupSecurityIfNecessary: a secured endpoint aborts a client that ends its
            // preamble without upgrading, with no fault.
            (State::UpgradeOrEnd, Record::PreambleEnd) => match self.upgrade {
                Some(protocol) if !self.upgraded => Step::Abort(format!(
                    "the client ended its preamble without the {protocol} upgrade this \
                     endpoint requires (transport security)"
                )),
                _ => Step::Accept,
            },
            (_, record) => Step::Abort(format!(
                "unexpected {:?} record in the preamble",
                record.record_type()
            )),
        };
        if step != Step::Continue {
            self.state = State::Done;
        }
        step
    }

    /// Whether the preamble's encoding is the endpoint's. An ExtensibleEncoding naming the same
    /// content type counts too, as WCF asks the encoder whether it supports the content type.
    fn accepts_encoding(&self, record: &Record) -> bool {
        match record {
            Record::KnownEncoding(byte) => *byte == self.encoding.byte(),
            Record::ExtensibleEncoding(content_type) => {
                normalize_content_type(content_type)
                    == normalize_content_type(self.encoding.content_type())
            }
            _ => false,
        }
    }
}

/// Lowercase without spaces, so `application/soap+xml;charset=UTF-8` matches.
fn normalize_content_type(content_type: &str) -> String {
    content_type
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds records until the check stops asking for more; every step taken.
    fn run(records: Vec<Record>) -> Vec<Step> {
        let mut check = PreambleCheck::new("/calc", KnownEncoding::Soap12Utf8);
        let mut steps = Vec::new();
        for record in records {
            let mut first = Vec::new();
            super::super::framing::encode(&record, &mut first).unwrap();
            assert!(check.expects(first[0]), "{record:?} should be expected");
            let step = check.next(record);
            steps.push(step.clone());
            if step != Step::Continue {
                break;
            }
        }
        steps
    }

    fn good() -> Vec<Record> {
        vec![
            Record::Version { major: 1, minor: 0 },
            Record::Mode(2),
            Record::Via("net.tcp://elsewhere:1/calc".to_owned()),
            Record::KnownEncoding(3),
            Record::PreambleEnd,
        ]
    }

    fn last(records: Vec<Record>) -> Step {
        run_unchecked(records).pop().unwrap()
    }

    /// Like `run`, without insisting that each record is expected (for disorder tests).
    fn run_unchecked(records: Vec<Record>) -> Vec<Step> {
        let mut check = PreambleCheck::new("/calc", KnownEncoding::Soap12Utf8);
        let mut steps = Vec::new();
        for record in records {
            let step = check.next(record);
            steps.push(step.clone());
            if step != Step::Continue {
                break;
            }
        }
        steps
    }

    #[test]
    fn accepts_a_good_preamble() {
        let steps = run(good());
        assert_eq!(steps.last(), Some(&Step::Accept));
        assert!(steps[..4].iter().all(|s| *s == Step::Continue));
    }

    #[test]
    fn faults_in_wcf_order() {
        let mut bad = good();
        bad[0] = Record::Version { major: 2, minor: 0 };
        bad[1] = Record::Mode(9);
        assert_eq!(last(bad), Step::Fault(FramingFault::UnsupportedVersion));

        let mut bad = good();
        bad[0] = Record::Version { major: 1, minor: 7 };
        assert_eq!(last(bad), Step::Accept);

        for mode in [0, 1, 3, 4, 5] {
            let mut bad = good();
            bad[1] = Record::Mode(mode);
            assert_eq!(last(bad), Step::Fault(FramingFault::UnsupportedMode));
        }

        // Unknown path and wrong encoding: the Via wins, as WCF looks it up first.
        let mut bad = good();
        bad[2] = Record::Via("net.tcp://h/other".to_owned());
        bad[3] = Record::KnownEncoding(8);
        assert_eq!(
            run(bad)[2..],
            [Step::Continue, Step::Fault(FramingFault::EndpointNotFound)]
        );

        let mut bad = good();
        bad[2] = Record::Via("http://h/calc".to_owned());
        assert_eq!(last(bad), Step::Fault(FramingFault::EndpointNotFound));

        let mut bad = good();
        bad[3] = Record::KnownEncoding(8);
        assert_eq!(last(bad), Step::Fault(FramingFault::ContentTypeInvalid));

        let mut bad = good();
        bad[3] = Record::KnownEncoding(0x42);
        assert_eq!(last(bad), Step::Fault(FramingFault::ContentTypeInvalid));

        let mut bad = good();
        bad.insert(4, Record::UpgradeRequest("application/ssl-tls".to_owned()));
        assert_eq!(last(bad), Step::Fault(FramingFault::UpgradeInvalid));
    }

    #[test]
    fn a_secured_endpoint_requires_its_upgrade_once() {
        let secured = || {
            PreambleCheck::new("/calc", KnownEncoding::Soap12Utf8)
                .with_upgrade("application/ssl-tls")
        };
        let head = &good()[..4];
        let mut check = secured();
        for record in head.iter().cloned() {
            assert_eq!(check.next(record), Step::Continue);
        }
        assert!(check.expects(0x09), "an UpgradeRequest may come");
        let ask = |name: &str| Record::UpgradeRequest(name.to_owned());
        assert_eq!(check.next(ask("application/ssl-tls")), Step::Upgrade);
        check.upgraded();
        assert!(
            check.expects(0x0C),
            "PreambleEnd may come through the upgraded stream"
        );
        assert_eq!(check.next(Record::PreambleEnd), Step::Accept);

        // Another protocol, or the same one twice, is UpgradeInvalid.
        let mut check = secured();
        head.iter()
            .cloned()
            .for_each(|r| assert_eq!(check.next(r), Step::Continue));
        assert_eq!(
            check.next(ask("application/negotiate")),
            Step::Fault(FramingFault::UpgradeInvalid)
        );
        let mut check = secured();
        head.iter()
            .cloned()
            .for_each(|r| assert_eq!(check.next(r), Step::Continue));
        assert_eq!(check.next(ask("application/ssl-tls")), Step::Upgrade);
        check.upgraded();
        assert_eq!(
            check.next(ask("application/ssl-tls")),
            Step::Fault(FramingFault::UpgradeInvalid)
        );

        // Skipping the upgrade is an abort without a fault, as in WCF.
        let mut check = secured();
        head.iter()
            .cloned()
            .for_each(|r| assert_eq!(check.next(r), Step::Continue));
        assert!(
            matches!(check.next(Record::PreambleEnd), Step::Abort(why) if why.contains("ssl-tls"))
        );
    }

    #[test]
    fn extensible_encoding_of_the_same_content_type() {
        let mut records = good();
        records[3] = Record::ExtensibleEncoding("Application/SOAP+xml;charset=UTF-8".to_owned());
        assert_eq!(last(records), Step::Accept);
        let mut records = good();
        records[3] = Record::ExtensibleEncoding("application/soap+msbin1".to_owned());
        assert_eq!(last(records), Step::Fault(FramingFault::ContentTypeInvalid));
    }

    #[test]
    fn aborts_on_disorder_and_bad_via() {
        let mut bad = good();
        bad.swap(0, 1);
        assert!(matches!(last(bad), Step::Abort(_)));
        let mut bad = good();
        bad[2] = Record::Via("not a uri".to_owned());
        assert!(matches!(last(bad), Step::Abort(_)));

        let check = PreambleCheck::new("/calc", KnownEncoding::Soap12Utf8);
        assert!(!check.expects(0x06));
        assert!(!check.expects(b'G'));
    }
}
