//! The author's and the index publisher's commands: `kura plugin keygen | sign | verify`
//! and `kura index init | add | yank | sign | rotate | verify`. They need no server and,
//! except `index add` (which runs the host's own load checks), no config.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;

use crate::config::Config;
use crate::plugin_index::{
    Added, DirFiles, KeySet, PASSWORD_ENV, Protection, PublicKey, Publisher, SecretKey, Trusted,
    YankSeverity,
};

/// `kura plugin new | build | test | record | keygen | sign | verify | pack | probe`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuthorCommand {
    /// Write a standalone plugin project: its build file, the WIT it targets, a manifest,
    /// an example against the fixture site, probes with recorded fetches, a README (and,
    /// for Rust, the SDK vendored).
    New {
        /// The plugin's name (a-z, 0-9, `-`).
        name: String,
        #[arg(long, value_parser = ["source", "scraper", "cleaner", "playlist-filter", "task"])]
        kind: String,
        #[arg(long, value_enum, default_value = "rust")]
        lang: crate::authoring::Lang,
        /// Where to create it (default: ./NAME); must not exist or be empty.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Build the project in DIR: the component with its manifest and probes embedded,
    /// written to DIR/dist/NAME-VERSION.wasm, then checked as a server would load it.
    Build {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run a plugin's probes offline in the real sandbox (the check servers, canaries and
    /// `kura index add` run); PATH is a .wasm file or a project (its built dist file).
    Test {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Also the live rules, against the real site.
        #[arg(long)]
        live: bool,
    },
    /// Fetch URLs as the plugin would (its manifest's hosts, the config's private-host
    /// allowances, the host's caps) and write the exchanges as a cassette.
    Record {
        /// The URLs, fetched with GET in order.
        #[arg(required = true)]
        urls: Vec<String>,
        /// The plugin's manifest.
        #[arg(long, default_value = "manifest.json")]
        manifest: PathBuf,
        /// Put the cassette into this probes file's probe named --probe (instead of
        /// printing it).
        #[arg(long, requires = "probe")]
        probes: Option<PathBuf>,
        #[arg(long)]
        probe: Option<String>,
    },
    /// Write a key pair (NAME.key, NAME.pub; minisign format) for signing plugins or an
    /// index. The secret key is encrypted with a password read from KURA_KEY_PASSWORD or
    /// asked for, unless --unencrypted.
    Keygen {
        /// Directory to write into.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// File name stem.
        #[arg(long, default_value = "author")]
        name: String,
        /// Leave the secret key unencrypted (for CI secrets stores that encrypt it).
        #[arg(long)]
        unencrypted: bool,
    },
    /// Sign a plugin as its author: writes FILE.minisig, whose trusted comment binds the
    /// plugin's name, version, sha256 and WIT version.
    Sign {
        /// The `.wasm` component.
        file: PathBuf,
        /// The author's secret key (repeat for several authors).
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
        /// Where to write the signature (default FILE.minisig).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Embed probes (a `kura-probes/1` JSON file: calls, their recorded fetches, the
    /// answers expected) into a plugin as its `kura:probes` section, so its signature
    /// covers them; servers run them before they load it.
    Pack {
        /// The `.wasm` component, as built.
        file: PathBuf,
        /// The probes file.
        #[arg(long)]
        probes: PathBuf,
        /// Where to write (default: FILE, replaced).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Run a plugin's embedded probes in the real sandbox, as a server does before it
    /// loads the file; with --live, also the live rules against the real site.
    Probe {
        /// The `.wasm` component.
        file: PathBuf,
        #[arg(long)]
        live: bool,
    },
    /// Check an author's signature over a plugin.
    Verify {
        /// The `.wasm` component.
        file: PathBuf,
        /// The signature file (default FILE.minisig).
        #[arg(long)]
        signature: Option<PathBuf>,
        /// An author public key (a `.pub` file or the base64 key; repeat for several).
        #[arg(long = "author-key", required = true)]
        author_keys: Vec<String>,
    },
}

/// `kura index ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum IndexCommand {
    /// Start an index in DIR: 1.root.json signed by the root keys, naming the index keys.
    Init {
        dir: PathBuf,
        /// The index's name; hosts follow it by this name.
        #[arg(long)]
        name: String,
        /// A root secret key (repeat); each signs the root.
        #[arg(long = "root-key", required = true)]
        root_keys: Vec<PathBuf>,
        /// Signatures of distinct root keys the next root needs.
        #[arg(long, default_value_t = 1)]
        root_threshold: usize,
        /// An index public key (repeat).
        #[arg(long = "index-key", required = true)]
        index_keys: Vec<String>,
        /// Signatures of distinct index keys an index needs.
        #[arg(long, default_value_t = 1)]
        index_threshold: usize,
        /// How long the root is valid: a number with s, m, h or d.
        #[arg(long, default_value = "365d", value_parser = parse_span)]
        valid_for: Duration,
    },
    /// Add a signed release to the draft, after every check a host makes (manifest, WIT,
    /// import policy, smoke test or golden cases, author signature).
    Add {
        dir: PathBuf,
        /// The `.wasm` component.
        file: PathBuf,
        /// The author's signature (default FILE.minisig).
        #[arg(long)]
        signature: Option<PathBuf>,
        /// The plugin's author keys: required for a plugin new to the index; for a listed
        /// one, replaces its keys (hosts then ask their operator to approve).
        #[arg(long = "author-key")]
        author_keys: Vec<String>,
        /// Signatures of distinct author keys a release needs.
        #[arg(long, default_value_t = 1)]
        author_threshold: usize,
        /// What changed, shown to operators.
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// Withdraw a version: broken (hosts move off it) or --malicious (hosts switch it off).
    Yank {
        dir: PathBuf,
        name: String,
        version: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        malicious: bool,
    },
    /// Publish the draft as the next index.json, signed by the index keys.
    Sign {
        dir: PathBuf,
        /// An index secret key (repeat).
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
        /// How long the index is valid (hosts pause updates after): s, m, h or d.
        #[arg(long, default_value = "7d", value_parser = parse_span)]
        valid_for: Duration,
    },
    /// Write the next root, signed by the current root keys and the new ones.
    Rotate {
        dir: PathBuf,
        /// A secret key that signs the new root: enough current root keys, and enough
        /// of the new ones (repeat).
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
        /// A root public key of the new root (repeat).
        #[arg(long = "root-pub", required = true)]
        root_keys: Vec<String>,
        #[arg(long, default_value_t = 1)]
        root_threshold: usize,
        /// An index public key of the new root (repeat).
        #[arg(long = "index-key", required = true)]
        index_keys: Vec<String>,
        #[arg(long, default_value_t = 1)]
        index_threshold: usize,
        #[arg(long, default_value = "365d", value_parser = parse_span)]
        valid_for: Duration,
    },
    /// Verify an index directory as a host would: the root chain from the pinned keys,
    /// the index's signatures and expiry, every release's file and author signature.
    Verify {
        dir: PathBuf,
        /// The index's name.
        #[arg(long)]
        name: String,
        /// A pinned root public key (repeat).
        #[arg(long = "root-key", required = true)]
        root_keys: Vec<String>,
    },
}

/// Runs an author command; `config` is needed by `probe` only.
pub(crate) async fn author(
    command: AuthorCommand,
    config: impl FnOnce() -> anyhow::Result<Config>,
) -> anyhow::Result<ExitCode> {
    match command {
        AuthorCommand::New {
            name,
            kind,
            lang,
            dir,
        } => {
            let kind: crate::plugins::PluginKind =
                serde_json::from_value(serde_json::Value::String(kind))?;
            let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
            let new = crate::authoring::NewPlugin {
                name,
                kind,
                lang,
                dir,
            };
            let written = crate::authoring::create(&new)?;
            println!(
                "created {} ({} {kind} plugin, {} files); next: cd {} && kura plugin build && kura plugin test",
                new.dir.display(),
                lang.as_str(),
                written.len(),
                new.dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        AuthorCommand::Build { dir } => {
            let built = tokio::task::spawn_blocking(move || crate::authoring::build(&dir))
                .await
                .context("the build stopped")??;
            println!(
                "built {} ({} {}, {} bytes{})",
                built.wasm.display(),
                built.manifest.name,
                built.manifest.version,
                built.size,
                if built.probes {
                    ", probes embedded"
                } else {
                    ""
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        AuthorCommand::Test { path, live } => {
            let file = built_file(&path)?;
            probe_file(&file, live, config).await
        }
        AuthorCommand::Record {
            urls,
            manifest,
            probes,
            probe,
        } => {
            let config = config()?;
            let manifest = crate::plugins::Manifest::from_json(&read(&manifest)?)
                .map_err(|error| anyhow::anyhow!("{}: {error}", manifest.display()))?;
            let fetch = crate::fetch::FetchClient::new(&config.fetch)?;
            let request = crate::authoring::RecordRequest {
                manifest: &manifest,
                urls: &urls,
            };
            let cassette = crate::authoring::record(&fetch, request).await?;
            match (probes, probe) {
                (Some(path), Some(name)) => {
                    let mut set: serde_json::Value = serde_json::from_slice(&read(&path)?)
                        .with_context(|| format!("{} is not JSON", path.display()))?;
                    let target = set["probes"]
                        .as_array_mut()
                        .and_then(|probes| probes.iter_mut().find(|p| p["name"] == name.as_str()))
                        .with_context(|| format!("{} has no probe named {name}", path.display()))?;
                    target["cassette"] = serde_json::Value::Array(cassette);
                    let text = serde_json::to_string_pretty(&set)? + "\n";
                    crate::fsio::write_atomic(
                        &path,
                        text.as_bytes(),
                        crate::fsio::WriteOptions::new(0o644),
                    )
                    .with_context(|| format!("cannot write {}", path.display()))?;
                    println!(
                        "recorded {} exchange(s) into {} probe {name}",
                        urls.len(),
                        path.display()
                    );
                }
                _ => println!("{}", serde_json::to_string_pretty(&cassette)?),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuthorCommand::Pack {
            file,
            probes,
            output,
        } => {
            let wasm = read(&file)?;
            let packed = crate::plugins::pack_probes(&wasm, &read(&probes)?)
                .map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
            let output = output.unwrap_or(file);
            crate::fsio::write_atomic(&output, &packed, crate::fsio::WriteOptions::new(0o644))
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!("probes packed into {}; sign it now", output.display());
            Ok(ExitCode::SUCCESS)
        }
        AuthorCommand::Probe { file, live } => probe_file(&file, live, config).await,
        AuthorCommand::Keygen {
            dir,
            name,
            unencrypted,
        } => {
            let protection = match (unencrypted, std::env::var(PASSWORD_ENV)) {
                (true, _) => Protection::Unencrypted,
                (false, Ok(password)) => Protection::Password(password),
                (false, Err(_)) => Protection::Ask,
            };
            let written = crate::plugin_index::generate_files(&dir, &name, protection)?;
            println!(
                "key {}: secret {} (keep it offline), public {}\n{}",
                written.key.fingerprint(),
                written.secret.display(),
                written.public.display(),
                written.key.base64()
            );
            Ok(ExitCode::SUCCESS)
        }
        AuthorCommand::Sign { file, keys, output } => {
            let wasm = read(&file)?;
            let keys = read_secret_keys(&keys)?;
            let signature =
                crate::plugin_index::sign_plugin(&wasm, &keys.iter().collect::<Vec<_>>())?;
            let output = output.unwrap_or_else(|| signature_path(&file));
            std::fs::write(&output, signature)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!("signed {} -> {}", file.display(), output.display());
            Ok(ExitCode::SUCCESS)
        }
        AuthorCommand::Verify {
            file,
            signature,
            author_keys,
        } => {
            let wasm = read(&file)?;
            let signature = read_text(&signature.unwrap_or_else(|| signature_path(&file)))?;
            let keys = parse_public_keys(&author_keys)?;
            let set = KeySet {
                threshold: 1,
                ..KeySet::all_of(&keys)
            };
            let (manifest, signers) = crate::plugin_index::verify_plugin(&wasm, &signature, &set)?;
            println!(
                "{} {}: signed by {}",
                manifest.name,
                manifest.version,
                signers.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs an index command; `config` is needed by `add` only.
pub(crate) async fn index(
    command: IndexCommand,
    config: impl FnOnce() -> anyhow::Result<Config>,
) -> anyhow::Result<ExitCode> {
    // Whole seconds: the documents stay readable.
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0);
    match command {
        IndexCommand::Init {
            dir,
            name,
            root_keys,
            root_threshold,
            index_keys,
            index_threshold,
            valid_for,
        } => {
            let signers = read_secret_keys(&root_keys)?;
            let root_set = KeySet {
                threshold: root_threshold,
                ..KeySet::all_of(&signers.iter().map(|k| k.public.clone()).collect::<Vec<_>>())
            };
            let index_set = KeySet {
                threshold: index_threshold,
                ..KeySet::all_of(&parse_public_keys(&index_keys)?)
            };
            let root = Publisher::new(&dir).init(
                &name,
                &signers.iter().collect::<Vec<_>>(),
                root_set,
                index_set,
                now + span(valid_for)?,
            )?;
            println!(
                "index `{}` started in {}; hosts pin the root key(s) {}",
                root.name,
                dir.display(),
                root.root.keys.join(", ")
            );
        }
        IndexCommand::Add {
            dir,
            file,
            signature,
            author_keys,
            author_threshold,
            notes,
        } => {
            let wasm = read(&file)?;
            let signature = read_text(&signature.unwrap_or_else(|| signature_path(&file)))?;
            let authors = if author_keys.is_empty() {
                None
            } else {
                Some(KeySet {
                    threshold: author_threshold,
                    ..KeySet::all_of(&parse_public_keys(&author_keys)?)
                })
            };
            host_checks(&config()?, &wasm).await?;
            match Publisher::new(&dir).add(&wasm, &signature, authors, &notes, now)? {
                Added::New { name, version } => {
                    println!("added {name} {version}; `kura index sign` publishes it")
                }
                Added::AlreadyListed { name, version } => {
                    println!("{name} {version} is already listed with these bytes")
                }
            }
        }
        IndexCommand::Yank {
            dir,
            name,
            version,
            reason,
            malicious,
        } => {
            let severity = if malicious {
                YankSeverity::Malicious
            } else {
                YankSeverity::Broken
            };
            Publisher::new(&dir).yank(&name, &version, severity, &reason)?;
            println!("yanked {name} {version}; `kura index sign` publishes it");
        }
        IndexCommand::Sign {
            dir,
            keys,
            valid_for,
        } => {
            let signers = read_secret_keys(&keys)?;
            let index =
                Publisher::new(&dir).sign(&signers.iter().collect::<Vec<_>>(), valid_for, now)?;
            println!(
                "index `{}` version {} signed, expires {}",
                index.name,
                index.version,
                index.expires.to_rfc3339()
            );
        }
        IndexCommand::Rotate {
            dir,
            keys,
            root_keys,
            root_threshold,
            index_keys,
            index_threshold,
            valid_for,
        } => {
            let signers = read_secret_keys(&keys)?;
            let root = Publisher::new(&dir).rotate(
                &signers.iter().collect::<Vec<_>>(),
                KeySet {
                    threshold: root_threshold,
                    ..KeySet::all_of(&parse_public_keys(&root_keys)?)
                },
                KeySet {
                    threshold: index_threshold,
                    ..KeySet::all_of(&parse_public_keys(&index_keys)?)
                },
                now + span(valid_for)?,
            )?;
            println!("root version {} written", root.version);
        }
        IndexCommand::Verify {
            dir,
            name,
            root_keys,
        } => {
            let pinned = parse_public_keys(&root_keys)?;
            let mut trusted = Trusted::default();
            crate::plugin_index::refresh(&DirFiles::new(&dir), &name, &pinned, &mut trusted, now)
                .await?;
            let index = trusted.index().context("no index")?;
            let mut releases = 0;
            for (plugin, entry) in &index.plugins {
                for release in &entry.releases {
                    let bytes = read(&dir.join(&release.url))?;
                    crate::plugin_index::verify_release(plugin, entry, release, &bytes)?;
                    releases += 1;
                }
            }
            println!(
                "index `{}` version {} verified (root version {}): {} plugin(s), {releases} release(s), expires {}",
                index.name,
                index.version,
                trusted.root().map_or(0, |root| root.version),
                index.plugins.len(),
                index.expires.to_rfc3339()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The checks a host makes when it loads the file: compile, import policy, smoke test
/// or golden cases.
/// Loads a plugin file as a server would (offline probes, golden cases) and, with `live`,
/// runs its live rules against the real site.
async fn probe_file(
    file: &Path,
    live: bool,
    config: impl FnOnce() -> anyhow::Result<Config>,
) -> anyhow::Result<ExitCode> {
    let wasm = read(file)?;
    let config = config()?;
    let fetch = crate::fetch::FetchClient::new(&config.fetch)?;
    let runtime = crate::plugins::PluginRuntime::new(&config, fetch)?;
    let plugin = runtime
        .prepare(wasm.into(), Default::default())
        .await
        .context("a host would refuse this file")?;
    let count = plugin.probes()?.map_or(0, |set| set.probes.len());
    println!(
        "{} {}: {count} probe(s) passed offline",
        plugin.name(),
        plugin.version()
    );
    if !live {
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed = false;
    for outcome in runtime.live_probes(&plugin).await {
        match outcome.verdict {
            crate::plugins::LiveVerdict::Passed => {
                println!("live {}: passed", outcome.probe)
            }
            crate::plugins::LiveVerdict::PluginFailed(reason) => {
                failed = true;
                println!(
                    "live {}: FAILED (the plugin's fault): {reason}",
                    outcome.probe
                );
            }
            crate::plugins::LiveVerdict::SiteFailed(reason) => {
                failed = true;
                println!(
                    "live {}: FAILED (the site's answer): {reason}",
                    outcome.probe
                );
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The file `kura plugin test` checks: PATH itself, or a project's built dist file.
fn built_file(path: &Path) -> anyhow::Result<PathBuf> {
    if !path.is_dir() {
        return Ok(path.to_owned());
    }
    let manifest_path = path.join("manifest.json");
    let manifest = crate::plugins::Manifest::from_json(&read(&manifest_path)?)
        .map_err(|error| anyhow::anyhow!("{}: {error}", manifest_path.display()))?;
    let file = path
        .join("dist")
        .join(format!("{}-{}.wasm", manifest.name, manifest.version));
    anyhow::ensure!(
        file.is_file(),
        "{} is not built yet: run `kura plugin build` first",
        file.display()
    );
    Ok(file)
}

async fn host_checks(config: &Config, wasm: &[u8]) -> anyhow::Result<()> {
    let fetch = crate::fetch::FetchClient::new(&config.fetch)?;
    let runtime = crate::plugins::PluginRuntime::new(config, fetch)?;
    runtime
        .prepare(wasm.to_vec().into(), Default::default())
        .await
        .context("a host would refuse this file")?;
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn signature_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".minisig");
    PathBuf::from(name)
}

fn read_secret_keys(paths: &[PathBuf]) -> anyhow::Result<Vec<SecretKey>> {
    paths
        .iter()
        .map(|path| SecretKey::read(path).map_err(anyhow::Error::from))
        .collect()
}

/// Public keys given as a `.pub` file or as the base64 key itself.
fn parse_public_keys(texts: &[String]) -> anyhow::Result<Vec<PublicKey>> {
    texts
        .iter()
        .map(|text| {
            let path = Path::new(text);
            if path.is_file() {
                PublicKey::read(path).map_err(anyhow::Error::from)
            } else {
                PublicKey::parse(text).map_err(anyhow::Error::from)
            }
        })
        .collect()
}

/// `90s`, `30m`, `12h`, `7d`.
fn parse_span(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}`: a number followed by s, m, h or d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}`: a number followed by s, m, h or d")),
    };
    number
        .checked_mul(seconds)
        .filter(|&s| s > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}`: out of range"))
}

fn span(duration: Duration) -> anyhow::Result<chrono::Duration> {
    chrono::Duration::from_std(duration).context("the validity is too long")
}

#[cfg(test)]
mod tests {
    use super::parse_span;

    #[test]
    fn spans_parse() {
        assert_eq!(parse_span("90s"), Ok(std::time::Duration::from_secs(90)));
        assert_eq!(
            parse_span("7d"),
            Ok(std::time::Duration::from_secs(604_800))
        );
        for bad in ["", "d", "7", "7w", "0s", "-1d"] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
    }
}
