//! Fuzzing support for the Kura host. Only the self-contained modules are included (by
//! `#[path]`), so the fuzz build does not compile the whole host.

#[path = "../../src/code.rs"]
pub mod code;
