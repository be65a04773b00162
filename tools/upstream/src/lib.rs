//! A deterministic HTTP/1.1 upstream on loopback, std only, one thread per
//! connection, keep-alive. Behaviour is chosen by path:
//!
//! | path | answer |
//! |---|---|
//! | `/hello` | 200 `{"greeting":"Hello from the local upstream"}` |
//! | `/status/{code}` | `code` with `{"status":code}` (429 and 503 also `retry-after: 7`) |
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
//!
//! Requests are parsed with `httparse`; bodies framed by `content-length` or
//! `transfer-encoding: chunked` are read, and the first 16 MiB of a body are
//! kept (the rest is read and dropped). A request that cannot be parsed gets
//! a 400 and the connection is closed. Each response goes out in one write
//! on a `TCP_NODELAY` socket: a head and a body in two writes would wait for
//! the client's delayed ACK (about 40 ms on Linux) on reused connections.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use httparse::Status;
use serde_json::{json, Map, Value};

mod data;

/// The most of a request body kept: the rest is read and dropped.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// The most a request head (or a chunk-size line, or the trailers) may take.
const MAX_HEAD: usize = 64 * 1024;
/// The most header fields a request (or its trailers) may have.
const MAX_HEADERS: usize = 100;

/// Starts the server on `addr` in a background thread; returns the bound
/// address (useful with port 0). The thread serves until the process ends.
pub fn spawn(addr: &str) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    std::thread::Builder::new()
        .name(format!("test upstream {local}"))
        .spawn(move || serve(listener))?;
    Ok(local)
}

/// Accepts connections on `listener` forever, one thread per connection.
pub fn serve(listener: TcpListener) {
    for stream in listener.incoming().flatten() {
        // Without a thread for it the connection is dropped (closed).
        let _ = std::thread::Builder::new().spawn(move || {
            let _ = handle_connection(stream);
        });
    }
}

/// A request as received: the raw target, header names lower-cased.
struct Received {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The client asked to close after this exchange (or spoke HTTP/1.0).
    close: bool,
}

