//! A small blocking HTTP/1.1 client for recording cassettes against the loopback fixture site.
//!
//! Plain `http://` only; follows redirects (up to 10) unless the request says not to; reads
//! `Content-Length`, chunked and close-delimited bodies. It is a test tool, not a browser.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use url::Url;

use super::jar::Jar;
use crate::http::{FetchError, Method, Request, Response};

const MAX_REDIRECTS: usize = 10;

/// Sends a request, following redirects, with the jar's cookies; stores answered cookies.
pub(crate) fn send(request: &Request, jar: &mut Jar) -> Result<Response, FetchError> {
    let mut url =
        Url::parse(&request.url).map_err(|error| FetchError::InvalidUrl(error.to_string()))?;
    let mut method = request.method;
    let mut body = request.body.clone();
    for _ in 0..=MAX_REDIRECTS {
        let (status, headers, response_body) =
            send_once(method, &url, &request.headers, body.as_deref(), jar)?;
        jar.store_from(url.as_str(), &headers);
        let location = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("location"))
            .map(|(_, value)| value.clone());
        let follow = request.follow_redirects.unwrap_or(true);
        match location {
            Some(location) if follow && matches!(status, 301 | 302 | 303 | 307 | 308) => {
                url = url
                    .join(&location)
                    .map_err(|error| FetchError::InvalidUrl(error.to_string()))?;
                if status == 303 || ((status == 301 || status == 302) && method == Method::Post) {
                    method = Method::Get;
                    body = None;
                }
            }
            _ => {
                return Ok(Response {
                    status,
                    headers,
                    body: response_body,
                    final_url: url.to_string(),
                });
            }
        }
    }
    Err(FetchError::TooManyRedirects)
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

fn send_once(
    method: Method,
    url: &Url,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    jar: &Jar,
) -> Result<Answer, FetchError> {
    if url.scheme() != "http" {
        return Err(FetchError::InvalidUrl(format!(
            "the recorder speaks http only: {url}"
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| FetchError::InvalidUrl(format!("no host in {url}")))?;
    let port = url.port_or_known_default().unwrap_or(80);
    let network = |error: std::io::Error| FetchError::Network(error.to_string());
    let mut stream = TcpStream::connect((host, port)).map_err(network)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(network)?;
    let mut path = url.path().to_string();
    if let Some(query) = url.query() {
        path = format!("{path}?{query}");
    }
    let host_header = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let mut head = format!(
        "{} {path} HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\nAccept-Encoding: identity\r\nUser-Agent: kura-plugin-sdk-recorder\r\n",
        method.as_str()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(cookie) = jar.header(url.as_str()) {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(network)?;
    if let Some(body) = body {
        stream.write_all(body).map_err(network)?;
    }
    read_answer(BufReader::new(stream), method == Method::Head).map_err(network)
}

fn read_answer(mut reader: impl BufRead, is_head: bool) -> std::io::Result<Answer> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            // Headers that change on every run would only make cassettes churn.
            if !matches!(name.as_str(), "date" | "connection") {
                headers.push((name, value.trim().to_string()));
            }
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value): &(String, String)| value.clone())
    };
    let mut body = Vec::new();
    if is_head || status == 204 || status == 304 {
        // No body.
    } else if header("transfer-encoding").is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size_text = size_line.trim().split(';').next().unwrap_or_default();
            let size =
                usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
            if size == 0 {
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
        }
    } else if let Some(length) =
        header("content-length").and_then(|value| value.parse::<usize>().ok())
    {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
    }
    Ok((status, headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_chunked_and_sized_bodies() {
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=b; Path=/\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let (status, headers, body) = read_answer(&chunked[..], false).expect("chunked answer");
        assert_eq!((status, body.as_slice()), (200, &b"abcde"[..]));
        assert!(headers.contains(&("set-cookie".to_string(), "a=b; Path=/".to_string())));
        let sized = b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope and more";
        let (status, _, body) = read_answer(&sized[..], false).expect("sized answer");
        assert_eq!((status, body.as_slice()), (404, &b"nope"[..]));
    }
}
