//! The load generator: keep-alive connections replaying requests for a
//! fixed time, on loopback. Transport errors and unexpected statuses are
//! counted, never tolerated. [`run_for`] is the core; [`run`] is the
//! end-to-end runs' mix of valid and invalid requests, and the bench
//! (`bench/load.rs`) interleaves contenders in rounds of [`run_for`].

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::http::Conn;

/// One request and the status it must get.
pub(crate) struct Shot {
    pub(crate) method: &'static str,
    pub(crate) target: &'static str,
    /// Header lines, each ending in `\r\n` (`content-length` is added).
    pub(crate) headers: &'static str,
    pub(crate) body: Cow<'static, [u8]>,
    pub(crate) status: u16,
    /// Another status that counts as right.
    pub(crate) or_status: Option<u16>,
}

/// `content-type: application/json`, as a header line.
const JSON: &str = "content-type: application/json\r\n";

impl Shot {
    /// `POST target` with a JSON body, expecting 200.
    pub(crate) fn post_json(target: &'static str, body: Vec<u8>) -> Shot {
        Shot {
            method: "POST",
            target,
            headers: JSON,
            body: Cow::Owned(body),
            status: 200,
            or_status: None,
        }
    }

    /// Sends it once on `conn`: the status and body length.
    pub(crate) fn send(&self, conn: &mut Conn) -> anyhow::Result<(u16, usize)> {
        conn.request(self.method, self.target, self.headers, &self.body)
    }

    /// Whether `status` is a right answer.
    fn accepts(&self, status: u16) -> bool {
        status == self.status || self.or_status == Some(status)
    }
}

/// What one or more load runs measured.
#[derive(Default)]
pub(crate) struct Stats {
    /// Requests sent, answered or not.
    pub(crate) requests: u64,
    /// Requests without a response (connect, write or read failed).
    pub(crate) transport_errors: u64,
    /// Responses with a status the [`Shot`] does not accept.
    pub(crate) wrong_status: u64,
    /// Wall time of the run (the sum over merged runs).
    pub(crate) seconds: f64,
    /// Latency of each answered request.
    latencies_ms: Vec<f64>,
    /// req/s in each round, when merged from rounds (the bench's
    /// `interleaved`), in order.
    pub(crate) per_round: Vec<f64>,
    pub(crate) first_error: Option<String>,
}

impl Stats {
    pub(crate) fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds.max(1e-9)
    }

    /// Transport errors plus wrong statuses.
    pub(crate) fn errors(&self) -> u64 {
        self.transport_errors + self.wrong_status
    }

    /// The latency at `p` (0..=1) in ms, nearest rank; 0 without answers.
    pub(crate) fn percentile(&self, p: f64) -> f64 {
        let mut all = self.latencies_ms.clone();
        all.sort_by(f64::total_cmp);
        if all.is_empty() {
            return 0.0;
        }
        all[((all.len() - 1) as f64 * p).round() as usize]
    }

    /// Adds `other`'s counts, time and latencies (not its `per_round`).
    pub(crate) fn merge(&mut self, other: Stats) {
        self.requests += other.requests;
        self.transport_errors += other.transport_errors;
        self.wrong_status += other.wrong_status;
        self.seconds += other.seconds;
        self.latencies_ms.extend(other.latencies_ms);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// `connections` clients replay `shots` in turn (client `i` starting at
/// shot `i`) against `addr` for `duration`. `on_tick` is called about once
/// a second from the calling thread (for memory samples).
pub(crate) fn run_for(
    addr: SocketAddr,
    shots: &[Shot],
    connections: usize,
    duration: Duration,
    mut on_tick: impl FnMut(),
) -> Stats {
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let mut total = Stats::default();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|i| {
                let stop = &stop;
                scope.spawn(move || client(addr, shots, i, stop))
            })
            .collect();
        while started.elapsed() < duration {
            std::thread::sleep(
                Duration::from_millis(1000).min(duration.saturating_sub(started.elapsed())),
            );
            on_tick();
        }
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            if let Ok(s) = w.join() {
                total.merge(s);
            }
        }
    });
    // Requests in flight at the stop finish after it: count the real time.
    total.seconds = started.elapsed().as_secs_f64();
    total
}

/// One client of [`run_for`]: replays `shots` from shot `first` on one
/// keep-alive connection (a new one after a transport error) until `stop`.
fn client(addr: SocketAddr, shots: &[Shot], first: usize, stop: &AtomicBool) -> Stats {
    let mut conn = Conn::new(addr);
    let mut s = Stats::default();
    for shot in shots.iter().cycle().skip(first) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let t = Instant::now();
        s.requests += 1;
        match shot.send(&mut conn) {
            Ok((status, _)) => {
                s.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                if !shot.accepts(status) {
                    s.wrong_status += 1;
                    s.first_error.get_or_insert_with(|| {
                        format!(
                            "{} {} → {status} (expected {})",
                            shot.method, shot.target, shot.status
                        )
                    });
                }
            }
            Err(e) => {
                s.transport_errors += 1;
                s.first_error
                    .get_or_insert_with(|| format!("{} {}: {e:#}", shot.method, shot.target));
                conn = Conn::new(addr);
            }
        }
    }
    s
}

