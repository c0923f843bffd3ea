//! The fixture site (in progress).
