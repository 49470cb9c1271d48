//! Duplex contracts: a service calling back into the client of a session (WCF's
//! `CallbackContract`), over the session's own channel.
//!
//! - The service side ([`link`]): each session channel has a [`CallbackLink`], the service's
//!   handle on its client. Callbacks go out on the session's sink beside the replies; the
//!   replies to request-reply callbacks come back on the session's source, where the session
//!   loop hands them to the link before dispatching anything.
//! - The client side ([`dispatcher`]): the client's reader passes each message that is not a
//!   reply to the [`CallbackHandler`], which runs it on the client's callback instance with the
//!   same concurrency rules as a service (`&mut self` one at a time, `&self` together) and
//!   sends its reply.
//!
//! Indigo's rule against WCF's re-entrancy deadlock: a session keeps reading replies to its
//! callbacks while any of its operations runs, `&mut self` ones included (it reads ahead at
//! most one request, which waits its turn). So a request-reply callback made from an
//! operation always gets its reply, and no concurrency mode makes it deadlock.

mod dispatcher;
mod link;

pub(crate) use dispatcher::{CallbackDispatcher, CallbackHandler};
pub(crate) use link::{CallbackLink, SharedSessionSink};
pub use link::{WhenCallbackQueueFull, DEFAULT_CALLBACK_QUEUE_LIMIT};
