//! `kura plugin search | install | update | pin | unpin`: the followed indexes, through
//! the running server's API (the server holds the plugins, the index state and the
//! approvals; these commands ask it).

use std::io::IsTerminal as _;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::config::Config;

/// How to reach the server.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// The server's base URL (default: the configured address).
    #[arg(long, env = "KURA_SERVER")]
    server: Option<String>,
    /// The API token (default: `<data_dir>/api-token` when it exists).
    #[arg(long, env = "KURA_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum IndexClientCommand {
    /// List what the followed indexes offer and how each plugin stands.
    Search {
        /// Only plugins whose name contains this.
        query: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Install a plugin from an index: NAME or NAME@VERSION. A release that needs new
    /// hosts or author keys shows them and asks (or takes --yes).
    Install {
        plugin: String,
        /// The index, when several are configured.
        #[arg(long)]
        index: Option<String>,
        /// Approve the hosts and author keys shown without asking.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Poll the indexes now and install the updates they allow.
    Update {
        /// Only show this plugin afterwards.
        plugin: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Stop updating a plugin from its index.
    Pin {
        plugin: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Update a pinned plugin from its index again.
    Unpin {
        plugin: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

/// Runs one of the commands.
pub(crate) async fn run(command: IndexClientCommand, config: &Config) -> anyhow::Result<ExitCode> {
    match command {
        IndexClientCommand::Search { query, server } => {
            let api = Api::new(config, &server)?;
            let body = api.call(reqwest::Method::GET, "/api/index", None).await?;
            print_plugins(&body, |name| {
                query.as_deref().is_none_or(|q| name.contains(q))
            });
            Ok(ExitCode::SUCCESS)
        }
        IndexClientCommand::Install {
            plugin,
            index,
            yes,
            server,
        } => {
            let api = Api::new(config, &server)?;
            let (name, version) = match plugin.split_once('@') {
                Some((name, version)) => (name.to_owned(), Some(version.to_owned())),
                None => (plugin, None),
            };
            let body = api
                .call(
                    reqwest::Method::POST,
                    "/api/plugins/install",
                    Some(json!({"index": index, "name": name, "version": version})),
                )
                .await?;
            if body["outcome"] != "approval_required" {
                return Ok(report(&name, &body));
            }
            let pending = &body["pending"];
            println!(
                "{name} {} needs your approval:\n  hosts it may reach: + {}\n  hosts it no longer reaches: - {}\n  author keys: {} (before: {})",
                pending["version"].as_str().unwrap_or("?"),
                list(&pending["hosts_added"]),
                list(&pending["hosts_removed"]),
                list(&pending["author_keys_new"]),
                list(&pending["author_keys_old"]),
            );
            if !yes && !ask("Approve?")? {
                println!("not approved; the running version, if any, keeps serving");
                return Ok(ExitCode::FAILURE);
            }
            let approval = json!({
                "index": index,
                "version": pending["version"],
                "hosts_added": pending["hosts_added"],
                "author_keys": pending["author_keys_new"],
            });
            let body = api
                .call(
                    reqwest::Method::POST,
                    &format!("/api/plugins/{name}/approve"),
                    Some(approval),
                )
                .await?;
            Ok(report(&name, &body))
        }
        IndexClientCommand::Update { plugin, server } => {
            let api = Api::new(config, &server)?;
            let body = api
                .call(reqwest::Method::POST, "/api/index/refresh", Some(json!({})))
                .await?;
            print_plugins(&body, |name| plugin.as_deref().is_none_or(|p| p == name));
            Ok(ExitCode::SUCCESS)
        }
        IndexClientCommand::Pin { plugin, server } => pin(config, &server, &plugin, true).await,
        IndexClientCommand::Unpin { plugin, server } => pin(config, &server, &plugin, false).await,
    }
}

async fn pin(
    config: &Config,
    server: &ServerArgs,
    plugin: &str,
    pinned: bool,
) -> anyhow::Result<ExitCode> {
    let api = Api::new(config, server)?;
    let method = if pinned {
        reqwest::Method::POST
    } else {
        reqwest::Method::DELETE
    };
    api.call(method, &format!("/api/plugins/{plugin}/pin"), None)
        .await?;
    println!(
        "{plugin} {}",
        if pinned {
            "pinned: not updated from its index"
        } else {
            "unpinned: updated from its index again"
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn report(name: &str, body: &Value) -> ExitCode {
    match body["outcome"].as_str() {
        Some("installed") => {
            let from = body["previous_version"]
                .as_str()
                .map(|v| format!(" (was {v})"))
                .unwrap_or_default();
            println!(
                "{name} {} installed{from}",
                body["version"].as_str().unwrap_or("?")
            );
        }
        Some("unchanged") => println!(
            "{name} {} already serves",
            body["version"].as_str().unwrap_or("?")
        ),
        Some("installing") => println!(
            "{name} is still being installed (a large plugin compiles for a while); \
             `kura plugin list` shows it once it serves, and its history says how it went"
        ),
        _ => println!("{name}: {body}"),
    }
    ExitCode::SUCCESS
}

fn print_plugins(body: &Value, wanted: impl Fn(&str) -> bool) {
    for index in body["indexes"].as_array().into_iter().flatten() {
        let error = index["poll"]["last_error"]["message"]
            .as_str()
            .map(|message| format!("; last error: {message}"))
            .unwrap_or_default();
        println!(
            "index {} (version {}, expires {}){}{error}",
            index["name"].as_str().unwrap_or("?"),
            index["index_version"],
            index["expires"].as_str().unwrap_or("-"),
            if index["updates_paused"] == true {
                ", updates paused"
            } else {
                ""
            },
        );
        for plugin in index["plugins"].as_array().into_iter().flatten() {
            let name = plugin["name"].as_str().unwrap_or("?");
            if !wanted(name) {
                continue;
            }
            println!(
                "  {name:<24} {:<8} installed {:<10} available {:<10} newest {:<10} {}",
                plugin["kind"].as_str().unwrap_or("?"),
                plugin["installed"].as_str().unwrap_or("-"),
                plugin["available"].as_str().unwrap_or("-"),
                plugin["newest"].as_str().unwrap_or("-"),
                plugin["status"].as_str().unwrap_or("?"),
            );
        }
    }
}

fn list(value: &Value) -> String {
    let items: Vec<&str> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn ask(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("approval needed: run again with --yes to approve what is shown");
    }
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

/// The server's API.
struct Api {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Api {
    fn new(config: &Config, args: &ServerArgs) -> anyhow::Result<Self> {
        let base = match &args.server {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let mut listen = config.server.listen;
                if listen.ip().is_unspecified() {
                    listen.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{listen}")
            }
        };
        let token = args.token.clone().or_else(|| {
            std::fs::read_to_string(config.data_dir.join("api-token"))
                .ok()
                .map(|token| token.trim().to_owned())
        });
        Ok(Self {
            client: reqwest::Client::builder()
                .tls_backend_preconfigured(
                    crate::fetch::tls_settings().map_err(|error| anyhow::anyhow!(error))?,
                )
                .timeout(std::time::Duration::from_secs(600))
                .build()?,
            base,
            token,
        })
    }

    /// Calls the API; an error answer becomes an error naming its code.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| {
            format!(
                "cannot reach the server at {} (is `kura serve` running?)",
                self.base
            )
        })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            anyhow::bail!(
                "{} ({})",
                body["message"].as_str().unwrap_or("the server refused"),
                body["code"].as_str().unwrap_or(status.as_str())
            );
        }
        Ok(body)
    }
}
