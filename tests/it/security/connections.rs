//! Connections that send nothing, only the HTTP/2 preface, or nothing after a request are
//! closed; at `server.max_connections` the server still answers `/healthz`.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{self, TestServer};

/// The client's HTTP/2 connection preface.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
const EMPTY_SETTINGS: &[u8] = &[0, 0, 0, 4, 0, 0, 0, 0, 0];
/// How long a test waits for the server to close a connection before failing; a guard
/// against a hang, not a measure of speed.
const CLOSE_BOUND: Duration = Duration::from_secs(60);

/// A server with `server_settings` merged into its `server:` table.
async fn server_with(server_settings: Value) -> (TestServer, fixture_site::FixtureSite) {
    let fixture = support::fixture().await;
    let config = support::config(&fixture.base_url()).merge(json!({ "server": server_settings }));
    (TestServer::start(&config, &[]).await, fixture)
}

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Reads until the server closes the connection; returns what it sent. Panics when the
/// connection is still open after [`CLOSE_BOUND`].
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let outcome = tokio::time::timeout(CLOSE_BOUND, async {
        let mut buffer = [0u8; 4096];
        // Bounded: every pass reads at least one byte or ends.
        for _ in 0..100_000 {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(outcome.is_ok(), "the server kept the connection open");
    received
}

#[tokio::test]
async fn connections_that_send_nothing_are_closed() {
    let (server, _fixture) = server_with(json!({ "header_read_timeout_ms": 300 })).await;
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(connect(&server).await);
    }
    for stream in &mut silent {
        let received = read_until_closed(stream).await;
        assert!(
            received.is_empty() || received.starts_with(b"HTTP/1.1 408"),
            "{:?}",
            String::from_utf8_lossy(&received)
        );
    }
    let (status, _) = server.get_json("/healthz").await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test]
async fn http2_connections_without_a_request_are_closed() {
    let (server, _fixture) = server_with(json!({ "header_read_timeout_ms": 300 })).await;
    for opening in [PREFACE.to_vec(), [PREFACE, EMPTY_SETTINGS].concat()] {
        let mut stream = connect(&server).await;
        stream.write_all(&opening).await.expect("write preface");
        read_until_closed(&mut stream).await;
    }
    // A partial preface is no better than silence.
    let mut stream = connect(&server).await;
    stream.write_all(&PREFACE[..10]).await.expect("write");
    read_until_closed(&mut stream).await;
    server.stop().await;
}

#[tokio::test]
async fn a_half_sent_request_head_is_closed() {
    let (server, _fixture) = server_with(json!({ "header_read_timeout_ms": 300 })).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("write");
    read_until_closed(&mut stream).await;
    server.stop().await;
}

#[tokio::test]
async fn idle_connections_are_closed_after_their_last_request() {
    let (server, _fixture) =
        server_with(json!({ "header_read_timeout_ms": 10000, "idle_timeout_ms": 300 })).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    // Keep-alive: the answer comes, then the server closes the idle connection.
    let received = read_until_closed(&mut stream).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"status\":\"ok\""), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn at_the_connection_cap_healthz_still_answers() {
    // Deadlines far away: only the cap's eviction of idle connections makes room.
    let (server, _fixture) = server_with(json!({
        "header_read_timeout_ms": 120000,
        "idle_timeout_ms": 120000,
        "max_connections": 4,
    }))
    .await;
    let mut silent = Vec::new();
    for _ in 0..12 {
        silent.push(connect(&server).await);
    }
    for attempt in 0..3 {
        let client = reqwest::Client::new();
        let response = client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap_or_else(|error| panic!("healthz {attempt}: {error}"));
        assert_eq!(response.status(), 200, "healthz {attempt}");
    }
    // The oldest silent connections made room: the server closed them.
    for stream in silent.iter_mut().take(4) {
        read_until_closed(stream).await;
    }
    server.stop().await;
}
