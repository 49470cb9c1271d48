//! One reliable session as a sans-IO state machine: the output sequence (RM source), the
//! input sequence (RM destination) when there is one, the CreateSequence handshake with Offer,
//! keep-alive polling, the inactivity timeout, close and terminate for both versions, abort,
//! control-message retries and the faults (reference §1.6, §2.4, §2.5, §2.8).
//!
//! # Driving a session
//!
//! The caller owns the clock and the transport. It feeds the session:
//!
//! * [`ReliableSession::open`], [`ReliableSession::send`], [`ReliableSession::close`],
//!   [`ReliableSession::abort`] and [`ReliableSession::message_dequeued`] for local events;
//! * [`ReliableSession::handle_input`] for every protocol message routed to the session;
//! * [`ReliableSession::handle_timeout`] once the time from
//!   [`ReliableSession::poll_timeout`] has come;
//!
//! and after each call drains [`ReliableSession::poll_action`]: `Send` goes to the peer,
//! `Deliver` to the application, and the others report state changes.
//!
//! Opening an initiator, for example, queues a CreateSequence to send and sets the timer
//! of its retry (the unit test `opening_sends_create_sequence_and_arms_its_retry`):
//!
//! ```text
//! let mut client = ReliableSession::<&str>::initiator(SessionConfig::default(), None);
//! client.open(Timestamp::ZERO);
//! // poll_action() gives Action::Send(CreateSequence), then None;
//! // poll_timeout() gives the retry: every 10 s until the open timeout.
//! ```
//!
//! Delivered messages count against the receive buffer until the application has taken them:
//! call [`ReliableSession::message_dequeued`] when it does. That is what `BufferRemaining`
//! advertises, and it is the session's back-pressure.

use super::fault::{SoapFaultCode, WsrmFault};
use super::messages::{
    Accept, AckRequested, CloseSequence, CreateSequence, CreateSequenceResponse,
    IncompleteSequenceBehavior, Offer, ProtocolBody, ProtocolMessage, SequenceAcknowledgement,
    SequenceHeader, TerminateSequence, ANONYMOUS_ADDRESS,
};
use super::ranges::{validate_ack_ranges, MAX_MESSAGE_NUMBER};
#[cfg(test)]
use super::receiver::ReceiverStats;
use super::receiver::{ReceiveError, ReceiveOutcome, Receiver, ReceiverConfig};
use super::rtt::UNKNOWN_INITIATION_TIME;
#[cfg(test)]
use super::sender::SenderStats;
use super::sender::{AddError, Sender, SenderConfig};
use super::settings::{ReliableMessagingVersion, ReliableSessionSettings};
use super::time::{earliest, Timestamp};
use crate::channel::CommunicationState;
use std::collections::VecDeque;
use std::time::Duration;

/// WCF's `RequestorIterationTime`: CreateSequence, CloseSequence and TerminateSequence are
/// re-sent this often until answered or until the open/close timeout (reference §2.4).
pub const REQUESTOR_ITERATION_TIME: Duration = Duration::from_secs(10);

/// The binding timeouts a session uses. WCF's defaults: one minute each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimeouts {
    /// OpenTimeout: how long CreateSequence is retried.
    pub open: Duration,
    /// CloseTimeout: how long close may take (acks, then close and terminate handshakes).
    pub close: Duration,
    /// SendTimeout: bounds the fast-polling interval while flow control blocks the sender.
    pub send: Duration,
}

impl Default for SessionTimeouts {
    fn default() -> Self {
        let minute = Duration::from_secs(60);
        SessionTimeouts {
            open: minute,
            close: minute,
            send: minute,
        }
    }
}

/// Everything a session needs to know besides its identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// The reliable-session settings.
    pub settings: ReliableSessionSettings,
    /// The binding timeouts.
    pub timeouts: SessionTimeouts,
    /// This side's address for `AcksTo`, `Offer/Endpoint` and `Accept/AcksTo`. Default: the
    /// WS-Addressing anonymous address.
    pub acks_to: String,
    /// Piggy-back AckRequested on the message that fills the window (WCF does over duplex
    /// transports; over HTTP request-reply every response acks, so WCF does not). Default true.
    pub request_acks: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            settings: ReliableSessionSettings::default(),
            timeouts: SessionTimeouts::default(),
            acks_to: ANONYMOUS_ADDRESS.to_owned(),
            request_acks: true,
        }
    }
}

/// Which side of the session this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The client: sends CreateSequence, polls with AckRequested.
    Initiator,
    /// The service: answers CreateSequence, never polls (except when flow control blocks it).
    Responder,
}

/// The client's keep-alive polling mode (WCF `ClientReliableSession`, reference §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollingMode {
    /// InactivityTimeout / 2 after open or after remote activity.
    Idle,
    /// InactivityTimeout / 2 / MaxRetryCount, after an Idle probe went unanswered.
    KeepAlive,
    /// min(SendTimeout / 2, keep-alive interval) while the receiver advertises no buffer.
    FastPolling,
    /// No polling (not open, or closing).
    NotPolling,
}

/// Why a session faulted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The peer sent a WS-RM fault about this session.
    #[error("the peer faulted the session: {0}")]
    PeerFault(WsrmFault),
    /// The peer broke the protocol; this fault was sent to it.
    #[error("the peer violated the protocol: {0}")]
    ProtocolViolation(WsrmFault),
    /// CreateSequence was refused (other than for a full listener, which is retried).
    #[error("CreateSequence was refused: {0}")]
    CreateSequenceRefused(WsrmFault),
    /// The responder did not accept the offered return sequence.
    #[error("the responder did not accept the offered sequence")]
    OfferNotAccepted,
    /// A message was not acknowledged within MaxRetryCount retransmissions.
    #[error(
        "message {message_number} was not acknowledged after {retry_count} retransmissions \
         (MaxRetryCount)"
    )]
    MaxRetryCountExceeded {
        /// The first unacknowledged message.
        message_number: u64,
        /// MaxRetryCount.
        retry_count: u32,
    },
    /// Nothing was heard from the peer for InactivityTimeout.
    #[error("no message from the peer within the InactivityTimeout of {0:?}")]
    InactivityTimeout(Duration),
    /// CreateSequence went unanswered for OpenTimeout.
    #[error("CreateSequence went unanswered within the OpenTimeout of {0:?}")]
    OpenTimeout(Duration),
    /// Close did not complete within CloseTimeout.
    #[error("the session did not close within the CloseTimeout of {0:?}")]
    CloseTimeout(Duration),
    /// The output sequence reached the maximum message number.
    #[error("the message number reached the maximum ({MAX_MESSAGE_NUMBER})")]
    MessageNumberRollover,
}