/// The end-to-end runs' mix: valid and invalid requests, each with the
/// status it must get.
const MIX: &[Shot] = &[
    Shot {
        method: "GET",
        target: "/health",
        headers: "",
        body: Cow::Borrowed(b""),
        status: 200,
        or_status: None,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: JSON,
        body: Cow::Borrowed(br#"{"name":"Ada"}"#),
        status: 200,
        or_status: None,
    },
    Shot {
        method: "GET",
        target: "/items/42?fields=id",
        headers: "",
        body: Cow::Borrowed(b""),
        status: 200,
        or_status: None,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: JSON,
        body: Cow::Borrowed(br#"{"name": 42}"#),
        status: 400,
        or_status: None,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: JSON,
        body: Cow::Borrowed(b"{\"name\":"),
        status: 400,
        or_status: None,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: "",
        body: Cow::Borrowed(br#"{"name":"Ada"}"#),
        status: 415,
        or_status: None,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: JSON,
        body: Cow::Borrowed(br#"{"name":""}"#),
        status: 422,
        or_status: None,
    },
    Shot {
        method: "GET",
        target: "/nope",
        headers: "",
        body: Cow::Borrowed(b""),
        status: 404,
        or_status: None,
    },
    Shot {
        method: "GET",
        target: "/greet",
        headers: "",
        body: Cow::Borrowed(b""),
        status: 405,
        or_status: None,
    },
    Shot {
        method: "GET",
        target: "/items/%2E%2E",
        headers: "",
        body: Cow::Borrowed(b""),
        status: 400,
        // Runtimes that normalise URLs answer 404.
        or_status: Some(404),
    },
];

/// What an end-to-end load run measured.
pub(crate) struct LoadReport {
    pub(crate) requests: u64,
    pub(crate) transport_errors: u64,
    pub(crate) wrong_status: u64,
    pub(crate) seconds: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) first_error: Option<String>,
}

impl LoadReport {
    pub(crate) fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds.max(1e-9)
    }
}

/// Runs `connections` clients replaying the mix against `addr` for
/// `duration`. `on_tick` is called about once a second from the calling
/// thread (for memory samples).
pub(crate) fn run(
    addr: SocketAddr,
    connections: usize,
    duration: Duration,
    on_tick: impl FnMut(),
) -> LoadReport {
    let s = run_for(addr, MIX, connections, duration, on_tick);
    LoadReport {
        requests: s.requests,
        transport_errors: s.transport_errors,
        wrong_status: s.wrong_status,
        seconds: s.seconds,
        p50_ms: s.percentile(0.50),
        p99_ms: s.percentile(0.99),
        first_error: s.first_error,
    }
}

/// Resident memory of process `pid` in KiB (Linux), or `None`.
pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::time::Duration;

    use anyhow::Result;

    use super::{run_for, Shot};

    fn get(target: &'static str, status: u16) -> Shot {
        Shot {
            method: "GET",
            target,
            headers: "",
            body: Cow::Borrowed(b""),
            status,
            or_status: None,
        }
    }

    #[test]
    fn counts_requests_and_wrong_statuses() -> Result<()> {
        let addr = anyedge_test_upstream::spawn("127.0.0.1:0")?;
        let shots =
            [get("/hello", 200), get("/status/503", 503), Shot::post_json("/echo", b"{}".to_vec())];
        let mut ticks = 0;
        let s = run_for(addr, &shots, 4, Duration::from_millis(1500), || ticks += 1);
        assert!(s.requests > 30, "{} requests", s.requests);
        assert_eq!((s.transport_errors, s.wrong_status), (0, 0));
        assert!(ticks >= 1);
        // Keep-alive without a delayed ACK per request (40 ms or more each).
        assert!(s.percentile(0.5) < 35.0, "p50 {} ms", s.percentile(0.5));
        let wrong = run_for(addr, &[get("/nope", 200)], 1, Duration::from_millis(200), || {});
        assert!(wrong.requests > 0);
        assert_eq!(wrong.wrong_status, wrong.requests);
        assert_eq!(wrong.errors(), wrong.requests);
        assert!(wrong.first_error.is_some_and(|e| e.contains("GET /nope → 404 (expected 200)")));
        Ok(())
    }

    #[test]
    fn counts_transport_errors() -> Result<()> {
        // A port that was just free: nothing listens there.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let s = run_for(addr, &[get("/", 200)], 1, Duration::from_millis(200), || {});
        assert!(s.transport_errors > 0);
        assert_eq!(s.requests, s.transport_errors);
        assert_eq!(s.percentile(0.99), 0.0);
        Ok(())
    }
}
