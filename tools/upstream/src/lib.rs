//! A deterministic HTTP/1.1 upstream on loopback, std only, one thread per
//! connection, keep-alive. Behaviour is chosen by path:
//!
//! | path | answer |
//! |---|---|
//! | `/hello` | 200 `{"greeting":"Hello from the local upstream"}` |
//! | `/status/{code}` | `code` with `{"status":code}` |
//! | `/slow/{ms}` | waits `ms`, then 200 `{"slept_ms":ms}` |
//! | `/text` | 200 `text/plain` body that is not JSON |
//! | `/big/{bytes}` | 200 JSON string of about `bytes` bytes |
//! | `/redirect` | 302 to `/hello` |
//! | `/echo` | 200 JSON of the method, path, query, headers and body received |
//! | `/items/{id}` | as above by id: `slow` (3 s), `status-{code}`, `text`, `big` (2 MB), `redirect`; any other id: the echo |
//! | `/data/...` | the transform examples' data sets (`data.rs`) |
//! | anything else | 404 `{"error":"no such path"}` |
//!
//! Paths are matched raw (not percent-decoded), so the echo shows exactly
//! what arrived.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use serde_json::{json, Map, Value};

mod data;

/// Starts the server on `addr` in a background thread; returns the bound address.
pub fn spawn(addr: &str) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    std::thread::spawn(move || serve(listener));
    Ok(local)
}

/// Accepts connections forever.
pub fn serve(listener: TcpListener) {
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || {
            let _ = handle_connection(stream);
        });
    }
}

struct Received {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Received>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
            if k == "content-length" {
                length = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut body = vec![0; length.min(16 * 1024 * 1024)];
    reader.read_exact(&mut body)?;
    Ok(Some(Received {
        method,
        target,
        headers,
        body,
    }))
}

fn handle_connection(stream: TcpStream) -> std::io::Result<()> {
    // One write per response and no Nagle: a head and a body in two writes
    // would wait for the client's delayed ACK (about 40 ms) on reused connections.
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader)? {
        let (status, content_type, body, extra) = respond(&req);
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n",
            reason(status),
            body.len()
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        if req.method != "HEAD" {
            out.extend_from_slice(&body);
        }
        writer.write_all(&out)?;
        writer.flush()?;
    }
    Ok(())
}

type Answer = (u16, &'static str, Vec<u8>, Vec<(&'static str, String)>);

fn json_answer(status: u16, value: Value) -> Answer {
    (
        status,
        "application/json",
        value.to_string().into_bytes(),
        vec![],
    )
}

fn respond(req: &Received) -> Answer {
    let (path, query) = req
        .target
        .split_once('?')
        .unwrap_or((req.target.as_str(), ""));
    if let Some((status, value)) = data::respond(path, query) {
        return json_answer(status, value);
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let segments: Vec<&str> = match segments.as_slice() {
        ["items", "slow"] => vec!["slow", "3000"],
        ["items", "text"] => vec!["text"],
        ["items", "big"] => vec!["big", "2000000"],
        ["items", "redirect"] => vec!["redirect"],
        ["items", id] if id.starts_with("status-") => vec!["status", &id[7..]],
        ["items", _] => vec!["echo"],
        _ => segments,
    };
    match segments.as_slice() {
        ["hello"] => json_answer(200, json!({"greeting": "Hello from the local upstream"})),
        ["status", code] => {
            let code = code
                .parse()
                .ok()
                .filter(|c| (200..600).contains(c))
                .unwrap_or(400);
            json_answer(code, json!({"status": code}))
        }
        ["slow", ms] => {
            let ms: u64 = ms.parse().unwrap_or(0).min(60_000);
            std::thread::sleep(Duration::from_millis(ms));
            json_answer(200, json!({"slept_ms": ms}))
        }
        ["text"] => (200, "text/plain", b"this is not JSON".to_vec(), vec![]),
        ["big", bytes] => {
            let n: usize = bytes.parse().unwrap_or(0).min(64 * 1024 * 1024);
            json_answer(200, Value::String("x".repeat(n)))
        }
        ["redirect"] => (
            302,
            "application/json",
            b"{}".to_vec(),
            vec![("location", "/hello".to_owned())],
        ),
        ["echo", ..] => {
            let headers: Map<String, Value> = req
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            json_answer(
                200,
                json!({
                    "method": req.method,
                    "path": path,
                    "query": query,
                    "headers": headers,
                    "body": String::from_utf8_lossy(&req.body),
                }),
            )
        }
        _ => json_answer(404, json!({"error": "no such path"})),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
