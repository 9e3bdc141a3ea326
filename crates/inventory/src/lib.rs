//! Asset inventory (work in progress).
