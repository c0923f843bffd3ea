//! `maintenance:`: backups, their sync target, reports and the consistency checks, as
//! written and as validated.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// `maintenance:`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawMaintenance {
    /// Directory `kura sync-backups` (and the `sync_backups` task) copies backups,
    /// reports and logs to, e.g. a mounted external disk; `--target` wins. Relative
    /// paths are under `data_dir`. Unset: a sync needs `--target`.
    pub(crate) backup_path: Option<PathBuf>,
    /// Days database and code backups are kept (`backup-db`, `backup-codes`); `--days`
    /// wins. The newest backup is always kept.
    pub(crate) backup_days: u32,
    /// Days check and upgrade reports are kept in `<data_dir>/reports`.
    pub(crate) report_days: u32,
    /// A `.part` file or a download work directory untouched for this many hours, with
    /// no download of its code pending or running, is stale: `check-resources --apply`
    /// removes it.
    pub(crate) stale_part_hours: u64,
    /// Directory holding `pg_dump` and `pg_restore` (PostgreSQL backups and restores);
    /// unset: found on `PATH`. Their major version must not be older than the server's.
    pub(crate) pg_bin_dir: Option<PathBuf>,
}

impl Default for RawMaintenance {
    fn default() -> Self {
        Self {
            backup_path: None,
            backup_days: 30,
            report_days: 90,
            stale_part_hours: 24,
            pg_bin_dir: None,
        }
    }
}

/// `maintenance:` validated, with paths resolved.
#[derive(Debug, Clone)]
pub(crate) struct MaintenanceConfig {
    /// The default sync target.
    pub(crate) backup_path: Option<PathBuf>,
    pub(crate) backup_days: u32,
    pub(crate) report_days: u32,
    pub(crate) stale_part: Duration,
    pub(crate) pg_bin_dir: Option<PathBuf>,
}

pub(super) fn validate_maintenance(
    raw: &RawMaintenance,
    data_dir: &Path,
) -> Result<MaintenanceConfig, ConfigError> {
    if !(1..=36_500).contains(&raw.backup_days) {
        return Err(invalid(
            "maintenance.backup_days",
            "must be between 1 and 36500",
        ));
    }
    if !(1..=36_500).contains(&raw.report_days) {
        return Err(invalid(
            "maintenance.report_days",
            "must be between 1 and 36500",
        ));
    }
    if !(1..=87_600).contains(&raw.stale_part_hours) {
        return Err(invalid(
            "maintenance.stale_part_hours",
            "must be between 1 and 87600",
        ));
    }
    let under_data = |path: &Path| {
        if path.is_absolute() {
            path.to_owned()
        } else {
            data_dir.join(path)
        }
    };
    if raw
        .backup_path
        .as_deref()
        .is_some_and(|path| path.as_os_str().is_empty())
    {
        return Err(invalid("maintenance.backup_path", "must not be empty"));
    }
    Ok(MaintenanceConfig {
        backup_path: raw.backup_path.as_deref().map(under_data),
        backup_days: raw.backup_days,
        report_days: raw.report_days,
        stale_part: Duration::from_secs(raw.stale_part_hours * 3600),
        pg_bin_dir: raw.pg_bin_dir.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_paths_resolve_under_the_data_dir() {
        let data = Path::new("/srv/kura");
        let config = validate_maintenance(&RawMaintenance::default(), data).expect("valid");
        assert_eq!(config.backup_path, None);
        assert_eq!(config.backup_days, 30);
        assert_eq!(config.stale_part, Duration::from_secs(24 * 3600));
        let raw = RawMaintenance {
            backup_path: Some(PathBuf::from("offsite")),
            ..RawMaintenance::default()
        };
        let config = validate_maintenance(&raw, data).expect("valid");
        assert_eq!(
            config.backup_path.as_deref(),
            Some(Path::new("/srv/kura/offsite"))
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let check = |raw: RawMaintenance, key: &str| {
            let error = validate_maintenance(&raw, Path::new("data"))
                .expect_err(key)
                .to_string();
            assert!(error.contains(key), "{error}");
        };
        check(
            RawMaintenance {
                backup_days: 0,
                ..RawMaintenance::default()
            },
            "maintenance.backup_days",
        );
        check(
            RawMaintenance {
                report_days: 0,
                ..RawMaintenance::default()
            },
            "maintenance.report_days",
        );
        check(
            RawMaintenance {
                stale_part_hours: 0,
                ..RawMaintenance::default()
            },
            "maintenance.stale_part_hours",
        );
        check(
            RawMaintenance {
                backup_path: Some(PathBuf::new()),
                ..RawMaintenance::default()
            },
            "maintenance.backup_path",
        );
    }
}
