//! What can stop the generator: a document that cannot be loaded or read, or a construct it
//! cannot map to Rust, named with its position.

use crate::model::Position;

/// Why no code was generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A document could not be fetched or read.
    #[error("cannot load {location}: {reason}")]
    Load { location: String, reason: String },
    /// A document is not well-formed XML, or not WSDL or XML Schema.
    #[error("{document}: {message}")]
    Xml { document: String, message: String },
    /// A construct with no Rust form here.
    #[error("{position}: {construct} is not supported: {why}")]
    Unsupported {
        construct: String,
        why: String,
        position: Position,
    },
    /// A reference to something no document defines.
    #[error("{position}: {what} is not defined in any document")]
    Missing { what: String, position: Position },
    /// Nothing to generate.
    #[error("the documents define no port type (no service contract to generate)")]
    NoContract,
    /// Writing the output failed.
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
}
