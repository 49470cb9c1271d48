//! Runnable Indigo examples.