/// What the caller must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Action<T> {
    /// Send this message to the peer.
    Send(ProtocolMessage<T>),
    /// Hand this message to the application (exactly once, in order when Ordered). Call
    /// [`ReliableSession::message_dequeued`] when the application has taken it.
    Deliver(T),
    /// The session is open: sequences exist and [`ReliableSession::send`] may be called.
    Opened,
    /// The peer ended its sequence and every message of it was delivered (WCF's receive
    /// returning null): time to close.
    InputCompleted,
    /// The session closed (gracefully, or by abort).
    Closed,
    /// The session faulted; no further protocol work happens.
    Fault(SessionError),
}

/// Why [`ReliableSession::send`] did not take a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendBlocked {
    /// The session is not open yet.
    #[error("the session is not open yet")]
    NotOpen,
    /// The session has no output sequence (a one-way service).
    #[error("the session has no output sequence")]
    NoOutput,
    /// The session is closing or closed.
    #[error("the session is closing or closed")]
    Closed,
    /// The session faulted.
    #[error("the session faulted")]
    Faulted,
    /// The window or the receiver's buffer is full: retry after the next input.
    #[error("{0}")]
    Busy(AddError),
}

/// A message [`ReliableSession::send`] handed back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot send: {reason}")]
pub struct TrySendError<T> {
    /// Why.
    pub reason: SendBlocked,
    /// The message, unchanged.
    pub payload: T,
}

/// How much memory the session holds, in messages: every figure is bounded by
/// MaxTransferWindowSize (the action queue by a small multiple of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg(test)]
pub struct MemoryUse {
    /// Messages in the send window.
    pub send_window: usize,
    /// Messages held out of order by the receiver.
    pub receive_buffer: usize,
    /// Delivered messages not yet dequeued by the application.
    pub undelivered: u32,
    /// Actions waiting to be polled.
    pub queued_actions: usize,
}

/// Counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg(test)]
pub struct SessionStats {
    /// The output sequence's counters.
    pub sender: SenderStats,
    /// The input sequence's counters.
    pub receiver: ReceiverStats,
    /// Re-sent CreateSequence, CloseSequence and TerminateSequence requests.
    pub control_retries: u64,
    /// Keep-alive AckRequested probes sent.
    pub keep_alive_probes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputPhase {
    Open,
    /// Closing: waiting for every ack (1.0: after admitting the LastMessage).
    Draining {
        last_message_pending: bool,
    },
    /// 1.1: CloseSequence sent.
    Closing,
    /// 1.1: TerminateSequence sent.
    Terminating,
    Done,
}

#[derive(Debug)]
struct Output<T> {
    id: String,
    sender: Sender<T>,
    phase: OutputPhase,
}

#[derive(Debug)]
struct Input<T> {
    id: String,
    receiver: Receiver<T>,
    completed_reported: bool,
}

#[derive(Debug, Clone)]
enum Control {
    Create(CreateSequence),
    Close(CloseSequence),
    Terminate(TerminateSequence),
}

#[derive(Debug)]
struct Requestor {
    request: Control,
    next_retry: Timestamp,
    last_sent: Timestamp,
}

/// A fault to raise locally, and the WS-RM fault to tell the peer, if any.
#[derive(Debug)]
struct Failure {
    error: SessionError,
    notify: Option<WsrmFault>,
}

impl Failure {
    fn violation(fault: WsrmFault) -> Self {
        Failure {
            error: SessionError::ProtocolViolation(fault.clone()),
            notify: Some(fault),
        }
    }

    fn unknown(identifier: &str) -> Self {
        Failure::violation(WsrmFault::UnknownSequence {
            identifier: identifier.to_owned(),
        })
    }

    fn terminated(identifier: &str, code: SoapFaultCode, reason: impl Into<String>) -> WsrmFault {
        WsrmFault::SequenceTerminated {
            identifier: identifier.to_owned(),
            code,
            reason: reason.into(),
        }
    }
}

/// One WS-RM reliable session (see the module documentation for the drive loop).
#[derive(Debug)]
pub struct ReliableSession<T> {
    role: Role,
    config: SessionConfig,
    state: CommunicationState,
    output: Option<Output<T>>,
    input: Option<Input<T>>,
    /// Initiator: the offered input sequence, until the response accepts it.
    offer: Option<String>,
    /// Responder: the answer to a re-sent CreateSequence.
    create_response: Option<CreateSequenceResponse>,
    requestor: Option<Requestor>,
    open_started: Timestamp,
    open_deadline: Option<Timestamp>,
    close_deadline: Option<Timestamp>,
    inactivity_deadline: Option<Timestamp>,
    polling_mode: PollingMode,
    polling_deadline: Option<Timestamp>,
    want_ack_requested: bool,
    actions: VecDeque<Action<T>>,
    error: Option<SessionError>,
    control_retries: u64,
    keep_alive_probes: u64,
}

impl<T: Clone> ReliableSession<T> {
    fn new(role: Role, config: SessionConfig) -> Self {
        ReliableSession {
            role,
            config,
            state: CommunicationState::Created,
            output: None,
            input: None,
            offer: None,
            create_response: None,
            requestor: None,
            open_started: Timestamp::ZERO,
            open_deadline: None,
            close_deadline: None,
            inactivity_deadline: None,
            polling_mode: PollingMode::NotPolling,
            polling_deadline: None,
            want_ack_requested: false,
            actions: VecDeque::new(),
            error: None,
            control_retries: 0,
            keep_alive_probes: 0,
        }
    }

    /// A client session. `offer` is the identifier of the return sequence to offer: give one
    /// for duplex and request-reply contracts, `None` for one-way (output only).
    pub fn initiator(config: SessionConfig, offer: Option<String>) -> Self {
        let mut session = ReliableSession::new(Role::Initiator, config);
        session.offer = offer;
        session
    }

