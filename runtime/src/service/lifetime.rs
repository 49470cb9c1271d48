//! Where the instance of each call comes from, and how long it lives (WCF's instance context
//! and its `IInstanceContextProvider`).
//!
//! A call holds a [`Lease`] on its instance for as long as it runs, and a session holds one
//! for as long as it lives; the instance is released when the last lease goes, whatever ended
//! its holders (a terminating operation, a close, an abort, a timeout, a host shutting down).
//! That is when its closed hook runs: releasing on drop is what makes the hook run exactly
//! once on every path, including the ones that never reach the end of a session's loop.

use super::context::OperationContext;
use super::dispatch::Dispatch;
use super::instance::{InstanceCell, InstanceContextMode, InstanceGuard};
use super::session_dispatch::EndpointShared;
use super::throttle::Slot;
use crate::contract::InstanceAccess;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use tracing::{error, warn};

type Make<S> = Arc<dyn Fn() -> S + Send + Sync>;
type OpenedHook<S> = Arc<dyn Fn(&mut S, &OperationContext) + Send + Sync>;
type ClosedHook<S> = Arc<dyn Fn(&mut S) + Send + Sync>;
type KeyOf = Arc<dyn Fn(&OperationContext) -> Option<String> + Send + Sync>;

/// Makes instances and runs the instance hooks around their lives.
pub(crate) struct Factory<S> {
    make: Make<S>,
    opened: Option<OpenedHook<S>>,
    closed: Option<ClosedHook<S>>,
}

impl<S> Clone for Factory<S> {
    fn clone(&self) -> Self {
        Factory {
            make: self.make.clone(),
            opened: self.opened.clone(),
            closed: self.closed.clone(),
        }
    }
}

impl<S: Send + 'static> Factory<S> {
    pub(crate) fn new(make: impl Fn() -> S + Send + Sync + 'static) -> Self {
        Factory {
            make: Arc::new(make),
            opened: None,
            closed: None,
        }
    }

    pub(crate) fn set_opened(
        &mut self,
        hook: impl Fn(&mut S, &OperationContext) + Send + Sync + 'static,
    ) {
        self.opened = Some(Arc::new(hook));
    }

    pub(crate) fn set_closed(&mut self, hook: impl Fn(&mut S) + Send + Sync + 'static) {
        self.closed = Some(Arc::new(hook));
    }

    /// A new instance, opened for the call of `context`.
    fn create<C: Dispatch<S>>(
        &self,
        context: &OperationContext,
        slot: Slot,
        shared: Option<(Arc<Registry<C, S>>, String)>,
    ) -> Lease<C, S> {
        let mut instance = (self.make)();
        if let Some(opened) = &self.opened {
            let opening = AssertUnwindSafe(|| {
                context
                    .clone()
                    .sync_scope(|| opened(&mut instance, context))
            });
            if std::panic::catch_unwind(opening).is_err() {
                // The instance serves the call anyway: the hook is the service's own business.
                error!("the instance opened hook panicked");
            }
        }
        Lease(Arc::new(Held {
            cell: C::Cell::new(instance),
            closed: self.closed.clone(),
            shared,
            _slot: slot,
        }))
    }
}

/// The instances shared by key ([`crate::Service::shared_by`]): a key's instance lives while
/// any session (or call) bound to it does.
pub(crate) struct Registry<C: Dispatch<S>, S: Send + 'static> {
    key_of: KeyOf,
    live: Mutex<HashMap<String, Weak<Held<C, S>>>>,
}

impl<C: Dispatch<S>, S: Send + 'static> Registry<C, S> {
    pub(crate) fn new(
        key_of: impl Fn(&OperationContext) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Registry {
            key_of: Arc::new(key_of),
            live: Mutex::new(HashMap::new()),
        }
    }

    fn find(&self, key: &str) -> Option<Lease<C, S>> {
        let live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.get(key).and_then(Weak::upgrade).map(Lease)
    }

    /// The key's instance, made now if it has none.
    async fn bind(
        self: &Arc<Self>,
        endpoint: &EndpointShared<C, S>,
        factory: &Factory<S>,
        context: &OperationContext,
        key: String,
    ) -> Lease<C, S> {
        if let Some(lease) = self.find(&key) {
            return lease;
        }
        let slot = endpoint.throttle.instance().await;
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        // Another session may have made it while this one waited for the slot.
        if let Some(held) = live.get(&key).and_then(Weak::upgrade) {
            return Lease(held);
        }
        // Made under the lock, so that two sessions with a new key cannot make two instances.
        let lease = factory.create(context, slot, Some((self.clone(), key.clone())));
        live.insert(key, Arc::downgrade(&lease.0));
        lease
    }

    /// The instance with `key` was released.
    fn forget(&self, key: &str) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        // A new instance may already have taken the key (made after the old one's last lease
        // went but before this ran); that one stays.
        if live.get(key).is_some_and(|held| held.strong_count() == 0) {
            live.remove(key);
        }
    }
}

/// How an endpoint makes instances.
pub(crate) enum InstanceSource<C: Dispatch<S>, S: Send + 'static> {
    /// A new instance per session (per call when the binding has no session).
    PerSession(Factory<S>),
    /// A new instance per call.
    PerCall(Factory<S>),
    /// One instance for everything; never released while the service runs.
    Single(Lease<C, S>),
    /// An instance per key of the session's first message (of each call without a session).
    Shared(Factory<S>, Arc<Registry<C, S>>),
}

