//! One stream URL refresh for all the tracks of a download. The video and each
//! rendition are fetched from URLs derived from one master URL, so when it expires they
//! all find out, each on its own: the first to ask gets a fresh URL from the caller (the
//! source plugin), and a track that loaded its URL before that refresh takes the same
//! fresh one instead of asking again.

use tokio::sync::Mutex;

use super::{FreshStream, StreamRefresh};

/// The caller's refresh, shared by the tracks of one download.
pub(crate) struct SharedRefresh<'a> {
    caller: &'a dyn StreamRefresh,
    /// How many fresh URLs the caller gave, and the last one.
    latest: Mutex<(u32, Option<FreshStream>)>,
}

impl<'a> SharedRefresh<'a> {
    pub(crate) fn new(caller: &'a dyn StreamRefresh) -> Self {
        Self {
            caller,
            latest: Mutex::new((0, None)),
        }
    }

    /// A URL fresher than the one of generation `seen` (0: the request's own), with its
    /// generation: the last one the caller gave when it came after `seen`, else a new
    /// one. Tracks asking at once wait for one answer.
    pub(crate) async fn fresh_since(&self, seen: u32) -> Result<(u32, FreshStream), String> {
        let mut latest = self.latest.lock().await;
        if let (generation, Some(fresh)) = &*latest
            && *generation > seen
        {
            return Ok((*generation, fresh.clone()));
        }
        let fresh = self.caller.refresh().await?;
        *latest = (latest.0 + 1, Some(fresh.clone()));
        Ok((latest.0, fresh))
    }

    /// How many fresh URLs the caller gave.
    pub(crate) async fn given(&self) -> u32 {
        self.latest.lock().await.0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn tracks_that_saw_the_same_url_share_one_refresh() {
        let calls = Arc::new(AtomicU32::new(0));
        let caller = {
            let calls = calls.clone();
            move || {
                let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    Ok(FreshStream {
                        playlist_url: format!("http://site/master.m3u8?token={call}"),
                        headers: Vec::new(),
                    })
                }
            }
        };
        let shared = SharedRefresh::new(&caller);
        // Three tracks find the request's URL expired at once: one call.
        let (a, b, c) = tokio::join!(
            shared.fresh_since(0),
            shared.fresh_since(0),
            shared.fresh_since(0)
        );
        for answer in [a, b, c] {
            let (generation, fresh) = answer.expect("fresh");
            assert_eq!(generation, 1);
            assert!(fresh.playlist_url.ends_with("token=1"));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A track late to find the first URL expired takes the fresh one too.
        let (generation, _) = shared.fresh_since(0).await.expect("fresh");
        assert_eq!((generation, calls.load(Ordering::SeqCst)), (1, 1));
        // The fresh URL expiring in its turn asks the caller again.
        let (generation, fresh) = shared.fresh_since(1).await.expect("fresh");
        assert_eq!(generation, 2);
        assert!(fresh.playlist_url.ends_with("token=2"));
        assert_eq!(shared.given().await, 2);
    }

    #[tokio::test]
    async fn a_failed_refresh_is_asked_again_by_the_next_track() {
        let calls = Arc::new(AtomicU32::new(0));
        let caller = {
            let calls = calls.clone();
            move || {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if call == 0 {
                        return Err("the source is down".to_owned());
                    }
                    Ok(FreshStream {
                        playlist_url: "http://site/master.m3u8?token=ok".to_owned(),
                        headers: Vec::new(),
                    })
                }
            }
        };
        let shared = SharedRefresh::new(&caller);
        assert_eq!(
            shared.fresh_since(0).await.expect_err("failed").as_str(),
            "the source is down"
        );
        let (generation, _) = shared.fresh_since(0).await.expect("fresh");
        assert_eq!((generation, shared.given().await), (1, 1));
    }
}