    /// A service session for an accepted CreateSequence. `identifier` is the new input
    /// sequence's id (the listener generates it). With `accept_offer`, an offered sequence
    /// becomes the output; without, it is not accepted (1.1 omits `Accept`, B1109). The
    /// CreateSequenceResponse is the first action.
    pub fn responder(
        now: Timestamp,
        config: SessionConfig,
        create: &CreateSequence,
        identifier: String,
        accept_offer: bool,
    ) -> Self {
        let mut session = ReliableSession::new(Role::Responder, config);
        let version = session.version();
        let offered = create.offer.as_ref().filter(|_| accept_offer);
        if let Some(offer) = offered {
            session.output = Some(Output {
                id: offer.identifier.clone(),
                // The server never measured a round trip: WCF's 2 s default (6 s timeout).
                sender: Sender::new(session.sender_config(), UNKNOWN_INITIATION_TIME),
                phase: OutputPhase::Open,
            });
        }
        session.input = Some(Input {
            id: identifier.clone(),
            receiver: Receiver::new(ReceiverConfig::from_settings(&session.config.settings)),
            completed_reported: false,
        });
        let response = CreateSequenceResponse {
            identifier,
            // The 1.1 responder echoes Expires (WCF B1104); 1.0 WCF ignores it.
            expires: if version.is_11() {
                create.expires.clone()
            } else {
                None
            },
            incomplete_sequence_behavior: version.is_11().then(|| session.incomplete_behavior()),
            accept: offered.map(|_| Accept {
                acks_to: session.config.acks_to.clone(),
            }),
        };
        session.create_response = Some(response.clone());
        session.state = CommunicationState::Opened;
        session.inactivity_deadline = Some(now + session.config.settings.inactivity_timeout());
        session.push_send(ProtocolMessage::new(ProtocolBody::CreateSequenceResponse(
            response,
        )));
        session.actions.push_back(Action::Opened);
        session
    }

    fn version(&self) -> ReliableMessagingVersion {
        self.config.settings.reliable_messaging_version()
    }

    fn sender_config(&self) -> SenderConfig {
        SenderConfig::from_settings(&self.config.settings, self.config.request_acks)
    }

    /// WCF sends DiscardFollowingFirstGap when Ordered, NoDiscard otherwise (B1107, B1108).
    fn incomplete_behavior(&self) -> IncompleteSequenceBehavior {
        if self.config.settings.ordered() {
            IncompleteSequenceBehavior::DiscardFollowingFirstGap
        } else {
            IncompleteSequenceBehavior::NoDiscard
        }
    }

    /// The WCF communication state.
    pub fn state(&self) -> CommunicationState {
        self.state
    }

    /// The configuration.
    #[cfg(test)]
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The output sequence's identifier, once known.
    pub fn output_identifier(&self) -> Option<&str> {
        self.output.as_ref().map(|o| o.id.as_str())
    }

    /// The input sequence's identifier (or the offered one, before open completes).
    pub fn input_identifier(&self) -> Option<&str> {
        self.input
            .as_ref()
            .map(|i| i.id.as_str())
            .or(self.offer.as_deref())
    }

    /// Whether `identifier` names one of this session's sequences.
    pub fn owns(&self, identifier: &str) -> bool {
        self.output_identifier() == Some(identifier) || self.input_identifier() == Some(identifier)
    }

    /// An acknowledgement of the input sequence as it stands, to ride on a message the
    /// caller is about to send (over HTTP every response carries one). Resets the ack timer.
    pub fn acknowledgement(&mut self, now: Timestamp) -> Option<SequenceAcknowledgement> {
        let input = self.input.as_mut()?;
        Some(input.receiver.make_ack(now, &input.id))
    }

    /// Whether the peer has acknowledged message `number` of the output sequence.
    pub fn output_acked(&self, number: u64) -> bool {
        self.output
            .as_ref()
            .is_some_and(|o| o.sender.is_acked(number))
    }

    /// Whether message `number` of the input sequence has been received.
    pub fn input_received(&self, number: u64) -> bool {
        self.input
            .as_ref()
            .is_some_and(|i| i.receiver.received().contains(number))
    }

    /// The output sequence's sender, for inspection.
    #[cfg(test)]
    pub fn sender(&self) -> Option<&Sender<T>> {
        self.output.as_ref().map(|o| &o.sender)
    }

    /// Test hook: the output sequence's sender.
    #[cfg(test)]
    pub(crate) fn sender_mut(&mut self) -> Option<&mut Sender<T>> {
        self.output.as_mut().map(|o| &mut o.sender)
    }

    /// The input sequence's receiver, for inspection.
    pub fn receiver(&self) -> Option<&Receiver<T>> {
        self.input.as_ref().map(|i| &i.receiver)
    }

    /// The current keep-alive polling mode.
    #[cfg(test)]
    pub fn polling_mode(&self) -> PollingMode {
        self.polling_mode
    }

    /// How much the session holds.
    #[cfg(test)]
    pub fn memory(&self) -> MemoryUse {
        MemoryUse {
            send_window: self.output.as_ref().map_or(0, |o| o.sender.window_len()),
            receive_buffer: self.input.as_ref().map_or(0, |i| i.receiver.buffered()),
            undelivered: self.input.as_ref().map_or(0, |i| i.receiver.undelivered()),
            queued_actions: self.actions.len(),
        }
    }

    /// Counters.
    #[cfg(test)]
    pub fn stats(&self) -> SessionStats {
        SessionStats {
            sender: self
                .output
                .as_ref()
                .map(|o| o.sender.stats())
                .unwrap_or_default(),
            receiver: self
                .input
                .as_ref()
                .map(|i| i.receiver.stats())
                .unwrap_or_default(),
            control_retries: self.control_retries,
            keep_alive_probes: self.keep_alive_probes,
        }
    }

    /// The next action, if any.
    pub fn poll_action(&mut self) -> Option<Action<T>> {
        let action = self.actions.pop_front();
        if action.is_none() && self.actions.capacity() > 0 {
            // Actions come in bursts and are drained at once; an idle session should not
            // keep the room of its largest burst (a few hundred bytes per action).
            self.actions = VecDeque::new();
        }
        action
    }

    fn is_live(&self) -> bool {
        matches!(
            self.state,
            CommunicationState::Opening | CommunicationState::Opened | CommunicationState::Closing
        )
    }

    fn push_send(&mut self, message: ProtocolMessage<T>) {
        self.actions.push_back(Action::Send(message));
    }

    fn send_control(&mut self, control: &Control) {
        let body = match control.clone() {
            Control::Create(c) => ProtocolBody::CreateSequence(c),
            Control::Close(c) => ProtocolBody::CloseSequence(c),
            Control::Terminate(t) => ProtocolBody::TerminateSequence(t),
        };
        self.push_send(ProtocolMessage::new(body));
    }

    fn start_request(&mut self, now: Timestamp, request: Control) {
        self.send_control(&request);
        self.requestor = Some(Requestor {
            request,
            next_retry: now + REQUESTOR_ITERATION_TIME,
            last_sent: now,
        });
    }

    // ---- local events -------------------------------------------------------------------

