//! The demo upstream `cargo run` starts when `API_URL` is not set: answers
//! `GET /hello` with `{"greeting":"Hello from the demo upstream"}`, 404 to
//! anything else.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

/// Listens on `addr` in a background thread; returns the `/hello` URL.
/// Fails with `AddrInUse` when something already listens there.
pub(crate) fn spawn(addr: &str) -> std::io::Result<String> {
    let listener = TcpListener::bind(addr)?;
    let url = format!("http://{}/hello", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    Ok(url)
}

fn answer(stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Skip the headers; GET requests carry no body.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let (status, body) = if request_line.starts_with("GET /hello ") {
        ("200 OK", r#"{"greeting":"Hello from the demo upstream"}"#)
    } else {
        (
            "404 Not Found",
            r#"{"error":"the demo upstream only serves GET /hello"}"#,
        )
    };
    let _ = write!(
        writer,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}
