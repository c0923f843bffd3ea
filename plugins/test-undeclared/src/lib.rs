//! Misbehaving test plugin: `resolve` fetches `http://undeclared.example/`, a host its manifest
//! does not declare, and passes the host's refusal through as `network("denied: ...")`.

use kura_plugin_sdk::{Error, Source, StreamHit, http};

/// The exported source.
struct Undeclared;

impl Source for Undeclared {
    fn resolve(_code: String) -> Result<StreamHit, Error> {
        match http::fetch(&http::Request::get("http://undeclared.example/")) {
            Ok(response) => Err(Error::other(format!(
                "the host let an undeclared fetch through: HTTP {} from {}",
                response.status, response.final_url
            ))),
            Err(error) => Err(Error::network(error.message())),
        }
    }
}

kura_plugin_sdk::export_source!(Undeclared);