    /// Client: sends CreateSequence (with the Offer, if any) and starts the open timeout.
    pub fn open(&mut self, now: Timestamp) {
        if self.role != Role::Initiator || self.state != CommunicationState::Created {
            return;
        }
        let version = self.version();
        self.state = CommunicationState::Opening;
        self.open_started = now;
        self.open_deadline = Some(now + self.config.timeouts.open);
        let offer = self.offer.clone().map(|identifier| Offer {
            identifier,
            endpoint: version.is_11().then(|| self.config.acks_to.clone()),
            expires: None,
            incomplete_sequence_behavior: version.is_11().then(|| self.incomplete_behavior()),
        });
        let create = CreateSequence {
            acks_to: self.config.acks_to.clone(),
            // WCF's initiator never sends Expires (B1101, B1104).
            expires: None,
            offer,
        };
        self.start_request(now, Control::Create(create));
    }

    /// Whether [`ReliableSession::send`] would take a message now.
    #[cfg(test)]
    pub fn can_send(&self) -> bool {
        self.state == CommunicationState::Opened
            && self
                .output
                .as_ref()
                .is_some_and(|o| o.phase == OutputPhase::Open && o.sender.can_add().is_ok())
    }

    /// Sends an application message on the output sequence. Returns its message number, or
    /// the message back when the session cannot take it now (`Busy`: wait for the next input;
    /// WCF blocks the caller until SendTimeout).
    pub fn send(&mut self, now: Timestamp, payload: T) -> Result<u64, TrySendError<T>> {
        let reason = match self.state {
            CommunicationState::Opened => None,
            CommunicationState::Created | CommunicationState::Opening => Some(SendBlocked::NotOpen),
            CommunicationState::Closing | CommunicationState::Closed => Some(SendBlocked::Closed),
            CommunicationState::Faulted => Some(SendBlocked::Faulted),
        };
        if let Some(reason) = reason {
            return Err(TrySendError { reason, payload });
        }
        let Some(output) = self.output.as_mut() else {
            return Err(TrySendError {
                reason: SendBlocked::NoOutput,
                payload,
            });
        };
        match output.sender.add(now, payload) {
            Ok(number) => {
                self.flush(now);
                Ok(number)
            }
            Err(rejected) => {
                if rejected.reason == AddError::Rollover {
                    // WCF's ThrowIfRollover: the session cannot go on.
                    let fault = WsrmFault::MessageNumberRollover {
                        identifier: output.id.clone(),
                        max_message_number: MAX_MESSAGE_NUMBER,
                    };
                    self.fail(Failure {
                        error: SessionError::MessageNumberRollover,
                        notify: Some(fault),
                    });
                }
                Err(TrySendError {
                    reason: SendBlocked::Busy(rejected.reason),
                    payload: rejected.payload,
                })
            }
        }
    }

    /// The application took `count` delivered messages, freeing their buffers.
    pub fn message_dequeued(&mut self, now: Timestamp, count: u32) {
        if let Some(input) = self.input.as_mut() {
            input.receiver.dequeued(count);
        }
        if self.is_live() {
            self.flush(now);
        }
    }

    /// Closes gracefully (WCF `OnClose`): wait for every ack, then end the output sequence
    /// (1.0: LastMessage, then TerminateSequence; 1.1: CloseSequence, then TerminateSequence,
    /// each answered), and wait for the peer to end its sequence. Within CloseTimeout, or the
    /// session faults. Closing a session that is not open aborts it, as WCF does.
    pub fn close(&mut self, now: Timestamp) {
        match self.state {
            CommunicationState::Created | CommunicationState::Opening => self.abort(),
            CommunicationState::Opened => {
                self.state = CommunicationState::Closing;
                self.close_deadline = Some(now + self.config.timeouts.close);
                self.set_polling(now, PollingMode::NotPolling);
                let is_11 = self.version().is_11();
                if let Some(output) = self.output.as_mut() {
                    if is_11 {
                        output.sender.set_last();
                        output.phase = OutputPhase::Draining {
                            last_message_pending: false,
                        };
                        if !output.sender.all_acked() {
                            self.want_ack_requested = true;
                        }
                    } else {
                        output.phase = OutputPhase::Draining {
                            last_message_pending: true,
                        };
                    }
                }
                self.flush(now);
            }
            _ => {}
        }
    }

    /// The transport below was replaced (a client reconnected after its connection dropped):
    /// re-sends the pending handshake request and every unacknowledged message at once, asks
    /// for an acknowledgement, and re-acknowledges the input, so both sides learn where the
    /// other is without waiting for timers.
    pub fn transport_restored(&mut self, now: Timestamp) {
        if !self.is_live() {
            return;
        }
        if let Some(request) = self.requestor.as_ref().map(|r| r.request.clone()) {
            self.start_request(now, request);
        }
        if let Some(output) = self.output.as_mut() {
            output.sender.resend_unacknowledged(now);
            if !output.sender.all_acked() {
                self.want_ack_requested = true;
            }
        }
        if let Some(input) = self.input.as_mut() {
            input.receiver.request_ack(now);
        }
        self.flush(now);
    }

    /// Whether the output sequence has ended (terminated, or there is none).
    pub fn output_ended(&self) -> bool {
        self.output
            .as_ref()
            .is_none_or(|o| o.phase == OutputPhase::Done)
    }

    /// Finishes a close without waiting for the peer to end its own sequence. For a
    /// request-reply initiator over HTTP: the peer speaks only in responses, so once the
    /// output sequence is terminated nothing more can arrive, and a peer that never ends its
    /// sequence (gSOAP does not) would otherwise hold the close until CloseTimeout. Does
    /// nothing unless closing with the output ended.
    pub fn abandon_input(&mut self) {
        if self.state == CommunicationState::Closing && self.output_ended() {
            self.stop();
            self.state = CommunicationState::Closed;
            self.actions.push_back(Action::Closed);
        }
    }

    /// For a responder over a request-reply transport, once the client has terminated its
    /// sequence: the client then only polls until it hears this session's end, so waiting
    /// for it to answer a CloseSequence or TerminateSequence could hold the close until
    /// CloseTimeout. If closing with the input done, the output ends now with a
    /// TerminateSequence (it rides on the next answer, as WCF's reply channel answers a 1.0
    /// TerminateSequence with its own) and the session closes. Does nothing otherwise.
    pub fn finish_after_requester_terminated(&mut self) {
        if self.state != CommunicationState::Closing || !self.input_done() {
            return;
        }
        let is_11 = self.version().is_11();
        if let Some(output) = self.output.as_mut() {
            if output.phase != OutputPhase::Done {
                output.phase = OutputPhase::Done;
                let terminate = TerminateSequence {
                    identifier: output.id.clone(),
                    last_msg_number: if is_11 { output.sender.last() } else { None },
                };
                self.push_send(ProtocolMessage::new(ProtocolBody::TerminateSequence(
                    terminate,
                )));
            }
        }
        self.stop();
        self.state = CommunicationState::Closed;
        self.actions.push_back(Action::Closed);
    }

