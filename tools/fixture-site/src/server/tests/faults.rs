//! Fault routes and `/echo` over real HTTP.

use std::time::Duration;

use reqwest::StatusCode;

use super::{body, client, get, start};

#[tokio::test]
async fn statuses_redirects_and_retry_after() {
    let site = start().await;
    let base = site.base_url();
    assert_eq!(
        get(&format!("{base}/fault/status/418"))
            .await
            .status()
            .as_u16(),
        418
    );
    assert_eq!(
        get(&format!("{base}/fault/status/503"))
            .await
            .status()
            .as_u16(),
        503
    );
    assert_eq!(
        get(&format!("{base}/fault/status/999")).await.status(),
        StatusCode::BAD_REQUEST
    );
    let limited = get(&format!("{base}/fault/429?retry_after=7")).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "7");
    let looped = get(&format!("{base}/fault/redirect-loop?n=4")).await;
    assert_eq!(looped.status(), StatusCode::FOUND);
    assert_eq!(looped.headers()["location"], "/fault/redirect-loop?n=5");
    let following = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .expect("client builds");
    assert!(
        following
            .get(format!("{base}/fault/redirect-loop"))
            .send()
            .await
            .is_err()
    );
    assert_eq!(site.hits("/fault/redirect-loop"), 7);
    let target = "http://127.0.0.2:9/elsewhere";
    let redirect = get(&format!("{base}/fault/redirect?to={target}")).await;
    assert_eq!(redirect.status(), StatusCode::FOUND);
    assert_eq!(redirect.headers()["location"], target);
    assert_eq!(
        get(&format!("{base}/fault/redirect")).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn broken_bodies() {
    let site = start().await;
    let base = site.base_url();
    let truncated = get(&format!("{base}/fault/truncated")).await;
    assert_eq!(truncated.headers()["content-length"], "1000");
    assert!(
        truncated.bytes().await.is_err(),
        "the body is shorter than promised"
    );
    let reset = get(&format!("{base}/fault/reset")).await;
    assert_eq!(reset.status(), StatusCode::OK);
    assert!(
        reset.bytes().await.is_err(),
        "the connection drops after the headers"
    );
    let mut stalled = get(&format!("{base}/fault/stall")).await;
    assert_eq!(stalled.status(), StatusCode::OK);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), stalled.chunk())
            .await
            .is_err(),
        "nothing comes"
    );
    let big = get(&format!("{base}/fault/big?bytes=200001")).await;
    assert_eq!(big.content_length(), Some(200_001));
    assert_eq!(body(big).await.len(), 200_001);
    let slow = get(&format!("{base}/fault/slow?ms=30")).await;
    assert_eq!(slow.text().await.expect("text"), "slept 30 ms\n");
    site.shutdown().await;
}

#[tokio::test]
async fn echo_reflects_the_request() {
    let site = start().await;
    let base = site.base_url();
    let echoed: serde_json::Value = client()
        .put(format!("{base}/echo?a=1&b=two"))
        .header("x-probe", "yes")
        .body("payload")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(echoed["method"], "PUT");
    assert_eq!(echoed["path"], "/echo");
    assert_eq!(echoed["query"], "a=1&b=two");
    assert_eq!(echoed["headers"]["x-probe"], "yes");
    assert_eq!(echoed["body"], "payload");
}