impl<C: Dispatch<S>, S: Send + 'static> Clone for InstanceSource<C, S> {
    fn clone(&self) -> Self {
        match self {
            InstanceSource::PerSession(f) => InstanceSource::PerSession(f.clone()),
            InstanceSource::PerCall(f) => InstanceSource::PerCall(f.clone()),
            InstanceSource::Single(lease) => InstanceSource::Single(lease.clone()),
            InstanceSource::Shared(f, registry) => {
                InstanceSource::Shared(f.clone(), registry.clone())
            }
        }
    }
}

impl<C: Dispatch<S>, S: Send + 'static> InstanceSource<C, S> {
    pub(crate) fn single(instance: S) -> Self {
        InstanceSource::Single(Lease(Arc::new(Held {
            cell: C::Cell::new(instance),
            closed: None,
            shared: None,
            _slot: None,
        })))
    }

    pub(crate) fn mode(&self) -> InstanceContextMode {
        match self {
            // WCF shares instances between sessions with a provider on a PerSession service.
            InstanceSource::PerSession(_) | InstanceSource::Shared(..) => {
                InstanceContextMode::PerSession
            }
            InstanceSource::PerCall(_) => InstanceContextMode::PerCall,
            InstanceSource::Single(_) => InstanceContextMode::Single,
        }
    }

    /// The factory whose hooks apply, if this source makes instances.
    pub(crate) fn factory_mut(&mut self) -> Option<&mut Factory<S>> {
        match self {
            InstanceSource::PerSession(f)
            | InstanceSource::PerCall(f)
            | InstanceSource::Shared(f, _) => Some(f),
            InstanceSource::Single(_) => None,
        }
    }
}

/// A hold on an instance: while one exists, the instance lives.
pub(crate) struct Lease<C: Dispatch<S>, S: Send + 'static>(Arc<Held<C, S>>);

impl<C: Dispatch<S>, S: Send + 'static> Clone for Lease<C, S> {
    fn clone(&self) -> Self {
        Lease(self.0.clone())
    }
}

impl<C: Dispatch<S>, S: Send + 'static> Lease<C, S> {
    /// Waits for access to the instance, as [`InstanceCell::lock`].
    pub(crate) async fn lock(&self, access: InstanceAccess) -> <C::Cell as InstanceCell<S>>::Guard {
        self.0.cell.lock(access).await
    }
}

/// A live instance, with what its release must do.
pub(crate) struct Held<C: Dispatch<S>, S: Send + 'static> {
    cell: C::Cell,
    closed: Option<ClosedHook<S>>,
    shared: Option<(Arc<Registry<C, S>>, String)>,
    /// The throttle's instance slot, freed with the instance.
    _slot: Slot,
}

impl<C: Dispatch<S>, S: Send + 'static> Drop for Held<C, S> {
    fn drop(&mut self) {
        if let Some((registry, key)) = self.shared.take() {
            registry.forget(&key);
        }
        let Some(closed) = self.closed.take() else {
            return;
        };
        // Every guard is held by a call that also holds a lease, so the instance is free now,
        // unless a cancelled call drops its lease before its guard; then the hook waits for
        // the guard on a task of its own.
        if let Some(mut guard) = self.cell.try_exclusive() {
            run_closed(&mut guard, &closed);
            return;
        }
        let cell = self.cell.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let mut guard = cell.lock(InstanceAccess::Exclusive).await;
                    run_closed(&mut guard, &closed);
                });
            }
            Err(_) => warn!("an instance released outside the runtime skipped its closed hook"),
        }
    }
}

fn run_closed<S, G: InstanceGuard<S>>(guard: &mut G, closed: &ClosedHook<S>) {
    let Some(instance) = guard.exclusive() else {
        // `try_exclusive` and exclusive `lock` always give exclusive guards.
        return;
    };
    // A panic must not escape a drop (it could be one during unwinding already).
    if std::panic::catch_unwind(AssertUnwindSafe(|| closed(instance))).is_err() {
        error!("the instance closed hook panicked");
    }
}

/// The instance for the call of `context`: the session's (`session_instance`, made at its
/// first call) or a new or shared one, as the endpoint's instancing says.
pub(crate) async fn instance_for_call<C, S>(
    endpoint: &EndpointShared<C, S>,
    session_instance: Option<&mut Option<Lease<C, S>>>,
    context: &OperationContext,
) -> Lease<C, S>
where
    C: Dispatch<S>,
    S: Send + 'static,
{
    if let Some(Some(lease)) = &session_instance {
        return lease.clone();
    }
    let lease = match &endpoint.instances {
        InstanceSource::Single(lease) => return lease.clone(),
        InstanceSource::PerSession(factory) | InstanceSource::PerCall(factory) => {
            let slot = endpoint.throttle.instance().await;
            factory.create(context, slot, None)
        }
        InstanceSource::Shared(factory, registry) => {
            let key = std::panic::catch_unwind(AssertUnwindSafe(|| (registry.key_of)(context)))
                .unwrap_or_else(|_| {
                    error!("the instance key function panicked; the session gets its own");
                    None
                });
            match key {
                Some(key) => registry.bind(endpoint, factory, context, key).await,
                None => {
                    let slot = endpoint.throttle.instance().await;
                    factory.create(context, slot, None)
                }
            }
        }
    };
    // Per-call instances are not kept: without a session, or with PerCall.
    if let (Some(slot), false) = (
        session_instance,
        matches!(endpoint.instances, InstanceSource::PerCall(_)),
    ) {
        *slot = Some(lease.clone());
    }
    lease
}
