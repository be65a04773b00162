//! A small HTTP/1.1 client on `httparse`, with one response reader
//! ([`Wire::read_response`]) for both of its uses:
//!
//! - [`send`], the conformance runner's one-shot request: it sends exactly
//!   the bytes a case asks for (odd methods, invalid UTF-8, no
//!   content-type), which general clients refuse or rewrite;
//! - [`Conn`], a keep-alive connection for the load runs.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use httparse::Status;

/// The most header fields a response (or its trailers) may have.
const MAX_HEADERS: usize = 128;

/// The most a response head, a chunk-size line or the trailers may take.
const MAX_HEAD: usize = 256 * 1024;

/// A response as read off the wire.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    /// Header names lower-cased, in order.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl RawResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Whether `name`'s comma-separated values include `token` (any case).
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// Sends one request on a fresh connection (`Connection: close`) and reads
/// its response.
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
    let mut wire = Wire::new(stream, true);
    let res = wire.read_response(method == "HEAD");
    let _ = wire.stream.shutdown(Shutdown::Both);
    let _ = write.join();
    Ok(res?.0)
}

/// A keep-alive HTTP/1.1 connection for the load runs.
pub(crate) struct Conn {
    addr: SocketAddr,
    wire: Option<Wire>,
}

impl Conn {
    pub(crate) fn new(addr: SocketAddr) -> Conn {
        Conn { addr, wire: None }
    }

    /// Sends one request and reads its response (status, body length),
    /// connecting first when there is no open connection. After an error,
    /// or a response that closes the connection, the next request connects
    /// again.
    pub(crate) fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &str,
        body: &[u8],
    ) -> Result<(u16, usize)> {
        let result = self.exchange(method, target, headers, body);
        if !matches!(result, Ok((_, false))) {
            self.wire = None;
        }
        result.map(|(res, _)| (res.status, res.body.len()))
    }

    /// One request and its response, and whether the connection closes.
    fn exchange(
        &mut self,
        method: &str,
        target: &str,
        headers: &str,
        body: &[u8],
    ) -> Result<(RawResponse, bool)> {
        let wire = match &mut self.wire {
            Some(wire) => wire,
            empty => {
                let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))?;
                s.set_nodelay(true)?;
                s.set_read_timeout(Some(Duration::from_secs(30)))?;
                empty.insert(Wire::new(s, false))
            }
        };
        let head = format!(
            "{method} {target} HTTP/1.1\r\nhost: {}\r\n{headers}content-length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body);
        wire.stream.write_all(&req)?;
        wire.read_response(method == "HEAD")
    }
}

/// One connection and what has been read from it but not consumed yet.
struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
    /// What each read reads into (allocated once per connection).
    scratch: Vec<u8>,
    /// Bytes received so far.
    received: usize,
    /// A reset after some bytes arrived reads as the end of the stream (a
    /// server may reset after answering an upload it did not read).
    reset_is_end: bool,
}

impl Wire {
    fn new(stream: TcpStream, reset_is_end: bool) -> Wire {
        Wire { stream, buf: Vec::new(), scratch: vec![0; 64 * 1024], received: 0, reset_is_end }
    }

