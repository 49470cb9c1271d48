//! Snapshot of one expanded contract, so changes to generated code show up in review.
