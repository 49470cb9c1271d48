//! Service instances and how operations borrow them. `&mut self` operations take the instance
//! exclusively (calls serialised, WCF `ConcurrencyMode.Single`); `&self` operations share it
//! (WCF `ConcurrencyMode.Multiple`). A contract with only `&mut self` operations uses a mutex,
//! so its service type need not be `Sync`.

use crate::contract::InstanceAccess;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

/// WCF's `InstanceContextMode`: when service instances are created and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InstanceContextMode {
    /// One instance per client session, created at its first call and dropped when it ends.
    /// On a sessionless binding this behaves as `PerCall`, as in WCF.
    #[default]
    PerSession,
    /// A new instance for every call.
    PerCall,
    /// One instance for every call of every session.
    Single,
}

/// Access to the instance while one operation runs.
pub trait InstanceGuard<S>: Deref<Target = S> + Send + 'static {
    /// The instance mutably, if this guard was taken for exclusive access.
    fn exclusive(&mut self) -> Option<&mut S>;
}

/// Holds one service instance and hands out guards in the order they are asked for.
pub trait InstanceCell<S>: Clone + Send + Sync + 'static {
    /// What an operation holds while it runs.
    type Guard: InstanceGuard<S>;
    /// Wraps a new instance.
    fn new(instance: S) -> Self;
    /// Waits for access; requests are served first come, first served.
    fn lock(&self, access: InstanceAccess) -> impl Future<Output = Self::Guard> + Send;
    /// Exclusive access now, if nothing holds the instance (for releasing it).
    fn try_exclusive(&self) -> Option<Self::Guard>;
}

/// The cell of contracts whose operations all take `&mut self`.
#[derive(Debug)]
pub struct ExclusiveCell<S>(Arc<Mutex<S>>);

impl<S> Clone for ExclusiveCell<S> {
    fn clone(&self) -> Self {
        ExclusiveCell(self.0.clone())
    }
}

/// The guard of an [`ExclusiveCell`].
#[derive(Debug)]
pub struct ExclusiveGuard<S>(OwnedMutexGuard<S>);

impl<S> Deref for ExclusiveGuard<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.0
    }
}

impl<S> DerefMut for ExclusiveGuard<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.0
    }
}

impl<S: Send + 'static> InstanceGuard<S> for ExclusiveGuard<S> {
    fn exclusive(&mut self) -> Option<&mut S> {
        Some(&mut self.0)
    }
}

impl<S: Send + 'static> InstanceCell<S> for ExclusiveCell<S> {
    type Guard = ExclusiveGuard<S>;

    fn new(instance: S) -> Self {
        ExclusiveCell(Arc::new(Mutex::new(instance)))
    }

    async fn lock(&self, _access: InstanceAccess) -> ExclusiveGuard<S> {
        ExclusiveGuard(self.0.clone().lock_owned().await)
    }

    fn try_exclusive(&self) -> Option<ExclusiveGuard<S>> {
        self.0.clone().try_lock_owned().ok().map(ExclusiveGuard)
    }
}

/// The cell of contracts with at least one `&self` operation.
#[derive(Debug)]
pub struct SharedCell<S>(Arc<RwLock<S>>);

impl<S> Clone for SharedCell<S> {
    fn clone(&self) -> Self {
        SharedCell(self.0.clone())
    }
}

/// The guard of a [`SharedCell`].
#[derive(Debug)]
pub enum SharedGuard<S> {
    /// Held by a `&self` operation.
    Shared(OwnedRwLockReadGuard<S>),
    /// Held by a `&mut self` operation.
    Exclusive(OwnedRwLockWriteGuard<S>),
}

impl<S> Deref for SharedGuard<S> {
    type Target = S;
    fn deref(&self) -> &S {
        match self {
            SharedGuard::Shared(g) => g,
            SharedGuard::Exclusive(g) => g,
        }
    }
}

impl<S: Send + Sync + 'static> InstanceGuard<S> for SharedGuard<S> {
    fn exclusive(&mut self) -> Option<&mut S> {
        match self {
            SharedGuard::Shared(_) => None,
            SharedGuard::Exclusive(g) => Some(g),
        }
    }
}

impl<S: Send + Sync + 'static> InstanceCell<S> for SharedCell<S> {
    type Guard = SharedGuard<S>;

    fn new(instance: S) -> Self {
        SharedCell(Arc::new(RwLock::new(instance)))
    }

    async fn lock(&self, access: InstanceAccess) -> SharedGuard<S> {
        match access {
            InstanceAccess::Shared => SharedGuard::Shared(self.0.clone().read_owned().await),
            InstanceAccess::Exclusive => SharedGuard::Exclusive(self.0.clone().write_owned().await),
        }
    }

    fn try_exclusive(&self) -> Option<SharedGuard<S>> {
        self.0
            .clone()
            .try_write_owned()
            .ok()
            .map(SharedGuard::Exclusive)
    }
}
