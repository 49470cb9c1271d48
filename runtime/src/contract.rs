//! Contract descriptions: what `#[service_contract]` emits for every contract, and what the
//! service and client runtimes read to name, route and order messages.

/// WCF's `SessionMode`: whether a contract needs, allows or forbids a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionMode {
    /// Works with or without a session (WCF's default).
    Allowed,
    /// Needs a sessionful binding; operations may be non-initiating or terminating.
    Required,
    /// Needs a binding that can run without a session.
    NotAllowed,
}

/// How an operation uses its service instance, from the method's receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceAccess {
    /// `&self`: calls may overlap on one instance (WCF `ConcurrencyMode.Multiple`).
    Shared,
    /// `&mut self`: calls on one instance run one at a time (WCF `ConcurrencyMode.Single`).
    Exclusive,
}

/// One operation of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationDescription {
    /// The Rust method name.
    pub method: &'static str,
    /// The wire name (wrapper element of the request body).
    pub name: &'static str,
    /// The request action.
    pub action: &'static str,
    /// The reply action (unused for one-way operations).
    pub reply_action: &'static str,
    /// Whether the operation has no reply.
    pub is_one_way: bool,
    /// Whether the operation may start a session.
    pub is_initiating: bool,
    /// Whether the operation ends the session.
    pub is_terminating: bool,
    /// How the operation borrows the instance.
    pub access: InstanceAccess,
    /// Wire names of the parameters, in order.
    pub parameters: &'static [&'static str],
}

/// A whole contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDescription {
    /// The wire name of the contract.
    pub name: &'static str,
    /// The contract namespace.
    pub namespace: &'static str,
    /// The namespace of user struct members in bodies.
    pub data_namespace: &'static str,
    /// The session mode.
    pub session_mode: SessionMode,
    /// The operations, in declaration order.
    pub operations: &'static [OperationDescription],
}

/// WCF's default action of `name` (an operation, or `{Op}{Detail}Fault`) in contract
/// `contract` of `namespace`: `{ns}{Contract}/{name}` when the namespace ends with `/`,
/// `{ns}/{Contract}/{name}` otherwise, `urn:{Contract}/{name}` for an empty namespace. The
/// macros compute the same at compile time.
pub fn default_action(namespace: &str, contract: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("urn:{contract}/{name}")
    } else if namespace.ends_with('/') {
        format!("{namespace}{contract}/{name}")
    } else {
        format!("{namespace}/{contract}/{name}")
    }
}

impl ContractDescription {
    /// The operation whose request action is `action`, with its index.
    pub fn operation_by_action(&self, action: &str) -> Option<(usize, &OperationDescription)> {
        self.operations
            .iter()
            .enumerate()
            .find(|(_, op)| op.action == action)
    }
}

/// Implemented by the marker type `#[service_contract]` generates for each contract
/// (`{Trait}Contract`).
pub trait Contract: Send + Sync + 'static {
    /// The static description.
    const DESCRIPTION: &'static ContractDescription;

    /// Describes the types each operation's messages carry in `schemas` (for metadata), in
    /// the order of [`ContractDescription::operations`].
    #[doc(hidden)]
    fn message_types(
        schemas: &mut crate::metadata::SchemaSet,
    ) -> Vec<crate::metadata::OperationTypes> {
        let _ = schemas;
        Vec::new()
    }

    /// For a duplex contract: the callback contract and the types its operations carry.
    #[doc(hidden)]
    fn callback_types(
        schemas: &mut crate::metadata::SchemaSet,
    ) -> Option<(
        &'static ContractDescription,
        Vec<crate::metadata::OperationTypes>,
    )> {
        let _ = schemas;
        None
    }
}
