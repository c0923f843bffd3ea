//! Hot-swap test plugin, version 1 (the code is shared with `test-swap-v2`).

/// What this version answers as the title and playlist name.
const VERSION: &str = "v1";

mod swap;
