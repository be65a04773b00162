//! Reading a body with a size cap, so a large body is refused after
//! `limit + 1` bytes instead of being buffered whole.

use std::io::{self, Read};

use bytes::Bytes;

/// A body read under a cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capped {
    /// The whole body, at most the limit.
    Within(Bytes),
    /// The body has more bytes than the limit; reading stopped there.
    Over,
}

/// Reads `reader` to the end, or until it has yielded more than `limit`
/// bytes. `check` runs before each read (the client uses it to enforce a
/// deadline); its error stops the read.
///
/// ```
/// use anyedge_fastly::body::{read_capped, Capped};
/// let ok = read_capped(&b"hello"[..], 5, || Ok(())).unwrap();
/// assert_eq!(ok, Capped::Within("hello".into()));
/// assert_eq!(read_capped(&b"hello!"[..], 5, || Ok(())).unwrap(), Capped::Over);
/// ```
pub fn read_capped<R: Read>(
    mut reader: R,
    limit: usize,
    mut check: impl FnMut() -> io::Result<()>,
) -> io::Result<Capped> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        check()?;
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(Capped::Within(Bytes::from(buf))),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.len() + n > limit {
            return Ok(Capped::Over);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_limit_is_within_and_one_more_is_over() {
        let body = vec![b'x'; 20_000];
        assert_eq!(
            read_capped(&body[..], 20_000, || Ok(())).ok(),
            Some(Capped::Within(Bytes::from(body.clone())))
        );
        assert_eq!(
            read_capped(&body[..], 19_999, || Ok(())).ok(),
            Some(Capped::Over)
        );
        assert_eq!(
            read_capped(&b""[..], 0, || Ok(())).ok(),
            Some(Capped::Within(Bytes::new()))
        );
    }

    #[test]
    fn check_errors_stop_the_read() {
        let mut calls = 0;
        let res = read_capped(&[0u8; 100_000][..], usize::MAX, || {
            calls += 1;
            if calls > 2 {
                Err(io::Error::new(io::ErrorKind::TimedOut, "deadline"))
            } else {
                Ok(())
            }
        });
        assert_eq!(res.map_err(|e| e.kind()), Err(io::ErrorKind::TimedOut));
    }
}
