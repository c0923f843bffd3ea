//! Canary test plugin, version 2 (the code is shared with `test-canary-v3`).

#[path = "../../test-canary-v2/src/reader.rs"]
mod reader;
