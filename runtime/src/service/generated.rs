//! Helpers generated dispatchers call to read requests and build replies, so the generated
//! code stays a thin match over operations.

use super::dispatch::Reply;
use crate::contract::{ContractDescription, OperationDescription};
use crate::fault::Fault;
use crate::message::{Body, BodyReader, BodyWriter, Message, MessageFault, ReaderQuotas, XmlError};
use crate::serialization::to_fragment;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::error;

fn unreadable(op: &OperationDescription, error: XmlError) -> Box<MessageFault> {
    Box::new(MessageFault::unreadable(
        &error,
        &format!("The request for operation '{}'", op.name),
    ))
}

/// Opens the request wrapper of `op`. A parameterless operation also accepts an empty body.
pub fn open_request<'a>(
    contract: &ContractDescription,
    op: &OperationDescription,
    request: &'a Message,
    quotas: &ReaderQuotas,
) -> Result<Option<BodyReader<'a>>, Box<MessageFault>> {
    match &request.body {
        Body::Payload(payload) => BodyReader::open(payload, op.name, contract.namespace, quotas)
            .map(Some)
            .map_err(|e| unreadable(op, e)),
        Body::Empty if op.parameters.is_empty() => Ok(None),
        Body::Empty => Err(unreadable(
            op,
            XmlError::Deserialize("the body is empty".to_owned()),
        )),
        Body::Fault(_) => Err(unreadable(
            op,
            XmlError::Deserialize("the body is a fault".to_owned()),
        )),
    }
}

/// Reads one parameter.
pub fn read_param<T: DeserializeOwned>(
    op: &OperationDescription,
    reader: &mut Option<BodyReader<'_>>,
    name: &str,
) -> Result<T, Box<MessageFault>> {
    match reader {
        Some(reader) => reader.part(name).map_err(|e| unreadable(op, e)),
        // An empty body is only accepted for parameterless operations, which read nothing.
        None => Err(unreadable(
            op,
            XmlError::Deserialize(format!("missing parameter `{name}`")),
        )),
    }
}

fn internal_error(op: &OperationDescription, what: &str, err: &dyn std::fmt::Display) -> Reply {
    error!(operation = op.name, error = %err, "{what}");
    let fault = MessageFault::internal_service_fault();
    Reply::Fault {
        action: fault.default_action().to_owned(),
        fault,
    }
}

/// The reply of an operation that returns nothing: an empty `{Op}Response` (nothing for
/// one-way operations).
pub fn reply_unit(contract: &ContractDescription, op: &'static OperationDescription) -> Reply {
    if op.is_one_way {
        return Reply::None;
    }
    let body = BodyWriter::for_operation(
        op.name,
        "Response",
        contract.namespace,
        contract.data_namespace,
    )
    .finish();
    Reply::Body {
        action: op.reply_action,
        body,
    }
}

/// The reply of an operation that returns `value`, as `{Op}Response/{result_name}`.
pub fn reply_value<T: Serialize>(
    contract: &ContractDescription,
    op: &'static OperationDescription,
    result_name: &str,
    value: &T,
) -> Reply {
    let mut body = BodyWriter::for_operation(
        op.name,
        "Response",
        contract.namespace,
        contract.data_namespace,
    );
    match body.part(result_name, value) {
        Ok(()) => Reply::Body {
            action: op.reply_action,
            body: body.finish(),
        },
        Err(e) => internal_error(op, "cannot serialize the result", &e),
    }
}

/// The reply for a declared fault: the detail serialized as its data contract's element (a
/// `#[data_contract]` type's name and namespace; otherwise `detail_name` in the data
/// namespace), with WCF's fault action `{ns}/{Contract}/{Op}{Detail}Fault`.
pub fn reply_fault<D: Serialize>(
    contract: &ContractDescription,
    op: &'static OperationDescription,
    fault: Fault<D>,
    fault_action: &'static str,
    detail_name: &str,
) -> Reply {
    let named = crate::serialization::detail_name(&fault.detail);
    let (name, namespace) = named
        .element
        .unwrap_or((std::borrow::Cow::Borrowed(detail_name), None));
    // One of several declared details: the action names that detail's type.
    let action = match named.fault_type {
        Some(detail_type) => default_action(contract, &format!("{}{detail_type}Fault", op.name)),
        None => fault_action.to_owned(),
    };
    match to_fragment(
        &name,
        namespace.unwrap_or(contract.data_namespace),
        contract.data_namespace,
        &fault.detail,
    ) {
        Ok(detail) => Reply::Fault {
            action,
            fault: MessageFault {
                detail: Some(detail),
                ..MessageFault::new(fault.code, fault.reason)
            },
        },
        Err(e) => internal_error(op, "cannot serialize the fault detail", &e),
    }
}

fn default_action(contract: &ContractDescription, name: &str) -> String {
    crate::contract::default_action(contract.namespace, contract.name, name)
}

/// The reply for an untyped fault (WCF's `FaultException`): code and reason, no detail, and
/// the default fault action of the fault's code (WS-Addressing's for an application code).
pub fn reply_untyped_fault(fault: Fault) -> Reply {
    let fault = MessageFault::new(fault.code, fault.reason);
    Reply::Fault {
        action: fault.default_action().to_owned(),
        fault,
    }
}

/// The reply when an exclusive operation did not get exclusive access: a bug, reported to the
/// client as an internal fault rather than a panic.
pub fn access_violation(op: &'static OperationDescription) -> Reply {
    internal_error(
        op,
        "instance access",
        &"an exclusive operation was given shared access",
    )
}

/// The reply of an operation that returns a stream: `{Op}Response/{result_name}` with the
/// stream as the part's content.
pub fn reply_stream(
    contract: &ContractDescription,
    op: &'static OperationDescription,
    result_name: &str,
    stream: crate::ByteStream,
) -> Reply {
    let mut body = BodyWriter::for_operation(
        op.name,
        "Response",
        contract.namespace,
        contract.data_namespace,
    );
    match body.part(result_name, "") {
        Ok(()) => Reply::Stream {
            action: op.reply_action,
            body: body.finish(),
            stream,
        },
        Err(e) => internal_error(op, "cannot write the reply", &e),
    }
}

/// The answer to a request for an operation that takes a stream, when it arrives buffered:
/// such operations are served on streamed endpoints only.
pub fn stream_expected(op: &'static OperationDescription) -> Box<MessageFault> {
    Box::new(MessageFault::deserialization_failed(format!(
        "operation {} takes a stream: call it over a streamed endpoint",
        op.name
    )))
}
