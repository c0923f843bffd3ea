//! The library sample that ranks a search's trigrams: taken once, then renewed in the
//! background while searches go on with the one they have.

use std::sync::Arc;
use std::time::Duration;

use super::*;

#[tokio::test]
async fn a_stale_sample_serves_while_a_new_one_is_taken() {
    let stores = stores().await;
    for store in &stores.stores {
        crate::library::seed(store, 1, 100, 1, |_, _| {})
            .await
            .expect("seed");
        let first = store.search_sample(Duration::ZERO).await.expect("first");
        assert_eq!(first.len(), 100, "{:?}", store.backend());
        crate::library::seed(store, 101, 400, 1, |_, _| {})
            .await
            .expect("seed more");
        // Stale at once: answered as it is, a new one taken meanwhile.
        let stale = store.search_sample(Duration::ZERO).await.expect("stale");
        assert!(Arc::ptr_eq(&stale, &first), "{:?}", store.backend());
        // The taker holds the right to take until the new sample is in.
        drop(store.trigram_counts.sample.taking().lock().await);
        let fresh = store
            .search_sample(Duration::from_secs(60))
            .await
            .expect("fresh");
        assert_eq!(fresh.len(), 500, "{:?}", store.backend());
    }
    stores.finish().await;
}
