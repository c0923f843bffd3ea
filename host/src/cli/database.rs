//! How the commands open the database: never migrating an existing one behind the
//! operator's back (only `kura db upgrade` and `kura serve` change the schema), and
//! refusing one whose schema is not the one this kura knows.

use anyhow::Context;

use crate::config::Config;
use crate::store::Store;

/// Opens the database as it is, for commands that need it to exist already (backups,
/// checks): a missing SQLite file is an error, not a new empty database. With `current`,
/// a schema with pending or unknown migrations is refused ([`require_current`]).
pub(super) async fn open_existing(config: &Config, current: bool) -> anyhow::Result<Store> {
    let url = existing(&config.database_url);
    let store = Store::open_without_migrating(&url)
        .await
        .with_context(|| format!("cannot open the database {}", crate::store::redact(&url)))?;
    if current {
        require_current(&store).await?;
    }
    Ok(store)
}

/// Opens the database as it is, creating it when missing (`kura db upgrade` on a new
/// installation).
pub(super) async fn open_as_is(config: &Config) -> anyhow::Result<Store> {
    Store::open_without_migrating(&config.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                crate::store::redact(&config.database_url)
            )
        })
}

/// Opens the database for the library commands (`fix-codes`, `seed`, `translate`),
/// which run beside a server: a new database (no file yet, or one without any migration
/// applied) gets the whole schema, as a first `kura seed` on a new data directory
/// expects; an existing one is used only when its schema is current, else refused
/// ([`require_current`]) and left as it is.
pub(super) async fn open_current_or_new(config: &Config) -> anyhow::Result<Store> {
    let store = open_as_is(config).await?;
    let status = match store.schema_status(store.migrator()).await {
        Ok(status) => status,
        Err(error) => {
            store.close().await;
            return Err(error.into());
        }
    };
    if status.applied.is_empty() && status.dirty.is_none() {
        if let Err(error) = store.migrate(store.migrator()).await {
            store.close().await;
            return Err(error).context("cannot create the database schema");
        }
        return Ok(store);
    }
    require_current(&store).await?;
    Ok(store)
}

/// Refuses (and closes) a store whose schema is not exactly the one this kura knows:
/// newer (upgrade kura) or with pending migrations (run `kura db upgrade`).
pub(super) async fn require_current(store: &Store) -> anyhow::Result<()> {
    let status = match store.schema_status(store.migrator()).await {
        Ok(status) => status,
        Err(error) => {
            store.close().await;
            return Err(error.into());
        }
    };
    if !status.unknown.is_empty() {
        store.close().await;
        anyhow::bail!(
            "the database schema (version {}) is newer than this kura knows ({}); upgrade kura",
            status.version(),
            status.known
        );
    }
    if !status.is_current() {
        store.close().await;
        anyhow::bail!(
            "the database schema is at version {} with migrations {:?} pending: run `kura db upgrade` first",
            status.version(),
            status.pending
        );
    }
    Ok(())
}

/// A SQLite URL that does not create a missing file: backing up or checking nothing is
/// an error, not a new empty database.
fn existing(url: &str) -> String {
    if !url.starts_with("sqlite:") || url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rw")
    } else {
        format!("{url}?mode=rw")
    }
}
