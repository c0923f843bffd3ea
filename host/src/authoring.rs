//! Plugin authoring outside this repository (K-12): `kura plugin new` writes a standalone project
//! (the SDK or the WIT vendored into it), `kura plugin build` turns it into a plugin file
//! with its manifest and probes embedded, `kura plugin record` records a cassette through
//! the host's egress rules.

mod build;
mod componentize;
mod error;
mod lang;
mod record;
mod scaffold;

pub(crate) use build::build;
pub(crate) use error::AuthoringError;
pub(crate) use lang::Lang;
pub(crate) use record::{RecordRequest, record};
pub(crate) use scaffold::{NewPlugin, create};
