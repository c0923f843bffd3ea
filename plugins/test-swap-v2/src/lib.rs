//! Hot-swap test plugin, version 2 (the code is shared with `test-swap-v1`).

/// What this version answers as the title and playlist name.
const VERSION: &str = "v2";

#[path = "../../test-swap-v1/src/swap.rs"]
mod swap;