    /// Reads what is available into `buf`; `false` at the end of the stream.
    fn fill(&mut self) -> Result<bool> {
        loop {
            match self.stream.read(&mut self.scratch) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&self.scratch[..n]);
                    self.received += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if self.reset_is_end
                        && self.received > 0
                        && e.kind() == std::io::ErrorKind::ConnectionReset =>
                {
                    return Ok(false)
                }
                Err(e) => return Err(e).context("read response"),
            }
        }
    }

    /// As [`Wire::fill`], but the end of the stream is an error, in `what`.
    fn fill_more(&mut self, what: &str) -> Result<()> {
        if !self.fill()? {
            bail!("connection closed in {what}");
        }
        Ok(())
    }

    /// Reads one response, skipping interim (1xx) ones, and whether the
    /// connection closes after it. `head_only`: the answer to a HEAD, so
    /// without a body whatever its headers say.
    fn read_response(&mut self, head_only: bool) -> Result<(RawResponse, bool)> {
        let (mut res, http10) = loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Response::new(&mut headers);
            match parsed.parse(&self.buf) {
                Ok(Status::Complete(len)) => {
                    let res = RawResponse {
                        status: parsed.code.unwrap_or(0),
                        headers: parsed
                            .headers
                            .iter()
                            .map(|h| {
                                (
                                    h.name.to_ascii_lowercase(),
                                    String::from_utf8_lossy(h.value).trim().to_owned(),
                                )
                            })
                            .collect(),
                        body: Vec::new(),
                    };
                    let http10 = parsed.version == Some(0);
                    self.buf.drain(..len);
                    if (100..200).contains(&res.status) && res.status != 101 {
                        continue;
                    }
                    break (res, http10);
                }
                Ok(Status::Partial) => {}
                Err(e) => bail!(
                    "bad response head ({e}): `{}`",
                    String::from_utf8_lossy(&self.buf[..self.buf.len().min(200)])
                ),
            }
            if self.buf.len() > MAX_HEAD {
                bail!("response head longer than {MAX_HEAD} bytes");
            }
            if !self.fill()? {
                if self.buf.is_empty() {
                    bail!("connection closed before the response");
                }
                bail!("no complete response head in {} bytes", self.buf.len());
            }
        };
        let mut close = res.has_token("connection", "close")
            || (http10 && !res.has_token("connection", "keep-alive"));
        let chunked = res
            .headers
            .iter()
            .filter(|(k, _)| k == "transfer-encoding")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .rfind(|c| !c.is_empty())
            .is_some_and(|c| c.eq_ignore_ascii_case("chunked"));
        let length = match res.header("content-length") {
            Some(v) => {
                Some(v.parse::<usize>().with_context(|| format!("bad content-length `{v}`"))?)
            }
            None => None,
        };
        if head_only || res.status == 204 || res.status == 304 {
        } else if chunked {
            res.body = self.read_chunked()?;
        } else if let Some(n) = length {
            while self.buf.len() < n {
                if !self.fill()? {
                    bail!("connection closed after {} of {n} body bytes", self.buf.len());
                }
            }
            res.body = self.buf.drain(..n).collect();
        } else {
            // No length: the body is what arrives until the server closes.
            while self.fill()? {}
            res.body = std::mem::take(&mut self.buf);
            close = true;
        }
        Ok((res, close))
    }

    /// Decodes a chunked body; trailers are read and dropped.
    fn read_chunked(&mut self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let size = loop {
                match httparse::parse_chunk_size(&self.buf) {
                    Ok(Status::Complete((len, size))) => {
                        self.buf.drain(..len);
                        break usize::try_from(size).context("chunk size")?;
                    }
                    Ok(Status::Partial) if self.buf.len() > MAX_HEAD => {
                        bail!("chunk size line longer than {MAX_HEAD} bytes")
                    }
                    Ok(Status::Partial) => self.fill_more("a chunk size line")?,
                    Err(_) => bail!(
                        "bad chunk size line `{}`",
                        String::from_utf8_lossy(&self.buf[..self.buf.len().min(40)])
                    ),
                }
            };
            if size == 0 {
                return self.skip_trailers().map(|()| body);
            }
            let end = size.checked_add(2).context("chunk size")?;
            while self.buf.len() < end {
                self.fill_more("a chunk")?;
            }
            if &self.buf[size..end] != b"\r\n" {
                bail!("chunk of {size} bytes not followed by CRLF");
            }
            body.extend_from_slice(&self.buf[..size]);
            self.buf.drain(..end);
        }
    }

    /// Reads the trailer section after the last chunk (up to its empty line).
    fn skip_trailers(&mut self) -> Result<()> {
        loop {
            let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            match httparse::parse_headers(&self.buf, &mut trailers) {
                Ok(Status::Complete((len, _))) => {
                    self.buf.drain(..len);
                    return Ok(());
                }
                Ok(Status::Partial) if self.buf.len() > MAX_HEAD => {
                    bail!("trailers longer than {MAX_HEAD} bytes")
                }
                Ok(Status::Partial) => self.fill_more("the trailers")?,
                Err(e) => bail!("bad trailers: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener};
    use std::time::Duration;

    use anyhow::Result;

    use super::{send, Conn};

    const SECS: Duration = Duration::from_secs(10);

    fn upstream() -> Result<SocketAddr> {
        Ok(anyedge_test_upstream::spawn("127.0.0.1:0")?)
    }

    /// A server that answers each connection with `answer` (after reading
    /// the request head), then closes: for what the upstream never sends.
    fn scripted(answer: &'static [u8]) -> Result<SocketAddr> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let _ = s.write_all(answer);
            }
        });
        Ok(addr)
    }

    #[test]
    fn send_reads_bodies_heads_and_raw_bytes() -> Result<()> {
        let addr = upstream()?;
        let res = send(addr, "GET", "/hello", &[], b"", SECS)?;
        assert_eq!(res.status, 200);
        assert_eq!(res.body, br#"{"greeting":"Hello from the local upstream"}"#);
        let res = send(addr, "HEAD", "/hello", &[], b"", SECS)?;
        assert_eq!((res.status, res.body.len()), (200, 0));
        assert_eq!(res.header("content-length"), Some("44"));
        let headers = [("X-Odd".to_owned(), "yes".to_owned())];
        let res = send(addr, "PURGE", "/echo?a=%2F", &headers, b"\xff\xfe", SECS)?;
        let echo: serde_json::Value = serde_json::from_slice(&res.body)?;
        assert_eq!(echo["method"], "PURGE");
        assert_eq!(echo["query"], "a=%2F");
        assert_eq!(echo["headers"]["x-odd"], "yes");
        assert_eq!(echo["body"], "\u{fffd}\u{fffd}");
        let res = send(addr, "GET", "/big/3000000", &[], b"", SECS)?;
        assert_eq!(res.body.len(), 3_000_002);
        Ok(())
    }

    #[test]
    fn chunked_interim_and_until_close_bodies() -> Result<()> {
        let chunked = scripted(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
              5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n",
        )?;
        let res = send(chunked, "GET", "/", &[], b"", SECS)?;
        assert_eq!((res.status, res.body.as_slice()), (200, &b"hello world"[..]));
        assert_eq!(Conn::new(chunked).request("GET", "/", "", b"")?, (200, 11));
        let until_close = scripted(b"HTTP/1.0 203 Whatever\r\nx: y\r\n\r\nto the end")?;
        let res = send(until_close, "GET", "/", &[], b"", SECS)?;
        assert_eq!((res.status, res.body.as_slice()), (203, &b"to the end"[..]));
        let truncated = scripted(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort")?;
        assert!(send(truncated, "GET", "/", &[], b"", SECS).is_err());
        Ok(())
    }

    #[test]
    fn send_tolerates_a_reset_after_the_answer() -> Result<()> {
        // Answers before reading the upload, then closes with it unread.
        let addr = scripted(b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n")?;
        let upload = vec![b'x'; 8 * 1024 * 1024];
        let res = send(addr, "POST", "/", &[], &upload, SECS)?;
        assert_eq!(res.status, 413);
        Ok(())
    }

    #[test]
    fn conn_keeps_the_connection_alive() -> Result<()> {
        let addr = upstream()?;
        let mut conn = Conn::new(addr);
        let json = "content-type: application/json\r\n";
        assert_eq!(conn.request("GET", "/hello", "", b"")?, (200, 44));
        assert_eq!(conn.request("GET", "/status/503", "", b"")?.0, 503);
        assert_eq!(conn.request("HEAD", "/hello", "", b"")?, (200, 0));
        assert_eq!(conn.request("POST", "/echo", json, b"{}")?.0, 200);
        assert_eq!(conn.request("GET", "/big/100000", "", b"")?, (200, 100_002));
        // Still the first connection (same local port).
        let first = conn.wire.as_ref().map(|w| w.stream.local_addr().ok());
        assert_eq!(conn.request("GET", "/hello", "", b"")?, (200, 44));
        let now = conn.wire.as_ref().map(|w| w.stream.local_addr().ok());
        assert_eq!(first, now);
        Ok(())
    }
}
