//! The service side: hosts, instancing and dispatch.

mod address_filter;
pub(crate) mod context;
pub(crate) mod dispatch;
pub(crate) mod generated;
mod host;
pub(crate) mod instance;
mod lifetime;
mod request;
pub(crate) mod session_dispatch;
mod streamed;
mod throttle;

pub use crate::callback::{WhenCallbackQueueFull, DEFAULT_CALLBACK_QUEUE_LIMIT};
pub(crate) use address_filter::AddressFilter;
pub use address_filter::AddressFilterMode;
pub use context::OperationContext;
pub use dispatch::Dispatch;
pub use host::{Authorization, Service, ServiceHost, ServiceHostBuilder};
pub use instance::InstanceContextMode;
pub use throttle::ServiceThrottle;
