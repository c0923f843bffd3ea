//! Plugin distribution: signed indexes a host follows (a root chain naming the keys, an
//! index document listing every release, an author signature on every release) and the
//! publisher's side that writes them. TUF's client rules on two minisign-signed
//! documents; what a host verified is persisted and never moves backwards.

mod document;
mod error;
mod keys;
mod publish;
mod signature;
mod trust;

pub(crate) use document::{IndexDocument, PluginEntry, Release, RootDocument, YankSeverity};
pub use error::{IndexError, KeyError, SignatureError};
pub(crate) use keys::{PASSWORD_ENV, Protection, PublicKey, SecretKey, generate_files};
pub(crate) use publish::{Added, DirFiles, Publisher, sign_plugin, verify_plugin};
pub(crate) use signature::KeySet;
pub(crate) use trust::{
    Fetched, IndexFiles, Refreshed, SignedFile, Trusted, refresh, verify_release,
};

#[cfg(test)]
mod tests;