    /// Aborts: no message is sent (queued sends are dropped too), the session is Closed.
    pub fn abort(&mut self) {
        if self.state == CommunicationState::Closed {
            return;
        }
        self.actions.retain(|a| !matches!(a, Action::Send(_)));
        self.stop();
        self.state = CommunicationState::Closed;
        self.actions.push_back(Action::Closed);
    }

    fn stop(&mut self) {
        self.requestor = None;
        self.open_deadline = None;
        self.close_deadline = None;
        self.inactivity_deadline = None;
        self.polling_deadline = None;
        self.polling_mode = PollingMode::NotPolling;
        self.want_ack_requested = false;
    }

    fn fail(&mut self, failure: Failure) {
        tracing::debug!(
            output = self.output_identifier().unwrap_or(""),
            input = self.input_identifier().unwrap_or(""),
            error = %failure.error,
            "reliable session faulted"
        );
        if let Some(fault) = failure.notify {
            self.push_send(ProtocolMessage::fault(fault));
        }
        self.stop();
        self.state = CommunicationState::Faulted;
        self.error = Some(failure.error.clone());
        self.actions.push_back(Action::Fault(failure.error));
    }

    // ---- polling and activity ----------------------------------------------------------

    fn keep_alive_interval(&self) -> Duration {
        let settings = &self.config.settings;
        settings.inactivity_timeout() / 2 / settings.max_retry_count().max(1)
    }

    fn polling_interval(&self, mode: PollingMode) -> Option<Duration> {
        let half = self.config.settings.inactivity_timeout() / 2;
        match mode {
            PollingMode::Idle => Some(half),
            PollingMode::KeepAlive => Some(self.keep_alive_interval()),
            PollingMode::FastPolling => {
                Some((self.config.timeouts.send / 2).min(self.keep_alive_interval()))
            }
            PollingMode::NotPolling => None,
        }
    }

    fn set_polling(&mut self, now: Timestamp, mode: PollingMode) {
        if mode != self.polling_mode {
            self.polling_mode = mode;
            self.polling_deadline = self.polling_interval(mode).map(|i| now + i);
        }
    }

    /// WCF re-arms the inactivity timer on every remote activity and puts the client's polling
    /// back to Idle, or FastPolling while the receiver advertises no buffer. The service does
    /// not poll in WCF; Indigo lets it fast-poll too while flow control blocks it, because
    /// otherwise a lost window-reopening ack leaves its output stuck until the inactivity
    /// timeout (an AckRequested is plain WS-RM, so this costs no interop).
    fn on_remote_activity(&mut self, now: Timestamp) {
        self.inactivity_deadline = Some(now + self.config.settings.inactivity_timeout());
        if self.state != CommunicationState::Opened {
            return;
        }
        let blocked = self
            .output
            .as_ref()
            .is_some_and(|o| o.phase == OutputPhase::Open && o.sender.quota_remaining() <= 0);
        let mode = match (blocked, self.role) {
            (true, _) => PollingMode::FastPolling,
            (false, Role::Initiator) => PollingMode::Idle,
            (false, Role::Responder) => PollingMode::NotPolling,
        };
        self.set_polling(now, mode);
    }

    /// Local sends push the polling timer back (WCF `OnLocalActivity`).
    fn on_local_activity(&mut self, now: Timestamp) {
        if let Some(interval) = self.polling_interval(self.polling_mode) {
            self.polling_deadline = Some(now + interval);
        }
    }

    // ---- input ----------------------------------------------------------------------

    /// Processes one protocol message routed to this session.
    pub fn handle_input(&mut self, now: Timestamp, message: ProtocolMessage<T>) {
        match self.state {
            CommunicationState::Opening
            | CommunicationState::Opened
            | CommunicationState::Closing => {}
            CommunicationState::Closed => {
                self.answer_after_close(now, message);
                return;
            }
            CommunicationState::Created | CommunicationState::Faulted => return,
        }
        let result = self.process(now, message);
        if let Err(failure) = result {
            self.fail(failure);
            return;
        }
        self.on_remote_activity(now);
        self.flush(now);
    }

    fn process(&mut self, now: Timestamp, message: ProtocolMessage<T>) -> Result<(), Failure> {
        let ProtocolMessage {
            body,
            acknowledgement,
            ack_requested,
        } = message;
        // A response opens the sequences the headers may name; a fault ends everything.
        let body = match body {
            ProtocolBody::CreateSequenceResponse(response) => {
                self.on_create_sequence_response(now, response)?;
                ProtocolBody::Empty
            }
            ProtocolBody::Fault(fault) => return self.on_fault(fault),
            other => other,
        };
        if self.state == CommunicationState::Opening {
            return Ok(()); // nothing else means anything before the response
        }
        if let Some(ack) = &acknowledgement {
            self.on_acknowledgement(now, ack)?;
        }
        let ack_requested_here = match (&body, &ack_requested) {
            (ProtocolBody::Sequence { header, .. }, Some(request)) => {
                request.identifier == header.identifier
            }
            _ => false,
        };
        match body {
            ProtocolBody::Empty
            | ProtocolBody::CreateSequenceResponse(_)
            | ProtocolBody::Fault(_) => {}
            ProtocolBody::CreateSequence(create) => self.on_create_sequence(&create),
            ProtocolBody::Sequence { header, payload } => {
                self.on_sequence(now, header, payload, ack_requested_here)?;
            }
            ProtocolBody::CloseSequence(close) => self.on_close_sequence(now, &close)?,
            ProtocolBody::CloseSequenceResponse(id) => {
                self.on_close_response(now, &id, acknowledgement.as_ref())?;
            }
            ProtocolBody::TerminateSequence(terminate) => {
                self.on_terminate_sequence(now, &terminate)?
            }
            ProtocolBody::TerminateSequenceResponse(id) => {
                self.on_terminate_response(&id, acknowledgement.as_ref())?;
            }
        }
        if let Some(request) = ack_requested {
            self.on_ack_requested(now, &request)?;
        }
        Ok(())
    }

    fn on_create_sequence(&mut self, create: &CreateSequence) {
        // A re-sent CreateSequence (its response was lost): answer the same again (WCF makes
        // CreateSequence idempotent through the Offer identifier).
        let same_offer = create.offer.as_ref().map(|o| o.identifier.as_str())
            == self
                .output_identifier()
                .filter(|_| self.role == Role::Responder);
        if let (Role::Responder, true, Some(response)) =
            (self.role, same_offer, self.create_response.clone())
        {
            self.push_send(ProtocolMessage::new(ProtocolBody::CreateSequenceResponse(
                response,
            )));
        }
    }

