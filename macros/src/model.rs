//! The contract model the macros reason about: what `parse` builds from the user's trait, what
//! `check` validates and what `expand` turns into code. Every value a rule can reject keeps the
//! span of the tokens that set it, so errors point at the user's own attribute.

use proc_macro2::Span;
use syn::{Attribute, Ident, Type, Visibility};

/// A value together with the span of the tokens that produced it (the key, or the item it
/// defaults from when the user wrote nothing).
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
    /// Whether the user wrote the key explicitly (false for defaults).
    pub explicit: bool,
}

impl<T> Spanned<T> {
    pub fn explicit(value: T, span: Span) -> Self {
        Spanned {
            value,
            span,
            explicit: true,
        }
    }

    pub fn default_at(value: T, span: Span) -> Self {
        Spanned {
            value,
            span,
            explicit: false,
        }
    }
}

/// WCF's `SessionMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMode {
    Allowed,
    Required,
    NotAllowed,
}

/// A whole `#[service_contract]` trait.
#[derive(Debug, Clone)]
pub struct Contract {
    /// Attributes on the trait other than ours (docs, cfgs), forwarded to the emitted trait.
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    /// The trait's identifier.
    pub ident: Ident,
    /// Wire name of the contract (default: the trait name).
    pub name: Spanned<String>,
    /// Contract namespace (default `http://tempuri.org/`).
    pub namespace: Spanned<String>,
    /// Namespace of user struct members in bodies (default
    /// `http://schemas.datacontract.org/2004/07/`).
    pub data_namespace: Spanned<String>,
    pub session: Spanned<SessionMode>,
    /// The callback contract's trait (`callback = ...`, WCF's `CallbackContract`): a duplex
    /// contract.
    pub callback: Option<syn::Path>,
    pub operations: Vec<Operation>,
}

/// How an operation borrows its service instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    /// `&self`: calls on one instance may run concurrently (ConcurrencyMode.Multiple).
    Shared,
    /// `&mut self`: calls on one instance are serialised (ConcurrencyMode.Single).
    Exclusive,
}

/// What an operation returns.
#[derive(Debug, Clone)]
pub enum Output {
    /// No return type, or `()`.
    Unit,
    /// A plain value type.
    Value(Box<Type>),
    /// `Result<T, Fault<D>>`, or `Result<T, Fault>` for an untyped fault: `ok` is `None` when
    /// `T` is `()`.
    Fallible {
        /// The whole `Result<T, Fault<D>>` type as the user wrote it.
        declared: Box<Type>,
        ok: Option<Box<Type>>,
        /// The detail type `D` (`()` for an untyped fault).
        detail: Box<Type>,
        /// The last path segment of `D` (WCF's fault action uses the detail type's name);
        /// `None` for an untyped fault, which has no detail.
        detail_name: Option<String>,
    },
}

/// A parameter of an operation.
#[derive(Debug, Clone)]
pub struct Param {
    pub ident: Ident,
    pub ty: Type,
    /// Wire name (default: camelCase of the identifier).
    pub wire_name: Spanned<String>,
}

/// One `#[operation]` method.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Attributes on the method other than ours (docs, cfgs), forwarded.
    pub attrs: Vec<Attribute>,
    pub ident: Ident,
    /// Wire name (default: PascalCase of the method name).
    pub name: Spanned<String>,
    /// Request action (default `{ns}{Contract}/{Name}`, with a `/` inserted when the namespace
    /// does not end with one).
    pub action: Spanned<String>,
    /// Reply action (default: action + `Response`). Meaningless for one-way operations.
    pub reply_action: Spanned<String>,
    pub one_way: Spanned<bool>,
    pub initiating: Spanned<bool>,
    pub terminating: Spanned<bool>,
    pub receiver: Receiver,
    pub params: Vec<Param>,
    pub output: Output,
    /// Span of the return type (or of the signature when there is none), for output errors.
    pub output_span: Span,
}

/// Whether `ty` is Indigo's `ByteStream` (by its last path segment, as written: `ByteStream`,
/// `indigo::ByteStream`): the body of a streamed operation, WCF's `Stream`.
pub fn is_byte_stream(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "ByteStream" && last.arguments.is_empty()),
        Type::Group(group) => is_byte_stream(&group.elem),
        Type::Paren(paren) => is_byte_stream(&paren.elem),
        _ => false,
    }
}

impl Operation {
    /// The parameter that carries the request's stream, if any.
    pub fn stream_param(&self) -> Option<&Param> {
        self.params.iter().find(|p| is_byte_stream(&p.ty))
    }

    /// Whether the operation returns a stream.
    pub fn returns_stream(&self) -> bool {
        match &self.output {
            Output::Value(ty) => is_byte_stream(ty),
            Output::Fallible { ok: Some(ty), .. } => is_byte_stream(ty),
            _ => false,
        }
    }

    /// Whether the operation needs streamed transfer.
    pub fn is_streamed(&self) -> bool {
        self.stream_param().is_some() || self.returns_stream()
    }
}

impl Contract {
    /// Whether any operation needs streamed transfer: then the whole contract uses it.
    pub fn is_streamed(&self) -> bool {
        self.operations.iter().any(Operation::is_streamed)
    }
}
