//! Procedural macros for Indigo.
