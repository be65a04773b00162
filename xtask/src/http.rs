//! A tiny raw HTTP/1.1 client for the conformance runner: it sends exactly
//! the bytes a case asks for (odd methods, invalid UTF-8, no content-type),
//! which general clients refuse or rewrite.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// A response as read off the wire.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    /// Header names lower-cased, in order.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl RawResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request on a fresh connection (`Connection: close`).
pub(crate) fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<RawResponse> {
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).with_context(|| format!("connect to {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    // Write the body from another thread while reading: a server may answer
    // (a 413, say) and close before it has read the whole upload.
    let mut writer = stream.try_clone()?;
    let upload = body.to_vec();
    let write = std::thread::spawn(move || writer.write_all(&upload));
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // A server may reset after answering an upload it did not read.
            Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => return Err(e).context("read response"),
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = write.join();
    parse(&raw, method == "HEAD")
}

fn parse(raw: &[u8], head_only: bool) -> Result<RawResponse> {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        bail!("no complete response head in {} bytes", raw.len());
    };
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line `{status_line}`"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if head_only {
        Vec::new()
    } else if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            bail!("truncated chunked body");
        };
        let size_str = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)
            .with_context(|| format!("bad chunk size `{size_str}`"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// A keep-alive HTTP/1.1 connection for the load run.
pub(crate) struct Conn {
    addr: SocketAddr,
    stream: Option<std::io::BufReader<TcpStream>>,
}

impl Conn {
    pub(crate) fn new(addr: SocketAddr) -> Conn {
        Conn { addr, stream: None }
    }

    /// Sends one request and reads its response (status, body length),
    /// reconnecting when the server closed the connection.
    pub(crate) fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &str,
        body: &[u8],
    ) -> Result<(u16, usize)> {
        use std::io::BufRead;
        if self.stream.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.stream = Some(std::io::BufReader::new(s));
        }
        let Some(reader) = self.stream.as_mut() else {
            bail!("no connection");
        };
        let head = format!(
            "{method} {target} HTTP/1.1\r\nhost: {}\r\n{headers}content-length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body);
        reader.get_mut().write_all(&req)?;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            self.stream = None;
            bail!("connection closed before the response");
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line `{}`", line.trim_end()))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
                match k.as_str() {
                    "content-length" => length = v.parse::<usize>().ok(),
                    "transfer-encoding" => chunked = v.contains("chunked"),
                    "connection" => close = v.contains("close"),
                    _ => {}
                }
            }
        }
        let mut size = 0;
        if method == "HEAD" || status == 204 || status == 304 {
        } else if chunked {
            loop {
                line.clear();
                reader.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .with_context(|| format!("bad chunk size `{}`", line.trim()))?;
                let mut chunk = vec![0; n + 2];
                reader.read_exact(&mut chunk)?;
                size += n;
                if n == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            let mut buf = vec![0; n];
            reader.read_exact(&mut buf)?;
            size = n;
        } else {
            let mut buf = Vec::new();
            reader.read_to_end(&mut buf)?;
            size = buf.len();
            close = true;
        }
        if close {
            self.stream = None;
        }
        Ok((status, size))
    }
}
