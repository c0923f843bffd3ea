//! The background fsync thread of a growing file: asked to sync now and then, it
//! reports how far the file is known to be on stable storage, so the disk writes
//! overlap the download and the final fsync before publishing has little left to do.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};

use super::DownloadError;
use super::error::io_error;
use crate::fsio;

/// The fsync thread of one file.
pub(crate) struct Flusher {
    requests: SyncSender<u64>,
    synced: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Flusher {
    /// Starts the thread on a second handle of `file` (at `path`, for messages).
    pub(crate) fn start(file: &File, path: &Path) -> Result<Self, DownloadError> {
        let file = file.try_clone().map_err(|error| io_error(path, error))?;
        let path = path.to_owned();
        let synced = Arc::new(AtomicU64::new(0));
        let done = Arc::clone(&synced);
        // One request waiting at most: a later one covers an earlier one.
        let (requests, receiver) = std::sync::mpsc::sync_channel::<u64>(1);
        let thread = std::thread::Builder::new()
            .name("kura-join-sync".to_owned())
            .spawn(move || {
                for offset in receiver {
                    match fsio::sync_file_data(&file) {
                        Ok(()) => done.store(offset, Ordering::Release),
                        // The final fsync before publishing reports it.
                        Err(error) => {
                            tracing::warn!(path = %path.display(), %error, "background fsync failed");
                        }
                    }
                }
            })
            .map_err(|error| DownloadError::Internal(format!("sync thread: {error}")))?;
        Ok(Self {
            requests,
            synced,
            thread,
        })
    }

    /// Asks for an fsync covering `offset`; false when one is still queued.
    pub(crate) fn request(&self, offset: u64) -> bool {
        match self.requests.try_send(offset) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }

    /// How far the file is known to be on stable storage.
    pub(crate) fn synced(&self) -> u64 {
        self.synced.load(Ordering::Acquire)
    }

    /// Lets a queued or running fsync finish, ends the thread and returns how far the
    /// file is synced.
    pub(crate) fn stop(self) -> u64 {
        drop(self.requests);
        let _ = self.thread.join();
        self.synced.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn reports_how_far_the_file_is_synced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("growing");
        let mut file = File::create(&path).expect("file");
        let flusher = Flusher::start(&file, &path).expect("started");
        assert_eq!(flusher.synced(), 0);
        file.write_all(&[1; 4096]).expect("write");
        // One request waits at most; a refused one is covered by a later one.
        let asked = [4096, 4096 * 2]
            .into_iter()
            .filter(|&offset| flusher.request(offset))
            .max()
            .expect("the first request is taken");
        assert_eq!(flusher.stop(), asked);
    }
}