    fn on_create_sequence_response(
        &mut self,
        now: Timestamp,
        response: CreateSequenceResponse,
    ) -> Result<(), Failure> {
        if self.role != Role::Initiator || self.state != CommunicationState::Opening {
            return Ok(()); // a late duplicate
        }
        if let Some(offered) = self.offer.take() {
            if response.accept.is_none() {
                return Err(Failure {
                    error: SessionError::OfferNotAccepted,
                    notify: None,
                });
            }
            if offered == response.identifier {
                return Err(Failure::violation(Failure::terminated(
                    &response.identifier,
                    SoapFaultCode::Sender,
                    "The response reuses the offered identifier.",
                )));
            }
            self.input = Some(Input {
                id: offered,
                receiver: Receiver::new(ReceiverConfig::from_settings(&self.config.settings)),
                completed_reported: false,
            });
        }
        // The CreateSequence round trip seeds the RTT estimate: from the first attempt, as
        // WCF's InitiationTime; with Karn sampling from the last one, so a lost
        // CreateSequence does not start the session with a 10 s+ "round trip".
        let started = match &self.requestor {
            Some(r) if self.config.settings.karn_rtt_sampling() => r.last_sent,
            _ => self.open_started,
        };
        let initial_rtt = now.saturating_since(started);
        self.output = Some(Output {
            id: response.identifier,
            sender: Sender::new(self.sender_config(), initial_rtt),
            phase: OutputPhase::Open,
        });
        self.requestor = None;
        self.open_deadline = None;
        self.state = CommunicationState::Opened;
        self.actions.push_back(Action::Opened);
        self.set_polling(now, PollingMode::Idle);
        Ok(())
    }

    fn on_fault(&mut self, fault: WsrmFault) -> Result<(), Failure> {
        let ours = fault.identifier().is_none_or(|id| self.owns(id));
        if !ours {
            return Ok(());
        }
        if self.state == CommunicationState::Opening {
            if let WsrmFault::CreateSequenceRefused {
                connection_limit_reached,
                ..
            } = &fault
            {
                if *connection_limit_reached {
                    // The listener is full: CreateSequence is retried at the next iteration,
                    // within the open timeout (the issue's MaxPendingChannels behaviour).
                    return Ok(());
                }
                return Err(Failure {
                    error: SessionError::CreateSequenceRefused(fault),
                    notify: None,
                });
            }
        }
        Err(Failure {
            error: SessionError::PeerFault(fault),
            notify: None,
        })
    }

    fn on_acknowledgement(
        &mut self,
        now: Timestamp,
        ack: &SequenceAcknowledgement,
    ) -> Result<(), Failure> {
        let Some(output) = self.output.as_mut().filter(|o| o.id == ack.identifier) else {
            return Err(Failure::unknown(&ack.identifier));
        };
        match output.sender.on_ack(now, ack) {
            Ok(_) => Ok(()),
            Err(e) => Err(Failure::violation(WsrmFault::InvalidAcknowledgement {
                identifier: output.id.clone(),
                reason: e.to_string(),
            })),
        }
    }

    fn on_ack_requested(&mut self, now: Timestamp, request: &AckRequested) -> Result<(), Failure> {
        match self.input.as_mut() {
            Some(input) if input.id == request.identifier => {
                input.receiver.request_ack(now);
                Ok(())
            }
            _ => Err(Failure::unknown(&request.identifier)),
        }
    }

    fn input_for(&mut self, identifier: &str) -> Result<&mut Input<T>, Failure> {
        match self.input.as_mut() {
            Some(input) if input.id == identifier => Ok(input),
            _ => Err(Failure::unknown(identifier)),
        }
    }

    fn on_sequence(
        &mut self,
        now: Timestamp,
        header: SequenceHeader,
        payload: Option<T>,
        ack_requested: bool,
    ) -> Result<(), Failure> {
        let closing = self.state == CommunicationState::Closing;
        let version = self.version();
        let Some(input) = self.input.as_mut().filter(|i| i.id == header.identifier) else {
            return Err(Failure::unknown(&header.identifier));
        };
        let outcome = input.receiver.on_message(
            now,
            header.message_number,
            payload,
            header.last_message,
            ack_requested,
            closing,
        );
        match outcome {
            ReceiveOutcome::Accepted => {
                while let Some(payload) = input.receiver.pop_ready() {
                    self.actions.push_back(Action::Deliver(payload));
                }
                Ok(())
            }
            ReceiveOutcome::Duplicate | ReceiveOutcome::Dropped => Ok(()),
            ReceiveOutcome::Refused(error) => {
                let id = input.id.clone();
                let fault = receive_fault(version, &id, &error);
                // 1.1's SequenceClosed answers a late sender; the sequence itself is fine
                // (WCF sends the fault and an ack and drops the message).
                if matches!(fault, WsrmFault::SequenceClosed { .. }) {
                    self.push_send(ProtocolMessage::fault(fault));
                    Ok(())
                } else {
                    Err(Failure::violation(fault))
                }
            }
        }
    }

    fn on_close_sequence(&mut self, now: Timestamp, close: &CloseSequence) -> Result<(), Failure> {
        let version = self.version();
        let input = self.input_for(&close.identifier)?;
        if let Err(error) = input.receiver.close(close.last_msg_number) {
            return Err(Failure::violation(receive_fault(
                version, &input.id, &error,
            )));
        }
        let ack = input.receiver.make_ack(now, &input.id);
        let id = input.id.clone();
        self.push_send(ProtocolMessage {
            body: ProtocolBody::CloseSequenceResponse(id),
            acknowledgement: Some(ack),
            ack_requested: None,
        });
        Ok(())
    }

    fn on_terminate_sequence(
        &mut self,
        now: Timestamp,
        terminate: &TerminateSequence,
    ) -> Result<(), Failure> {
        let version = self.version();
        let input = self.input_for(&terminate.identifier)?;
        if let Err(error) = input.receiver.terminate(terminate.last_msg_number) {
            return Err(Failure::violation(receive_fault(
                version, &input.id, &error,
            )));
        }
        if version.is_11() {
            let ack = input.receiver.make_ack(now, &input.id);
            let id = input.id.clone();
            self.push_send(ProtocolMessage {
                body: ProtocolBody::TerminateSequenceResponse(id),
                acknowledgement: Some(ack),
                ack_requested: None,
            });
        }
        Ok(())
    }

