//! Paths generated code uses. Not public API: it changes with the macros.

pub use crate::binding::{Binding, CarriedBy, DatagramBinding, SessionfulBinding};
pub use crate::client::runtime::{write_part, ClientRuntime};
pub use crate::client::{Active, Idle};
pub use crate::contract::{
    Contract, ContractDescription, InstanceAccess, OperationDescription, SessionMode,
};
pub use crate::error::{CallError, Error};
pub use crate::fault::Fault;
pub use crate::message::{Body, BodyReader, BodyWriter, Message, MessageFault, ReaderQuotas};
pub use crate::service::dispatch::Reply;
pub use crate::service::generated::{
    access_violation, open_request, read_param, reply_fault, reply_stream, reply_unit,
    reply_untyped_fault, reply_value, stream_expected,
};
pub use crate::service::instance::{ExclusiveCell, InstanceCell, InstanceGuard, SharedCell};
pub use crate::service::{Dispatch, OperationContext, Service};
pub use crate::stream::{ByteStream, StreamedBinding};
pub use futures::future::BoxFuture;
pub use serde;
pub use serde::ser::{Error as SerError, SerializeStruct, Serializer};
pub use serde::{de::DeserializeOwned, Deserialize, Serialize};
pub use std::boxed::Box;
pub use std::future::Future;
pub use std::marker::{PhantomData, Send, Sized, Sync};
pub use std::option::Option;
pub use std::result::Result;
pub use std::string::String;
