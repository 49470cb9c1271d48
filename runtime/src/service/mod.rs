//! The service side: hosts, instancing and dispatch.

mod address_filter;
#[doc(hidden)]
pub mod codec;
mod context;
mod dispatch;
mod host;
mod instance;
mod lifetime;
mod request;
mod session;
mod streamed;
mod throttle;

pub(crate) use address_filter::AddressFilter;
pub use address_filter::AddressFilterMode;
pub use context::OperationContext;
pub use dispatch::{Dispatch, Reply};
pub use host::{Service, ServiceHost, ServiceHostBuilder};
pub use instance::{
    ExclusiveCell, ExclusiveGuard, InstanceCell, InstanceContextMode, InstanceGuard, SharedCell,
    SharedGuard,
};
pub use throttle::ServiceThrottle;
