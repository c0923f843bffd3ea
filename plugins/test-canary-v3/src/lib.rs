//! Canary test plugin, version 3 (the code is shared with `test-canary-v2`).

#[path = "../../test-canary-v2/src/reader.rs"]
mod reader;
