//! The library sample that ranks a search's trigrams: taken once, kept while the library
//! does not change, then renewed in the background while searches go on with the one
//! they have.

use std::sync::Arc;
use std::time::Duration;

use super::*;

#[tokio::test]
async fn a_stale_sample_serves_while_a_new_one_is_taken() {
    let stores = stores().await;
    for store in &stores.stores {
        let backend = store.backend();
        crate::library::seed(store, 1, 100, 1, |_, _| {})
            .await
            .expect("seed");
        let first = store
            .search_sample_renewed_after(Duration::ZERO)
            .await
            .expect("first");
        assert_eq!(first.len(), 100, "{backend:?}");
        // An unchanged library keeps its sample.
        let kept = store
            .search_sample_renewed_after(Duration::ZERO)
            .await
            .expect("kept");
        assert!(Arc::ptr_eq(&kept, &first), "{backend:?}");
        crate::library::seed(store, 101, 400, 1, |_, _| {})
            .await
            .expect("seed more");
        // Changed: answered as it is, a new one taken meanwhile.
        let stale = store
            .search_sample_renewed_after(Duration::ZERO)
            .await
            .expect("stale");
        assert!(Arc::ptr_eq(&stale, &first), "{backend:?}");
        // The taker holds the right to take until the new sample is in.
        drop(store.trigram_counts.sample.taking().lock().await);
        let fresh = store.search_sample().await.expect("fresh");
        assert_eq!(fresh.len(), 500, "{backend:?}");
        assert!(fresh.serial > first.serial, "{backend:?}");
    }
    stores.finish().await;
}
