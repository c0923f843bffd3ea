//! What the web UI needs from the server: its files at `/` and `/ui/*` (ETag, 304, a
//! Content-Security-Policy that allows only this server's scripts), a session cookie in
//! place of the token, and downloaded videos served in ranges and typed by their bytes.

mod files;
mod session;
mod video;