/// Why no request could be read.
enum Failure {
    /// The connection failed or ended in the middle of a request.
    Io(io::Error),
    /// Not HTTP/1.1 as this server reads it: answered 400, then closed.
    Bad(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// How a request's body is delimited.
enum Framing {
    Length(u64),
    Chunked,
}

/// One connection and what has been read from it but not consumed yet.
struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
    /// What each read reads into (allocated once per connection).
    scratch: Vec<u8>,
}

impl Wire {
    /// Reads what is available into `buf`; `Ok(0)` at the end of the stream.
    fn fill(&mut self) -> io::Result<usize> {
        loop {
            match self.stream.read(&mut self.scratch) {
                Ok(n) => {
                    self.buf.extend_from_slice(&self.scratch[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// As [`Wire::fill`], but the end of the stream is an error (mid-request).
    fn fill_more(&mut self) -> Result<(), Failure> {
        if self.fill()? == 0 {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
        }
        Ok(())
    }

    /// The next request, or `Ok(None)` when the client closed between requests.
    fn read_request(&mut self) -> Result<Option<Received>, Failure> {
        let mut req = loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Request::new(&mut headers);
            match parsed.parse(&self.buf) {
                Ok(Status::Complete(len)) => {
                    let req = received(&parsed);
                    self.buf.drain(..len);
                    break req;
                }
                Ok(Status::Partial) => {}
                Err(e) => return Err(Failure::Bad(format!("bad request: {e}"))),
            }
            if self.buf.len() > MAX_HEAD {
                return Err(Failure::Bad("request head too large".into()));
            }
            if self.fill()? == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
            }
        };
        let framing = framing(&req.headers)?;
        if !matches!(framing, Framing::Length(0))
            && header(&req.headers, "expect")
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        match framing {
            Framing::Length(n) => self.read_body(n, &mut req.body)?,
            Framing::Chunked => self.read_chunked(&mut req.body)?,
        }
        Ok(Some(req))
    }

    /// Moves the next `n` bytes into `body` while it holds less than
    /// [`MAX_BODY`]; drops the rest.
    fn read_body(&mut self, mut n: u64, body: &mut Vec<u8>) -> Result<(), Failure> {
        while n > 0 {
            if self.buf.is_empty() {
                self.fill_more()?;
            }
            let take = self.buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            let keep = take.min(MAX_BODY.saturating_sub(body.len()));
            body.extend_from_slice(&self.buf[..keep]);
            self.buf.drain(..take);
            n -= take as u64;
        }
        Ok(())
    }

    /// Decodes a chunked body into `body` (bounded as [`Wire::read_body`]),
    /// trailers read and dropped.
    fn read_chunked(&mut self, body: &mut Vec<u8>) -> Result<(), Failure> {
        loop {
            let size = loop {
                match httparse::parse_chunk_size(&self.buf) {
                    Ok(Status::Complete((len, size))) => {
                        self.buf.drain(..len);
                        break size;
                    }
                    Ok(Status::Partial) if self.buf.len() > MAX_HEAD => {
                        return Err(Failure::Bad("chunk size line too long".into()))
                    }
                    Ok(Status::Partial) => self.fill_more()?,
                    Err(e) => return Err(Failure::Bad(format!("bad chunked body: {e}"))),
                }
            };
            if size == 0 {
                return self.skip_trailers();
            }
            self.read_body(size, body)?;
            while self.buf.len() < 2 {
                self.fill_more()?;
            }
            if !self.buf.starts_with(b"\r\n") {
                return Err(Failure::Bad("bad chunked body: no CRLF after a chunk".into()));
            }
            self.buf.drain(..2);
        }
    }

    /// Reads the trailer section after the last chunk (up to its empty line).
    fn skip_trailers(&mut self) -> Result<(), Failure> {
        loop {
            let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            match httparse::parse_headers(&self.buf, &mut trailers) {
                Ok(Status::Complete((len, _))) => {
                    self.buf.drain(..len);
                    return Ok(());
                }
                Ok(Status::Partial) if self.buf.len() > MAX_HEAD => {
                    return Err(Failure::Bad("trailers too large".into()))
                }
                Ok(Status::Partial) => self.fill_more()?,
                Err(e) => return Err(Failure::Bad(format!("bad trailers: {e}"))),
            }
        }
    }

    /// Writes `answer` in one write (without its body for a HEAD request).
    fn write_answer(&mut self, answer: &Answer, head_only: bool, close: bool) -> io::Result<()> {
        let (status, content_type, body, extra) = answer;
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n",
            reason(*status),
            body.len()
        );
        for (k, v) in extra {
            let _ = write!(head, "{k}: {v}\r\n");
        }
        if close {
            head.push_str("connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        if !head_only {
            out.extend_from_slice(body);
        }
        self.stream.write_all(&out)?;
        self.stream.flush()
    }
}

/// The parts of a parsed request head that [`respond`] uses, owned.
fn received(parsed: &httparse::Request<'_, '_>) -> Received {
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).trim().to_owned()))
        .collect();
    let connection = header(&headers, "connection").map(str::to_ascii_lowercase);
    let has = |token: &str| {
        connection.as_deref().is_some_and(|c| c.split(',').any(|t| t.trim() == token))
    };
    let close = has("close") || (parsed.version == Some(0) && !has("keep-alive"));
    Received {
        method: parsed.method.unwrap_or("").to_owned(),
        target: parsed.path.unwrap_or("/").to_owned(),
        headers,
        body: Vec::new(),
        close,
    }
}

/// The first value of header `name` (lower case).
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The body's framing (RFC 9112 §6.3): chunked when it is the last transfer
/// coding, else `content-length` (all its values equal), else none.
fn framing(headers: &[(String, String)]) -> Result<Framing, Failure> {
    let codings: Vec<&str> = headers
        .iter()
        .filter(|(k, _)| k == "transfer-encoding")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(last) = codings.last() {
        if last.eq_ignore_ascii_case("chunked") {
            return Ok(Framing::Chunked);
        }
        return Err(Failure::Bad(format!(
            "transfer-encoding `{}` does not end in chunked",
            codings.join(", ")
        )));
    }
    let mut length = None;
    for v in headers.iter().filter(|(k, _)| k == "content-length").flat_map(|(_, v)| v.split(',')) {
        let n: u64 = v
            .trim()
            .parse()
            .map_err(|_| Failure::Bad(format!("bad content-length `{}`", v.trim())))?;
        if length.is_some_and(|l| l != n) {
            return Err(Failure::Bad("conflicting content-length values".into()));
        }
        length = Some(n);
    }
    Ok(Framing::Length(length.unwrap_or(0)))
}

fn handle_connection(stream: TcpStream) -> io::Result<()> {
    // One write per response and no Nagle: a head and a body in two writes
    // would wait for the client's delayed ACK (about 40 ms) on reused connections.
    stream.set_nodelay(true)?;
    let mut wire = Wire { stream, buf: Vec::new(), scratch: vec![0; 64 * 1024] };
    loop {
        match wire.read_request() {
            Ok(Some(req)) => {
                let answer = respond(&req);
                wire.write_answer(&answer, req.method == "HEAD", req.close)?;
                if req.close {
                    return Ok(());
                }
            }
            Ok(None) => return Ok(()),
            Err(Failure::Bad(why)) => {
                let answer = json_answer(400, json!({ "error": why }));
                return wire.write_answer(&answer, false, true);
            }
            Err(Failure::Io(e)) => return Err(e),
        }
    }
}

type Answer = (u16, &'static str, Vec<u8>, Vec<(&'static str, String)>);

fn json_answer(status: u16, value: Value) -> Answer {
    (status, "application/json", value.to_string().into_bytes(), vec![])
}

fn respond(req: &Received) -> Answer {
    let (path, query) = req.target.split_once('?').unwrap_or((req.target.as_str(), ""));
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
            let code = code.parse().ok().filter(|c| (200..600).contains(c)).unwrap_or(400);
            let mut answer = json_answer(code, json!({"status": code}));
            if code == 429 || code == 503 {
                answer.3.push(("retry-after", "7".to_owned()));
            }
            answer
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
        ["redirect"] => {
            (302, "application/json", b"{}".to_vec(), vec![("location", "/hello".to_owned())])
        }
        ["echo", ..] => {
            let headers: Map<String, Value> =
                req.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
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
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
