//! The bench's own upstream: answers `GET /hello` with a small JSON object,
//! head and body in one write, with `TCP_NODELAY`.
//!
//! (`tools/upstream` writes the head and the body separately without
//! `TCP_NODELAY`; on a keep-alive connection the second write then waits
//! for the client's delayed ACK, about 40 ms on Linux, which is what workerd's
//! outbound `fetch` saw: every greet took ≥ 40 ms whatever the Worker did.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use anyhow::{Context, Result};

const BODY: &str = r#"{"greeting":"Hello from the local upstream"}"#;

/// Listens on `addr` and serves from background threads until the process ends.
pub(crate) fn start(addr: SocketAddr) -> Result<()> {
    let listener = TcpListener::bind(addr).with_context(|| format!("bind {addr}"))?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = serve(stream);
            });
        }
    });
    Ok(())
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.trim().eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length.min(1 << 20)];
        reader.read_exact(&mut body)?;
        let (status, body) = if target == "/hello" {
            ("200 OK", BODY)
        } else {
            ("404 Not Found", r#"{"error":"not found"}"#)
        };
        let res = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        writer.write_all(res.as_bytes())?;
    }
}
