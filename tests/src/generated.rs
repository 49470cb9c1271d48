//! Contracts generated from WSDL by `indigo-codegen` in this crate's build script: what a
//! user gets from a service's `?wsdl`.

/// From the WSDL Indigo publishes for the Orders service (`orders.rs`).
pub mod orders {
    include!(concat!(env!("OUT_DIR"), "/orders.rs"));
}

/// From the WSDL Indigo publishes for the calculator session.
pub mod calculator {
    include!(concat!(env!("OUT_DIR"), "/calculator.rs"));
}

/// From the WSDL Mono publishes for `MonoMetaService.cs`.
pub mod mono_probe {
    include!(concat!(env!("OUT_DIR"), "/mono_probe.rs"));
}

/// From the WSDL Indigo publishes for a duplex contract (its callbacks in the port type).
pub mod ticker {
    include!(concat!(env!("OUT_DIR"), "/ticker.rs"));
}