    /// WCF's `ValidateFinalAck` for 1.1 close and terminate responses: if the response carries
    /// an ack for the output, it must acknowledge every message sent. A response without an
    /// ack is accepted (some peers omit it); the acks before close already covered everything.
    fn check_final_ack(&self, ack: Option<&SequenceAcknowledgement>) -> Result<(), Failure> {
        let Some(output) = self.output.as_ref() else {
            return Ok(());
        };
        let Some(ack) = ack.filter(|a| a.identifier == output.id) else {
            return Ok(());
        };
        let last = output.sender.last().unwrap_or(0);
        let complete = validate_ack_ranges(&ack.ranges, last)
            .map(|set| set.covers(1, last))
            .unwrap_or(false);
        if complete {
            Ok(())
        } else {
            Err(Failure::violation(WsrmFault::InvalidAcknowledgement {
                identifier: output.id.clone(),
                reason: format!(
                    "The final acknowledgement does not acknowledge messages 1 to {last}."
                ),
            }))
        }
    }

    fn on_close_response(
        &mut self,
        now: Timestamp,
        identifier: &str,
        ack: Option<&SequenceAcknowledgement>,
    ) -> Result<(), Failure> {
        let Some(output) = self.output.as_ref().filter(|o| o.id == identifier) else {
            return Err(Failure::unknown(identifier));
        };
        if output.phase != OutputPhase::Closing {
            return Ok(()); // a duplicate answer to a re-sent CloseSequence
        }
        self.check_final_ack(ack)?;
        if let Some(output) = self.output.as_mut() {
            let last = output.sender.last().filter(|&n| n > 0);
            let request = Control::Terminate(TerminateSequence {
                identifier: output.id.clone(),
                last_msg_number: last,
            });
            output.phase = OutputPhase::Terminating;
            self.start_request(now, request);
        }
        Ok(())
    }

    fn on_terminate_response(
        &mut self,
        identifier: &str,
        ack: Option<&SequenceAcknowledgement>,
    ) -> Result<(), Failure> {
        let Some(output) = self.output.as_ref().filter(|o| o.id == identifier) else {
            return Err(Failure::unknown(identifier));
        };
        if output.phase != OutputPhase::Terminating {
            return Ok(());
        }
        self.check_final_ack(ack)?;
        if let Some(output) = self.output.as_mut() {
            output.phase = OutputPhase::Done;
        }
        self.requestor = None;
        Ok(())
    }

    /// A closed session keeps answering what a peer may still re-send because an answer was
    /// lost: duplicates and AckRequested get the final ack, 1.1 CloseSequence and
    /// TerminateSequence their responses. Anything new gets UnknownSequence. One answer per
    /// message at most, and acks no more than once per AcknowledgementInterval.
    fn answer_after_close(&mut self, now: Timestamp, message: ProtocolMessage<T>) {
        let is_11 = self.version().is_11();
        let Some(input) = self.input.as_mut() else {
            return;
        };
        let reply = match &message.body {
            ProtocolBody::Sequence { header, .. } if header.identifier == input.id => {
                if input.receiver.received().contains(header.message_number) {
                    input.receiver.request_ack(now);
                    input.receiver.ack_due(now).then(|| {
                        ProtocolMessage::acknowledgement(input.receiver.make_ack(now, &input.id))
                    })
                } else {
                    Some(ProtocolMessage::fault(WsrmFault::UnknownSequence {
                        identifier: input.id.clone(),
                    }))
                }
            }
            ProtocolBody::CloseSequence(c) if is_11 && c.identifier == input.id => {
                Some(ProtocolMessage {
                    body: ProtocolBody::CloseSequenceResponse(input.id.clone()),
                    acknowledgement: Some(input.receiver.make_ack(now, &input.id)),
                    ack_requested: None,
                })
            }
            ProtocolBody::TerminateSequence(t) if is_11 && t.identifier == input.id => {
                Some(ProtocolMessage {
                    body: ProtocolBody::TerminateSequenceResponse(input.id.clone()),
                    acknowledgement: Some(input.receiver.make_ack(now, &input.id)),
                    ack_requested: None,
                })
            }
            ProtocolBody::Empty
                if message
                    .ack_requested
                    .as_ref()
                    .is_some_and(|r| r.identifier == input.id) =>
            {
                input.receiver.request_ack(now);
                input.receiver.ack_due(now).then(|| {
                    ProtocolMessage::acknowledgement(input.receiver.make_ack(now, &input.id))
                })
            }
            _ => None,
        };
        if let Some(reply) = reply {
            self.push_send(reply);
        }
    }

    // ---- timers ------------------------------------------------------------------------

