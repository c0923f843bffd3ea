//! PostgreSQL backups through the standard tools: `pg_dump --format=custom` (a consistent
//! snapshot that blocks no writer), `pg_restore --list` to check an archive, and
//! `pg_restore` to put one back. The password travels in `PGPASSWORD`, never on a
//! command line other users can read.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::{MaintenanceError, Result};

/// How much of a tool's error output a message keeps.
const MAX_MESSAGE: usize = 2000;

/// The PostgreSQL client tools, from `maintenance.pg_bin_dir` or `PATH`.
#[derive(Debug, Clone)]
pub(super) struct PgTools {
    pub(crate) bin_dir: Option<PathBuf>,
}

impl PgTools {
    /// Dumps the database at `url` to `target` in the custom format.
    pub(super) async fn dump(&self, url: &str, target: &Path) -> Result<()> {
        let (url, password) = split_password(url);
        let mut command = self.command("pg_dump", password.as_deref());
        command
            .arg("--format=custom")
            .arg("--no-password")
            .arg("--file")
            .arg(target)
            .arg("--dbname")
            .arg(&url);
        run("pg_dump", command).await.map(drop)
    }

    /// Reads an archive's table of contents: the number of entries. Fails on a file that
    /// is not a complete custom-format archive.
    pub(super) async fn list(&self, archive: &Path) -> Result<usize> {
        let mut command = self.command("pg_restore", None);
        command.arg("--list").arg(archive);
        let output = run("pg_restore --list", command).await?;
        Ok(output
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with(';'))
            .count())
    }

    /// Restores an archive into the (emptied) database at `url`, all or nothing.
    pub(super) async fn restore(&self, url: &str, archive: &Path) -> Result<()> {
        let (url, password) = split_password(url);
        let mut command = self.command("pg_restore", password.as_deref());
        command
            .arg("--no-password")
            .arg("--single-transaction")
            .arg("--exit-on-error")
            .arg("--no-owner")
            .arg("--no-privileges")
            .arg("--dbname")
            .arg(&url)
            .arg(archive);
        run("pg_restore", command).await.map(drop)
    }

    fn command(&self, tool: &str, password: Option<&str>) -> tokio::process::Command {
        let program = match &self.bin_dir {
            Some(dir) => dir.join(tool),
            None => PathBuf::from(tool),
        };
        let mut command = tokio::process::Command::new(program);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(password) = password {
            command.env("PGPASSWORD", password);
        }
        command
    }
}

/// Runs a tool; its standard output on success, its error output in the error.
async fn run(tool: &str, mut command: tokio::process::Command) -> Result<String> {
    let output = command
        .output()
        .await
        .map_err(|error| MaintenanceError::Tool {
            tool: tool.to_owned(),
            message: if error.kind() == std::io::ErrorKind::NotFound {
                "not installed (install the PostgreSQL client, or set maintenance.pg_bin_dir)"
                    .to_owned()
            } else {
                error.to_string()
            },
        })?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut message = stderr.trim().to_owned();
    if message.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str(" ...");
    }
    Err(MaintenanceError::Tool {
        tool: tool.to_owned(),
        message: format!("{} ({})", message, output.status),
    })
}

/// The URL without its password, and the password.
fn split_password(url: &str) -> (String, Option<String>) {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let password = parsed.password().map(percent_decode);
            let _ = parsed.set_password(None);
            (parsed.to_string(), password)
        }
        _ => (url.to_owned(), None),
    }
}

/// `%XX` escapes of a URL part decoded (a `+` stays a `+`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = (bytes[index] == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        assert_eq!(
            split_password("postgres://kura:s%40c+ret@db:5432/kura"),
            (
                "postgres://kura@db:5432/kura".to_owned(),
                Some("s@c+ret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://kura@127.0.0.1:55432/kura_test"),
            ("postgres://kura@127.0.0.1:55432/kura_test".to_owned(), None)
        );
    }

    #[tokio::test]
    async fn a_missing_tool_says_how_to_fix_it() {
        let tools = PgTools {
            bin_dir: Some(PathBuf::from("/nonexistent/bin")),
        };
        let error = tools.list(Path::new("x.dump")).await.unwrap_err();
        assert!(error.to_string().contains("pg_bin_dir"), "{error}");
    }
}
