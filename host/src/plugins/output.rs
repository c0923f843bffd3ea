//! A plugin call's bounded output: guest stdout/stderr and `log` messages share one
//! byte budget; past it, output is counted and dropped, never an error for the guest.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Shared, bounded sink for one call.
#[derive(Clone)]
pub(crate) struct BoundedOutput {
    inner: Arc<Mutex<Buffer>>,
}

struct Buffer {
    stdio: Vec<u8>,
    used: usize,
    cap: usize,
    dropped: usize,
}

impl BoundedOutput {
    /// A sink that keeps at most `cap` bytes.
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Buffer {
                stdio: Vec::new(),
                used: 0,
                cap,
                dropped: 0,
            })),
        }
    }

    /// Charges a log message against the budget; returns it cleaned of control
    /// characters, or None once the budget is spent.
    pub(crate) fn admit(&self, message: &str) -> Option<String> {
        let mut buffer = self.inner.lock().ok()?;
        if buffer.used + message.len() > buffer.cap {
            buffer.dropped += message.len();
            return None;
        }
        buffer.used += message.len();
        Some(clean(message))
    }

    /// Writes what the guest printed to the log, one event per line, and reports drops.
    pub(crate) fn flush_to_log(&self, plugin: &str) {
        let Ok(mut buffer) = self.inner.lock() else {
            return;
        };
        let text = String::from_utf8_lossy(&buffer.stdio).into_owned();
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            tracing::info!(plugin, stream = "stdio", "{}", clean(line));
        }
        if buffer.dropped > 0 {
            tracing::warn!(
                plugin,
                dropped_bytes = buffer.dropped,
                "plugin output over its budget was dropped"
            );
        }
        buffer.stdio.clear();
    }

    fn write(&self, bytes: &[u8]) {
        if let Ok(mut buffer) = self.inner.lock() {
            let room = buffer.cap.saturating_sub(buffer.used);
            let kept = room.min(bytes.len());
            buffer.stdio.extend_from_slice(&bytes[..kept]);
            buffer.used += kept;
            buffer.dropped += bytes.len() - kept;
        }
    }
}

/// Removes control characters (terminal escapes included) but keeps tabs.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect()
}

impl IsTerminal for BoundedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for BoundedOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for BoundedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.write(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_shared_and_bounded() {
        let output = BoundedOutput::new(10);
        assert_eq!(output.admit("abc\x1b[31m").as_deref(), Some("abc [31m"));
        output.write(b"0123456789");
        assert!(output.admit("x").is_none());
        let buffer = output.inner.lock().expect("lock");
        assert_eq!(buffer.stdio, b"01");
        // 8 bytes of the write plus the refused one-byte message.
        assert_eq!(buffer.dropped, 9);
    }
}