    /// The earliest time [`ReliableSession::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if !self.is_live() {
            return None;
        }
        let mut t = earliest(self.open_deadline, self.close_deadline);
        t = earliest(t, self.inactivity_deadline);
        t = earliest(t, self.polling_deadline);
        t = earliest(t, self.requestor.as_ref().map(|r| r.next_retry));
        t = earliest(
            t,
            self.output.as_ref().and_then(|o| o.sender.poll_timeout()),
        );
        earliest(
            t,
            self.input.as_ref().and_then(|i| i.receiver.poll_timeout()),
        )
    }

    /// Runs the timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if !self.is_live() {
            return;
        }
        if let Err(failure) = self.run_timers(now) {
            self.fail(failure);
            return;
        }
        self.flush(now);
    }

    fn any_identifier(&self) -> Option<String> {
        self.input_identifier()
            .or(self.output_identifier())
            .map(str::to_owned)
    }

    fn run_timers(&mut self, now: Timestamp) -> Result<(), Failure> {
        let due = |t: Option<Timestamp>| t.is_some_and(|t| t <= now);
        if due(self.open_deadline) {
            return Err(Failure {
                error: SessionError::OpenTimeout(self.config.timeouts.open),
                notify: None,
            });
        }
        if due(self.close_deadline) {
            // WCF aborts when close times out: nothing more is sent.
            return Err(Failure {
                error: SessionError::CloseTimeout(self.config.timeouts.close),
                notify: None,
            });
        }
        if due(self.inactivity_deadline) {
            let timeout = self.config.settings.inactivity_timeout();
            return Err(Failure {
                error: SessionError::InactivityTimeout(timeout),
                notify: self.any_identifier().map(|id| {
                    Failure::terminated(
                        &id,
                        SoapFaultCode::Receiver,
                        format!("The inactivity timeout of ({timeout:?}) has been exceeded."),
                    )
                }),
            });
        }
        if let Some(output) = self.output.as_mut() {
            if let Err(e) = output.sender.handle_timeout(now) {
                return Err(Failure {
                    error: SessionError::MaxRetryCountExceeded {
                        message_number: e.message_number,
                        retry_count: e.retry_count,
                    },
                    notify: Some(Failure::terminated(
                        &output.id,
                        SoapFaultCode::Receiver,
                        "The user specified maximum retry count for a particular message has \
                         been exceeded. Because of this the reliable session cannot continue.",
                    )),
                });
            }
        }
        if let Some(requestor) = self.requestor.as_mut().filter(|r| r.next_retry <= now) {
            requestor.next_retry = now + REQUESTOR_ITERATION_TIME;
            requestor.last_sent = now;
            let request = requestor.request.clone();
            self.control_retries += 1;
            self.send_control(&request);
        }
        if due(self.polling_deadline) {
            if self.polling_mode == PollingMode::Idle {
                self.polling_mode = PollingMode::KeepAlive;
            }
            self.polling_deadline = self.polling_interval(self.polling_mode).map(|i| now + i);
            self.want_ack_requested = true;
            self.keep_alive_probes += 1;
        }
        Ok(())
    }

    // ---- output ------------------------------------------------------------------------

    /// Moves the output sequence's close along: admit the 1.0 LastMessage when the window
    /// allows; once everything is acked, send 1.0 TerminateSequence or start the 1.1
    /// CloseSequence handshake.
    fn advance_close(&mut self, now: Timestamp) -> Result<(), Failure> {
        let is_11 = self.version().is_11();
        let Some(output) = self.output.as_mut() else {
            return Ok(());
        };
        if output.phase
            == (OutputPhase::Draining {
                last_message_pending: true,
            })
        {
            match output.sender.add_last_message(now) {
                Ok(_) => {
                    output.phase = OutputPhase::Draining {
                        last_message_pending: false,
                    };
                }
                Err(AddError::Rollover) => {
                    return Err(Failure {
                        error: SessionError::MessageNumberRollover,
                        notify: Some(WsrmFault::MessageNumberRollover {
                            identifier: output.id.clone(),
                            max_message_number: MAX_MESSAGE_NUMBER,
                        }),
                    });
                }
                Err(_) => {} // wait for room
            }
        }
        if output.phase
            == (OutputPhase::Draining {
                last_message_pending: false,
            })
            && output.sender.all_acked()
        {
            let id = output.id.clone();
            let last = output.sender.last().filter(|&n| n > 0);
            if is_11 {
                output.phase = OutputPhase::Closing;
                self.start_request(
                    now,
                    Control::Close(CloseSequence {
                        identifier: id,
                        last_msg_number: last,
                    }),
                );
            } else {
                // 1.0 has no TerminateSequenceResponse: WCF sends it once and is done.
                output.phase = OutputPhase::Done;
                self.push_send(ProtocolMessage::new(ProtocolBody::TerminateSequence(
                    TerminateSequence {
                        identifier: id,
                        last_msg_number: None,
                    },
                )));
            }
        }
        Ok(())
    }

    /// Emits what the state calls for: (re)transmissions with piggy-backed acks, a standalone
    /// ack when one is due, a standalone AckRequested, deliveries' completion and close.
    fn flush(&mut self, now: Timestamp) {
        if !matches!(
            self.state,
            CommunicationState::Opened | CommunicationState::Closing
        ) {
            return;
        }
        if let Err(failure) = self.advance_close(now) {
            self.fail(failure);
            return;
        }
        let mut local_activity = false;
        if let Some(output) = self.output.as_mut() {
            while let Some(tx) = output.sender.poll_transmit() {
                let acknowledgement = match self.input.as_mut() {
                    Some(input) if input.receiver.ack_pending() => {
                        Some(input.receiver.make_ack(now, &input.id))
                    }
                    _ => None,
                };
                let ack_requested = tx.ack_requested.then(|| AckRequested {
                    identifier: output.id.clone(),
                    message_number: None,
                });
                if tx.retransmission {
                    tracing::trace!(sequence = %output.id, number = tx.number, "retransmit");
                }
                self.actions.push_back(Action::Send(ProtocolMessage {
                    body: ProtocolBody::Sequence {
                        header: SequenceHeader {
                            identifier: output.id.clone(),
                            message_number: tx.number,
                            last_message: tx.last_message,
                        },
                        payload: tx.payload,
                    },
                    acknowledgement,
                    ack_requested,
                }));
                local_activity = true;
            }
        }
        if let Some(input) = self.input.as_mut() {
            if input.receiver.ack_due(now) {
                let ack = input.receiver.make_ack(now, &input.id);
                self.actions
                    .push_back(Action::Send(ProtocolMessage::acknowledgement(ack)));
            }
        }
        if std::mem::take(&mut self.want_ack_requested) {
            if let Some(id) = self.output_identifier().map(str::to_owned) {
                self.push_send(ProtocolMessage::ack_requested(id));
                local_activity = true;
            }
        }
        if local_activity {
            self.on_local_activity(now);
        }
        self.check_completion();
    }

    fn input_done(&self) -> bool {
        let is_11 = self.version().is_11();
        self.input.as_ref().is_none_or(|input| {
            // 1.0 ends with the LastMessage (WCF then considers the input complete); 1.1 waits
            // for TerminateSequence.
            input.receiver.is_terminated() || (!is_11 && input.receiver.is_complete())
        })
    }

    fn check_completion(&mut self) {
        if let Some(input) = self.input.as_mut() {
            if !input.completed_reported && input.receiver.is_complete() {
                input.completed_reported = true;
                self.actions.push_back(Action::InputCompleted);
            }
        }
        let output_done = self
            .output
            .as_ref()
            .is_none_or(|o| o.phase == OutputPhase::Done);
        if self.state == CommunicationState::Closing && output_done && self.input_done() {
            self.stop();
            self.state = CommunicationState::Closed;
            self.actions.push_back(Action::Closed);
        }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;

/// The fault for a refused sequence message or close/terminate, per version (reference §2.6).
fn receive_fault(version: ReliableMessagingVersion, id: &str, error: &ReceiveError) -> WsrmFault {
    let identifier = id.to_owned();
    match error {
        ReceiveError::Rollover(_) => WsrmFault::MessageNumberRollover {
            identifier,
            max_message_number: MAX_MESSAGE_NUMBER,
        },
        ReceiveError::LastMessageNumberExceeded { .. } if !version.is_11() => {
            WsrmFault::LastMessageNumberExceeded { identifier }
        }
        ReceiveError::SequenceClosed(_) => WsrmFault::SequenceClosed { identifier },
        ReceiveError::ClosedBeforeDone(_) if version.is_11() => {
            WsrmFault::SequenceClosed { identifier }
        }
        ReceiveError::ClosedBeforeDone(_) => Failure::terminated(
            id,
            SoapFaultCode::Sender,
            "The session was closed before all messages were received.",
        ),
        other => Failure::terminated(id, SoapFaultCode::Sender, other.to_string()),
    }
}
