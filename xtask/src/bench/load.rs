//! Load generation for the bench: keep-alive connections replaying one
//! request for a fixed time, contenders interleaved in short rounds.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::Conn;

/// The request a load run replays and the status it must get.
pub(crate) struct Shot {
    pub(crate) target: &'static str,
    pub(crate) body: Arc<Vec<u8>>,
    pub(crate) status: u16,
}

impl Shot {
    /// `POST target` with a JSON body.
    pub(crate) fn post_json(target: &'static str, body: Vec<u8>) -> Shot {
        Shot {
            target,
            body: Arc::new(body),
            status: 200,
        }
    }

    /// Sends it once on `conn`: the status and body length.
    pub(crate) fn send(&self, conn: &mut Conn) -> anyhow::Result<(u16, usize)> {
        conn.request(
            "POST",
            self.target,
            "content-type: application/json\r\n",
            &self.body,
        )
    }
}

/// What the rounds of one contender measured, merged.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) seconds: f64,
    latencies_ms: Vec<f64>,
    /// req/s in each round of [`interleaved`], in order.
    pub(crate) per_round: Vec<f64>,
    pub(crate) first_error: Option<String>,
}

impl Stats {
    pub(crate) fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds.max(1e-9)
    }

    pub(crate) fn percentile(&self, p: f64) -> f64 {
        let mut all = self.latencies_ms.clone();
        all.sort_by(f64::total_cmp);
        if all.is_empty() {
            return 0.0;
        }
        all[((all.len() - 1) as f64 * p).round() as usize]
    }

    fn merge(&mut self, other: Stats) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.seconds += other.seconds;
        self.latencies_ms.extend(other.latencies_ms);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// `connections` clients replay `shot` against `addr` for `duration`.
pub(crate) fn run_for(
    addr: SocketAddr,
    shot: &Shot,
    connections: usize,
    duration: Duration,
) -> Stats {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let stop = stop.clone();
            let shot = Shot {
                target: shot.target,
                body: shot.body.clone(),
                status: shot.status,
            };
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let mut s = Stats::default();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    match shot.send(&mut conn) {
                        Ok((status, _)) => {
                            s.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                            s.requests += 1;
                            if status != shot.status {
                                s.errors += 1;
                                s.first_error.get_or_insert_with(|| {
                                    format!("{} → {status} (expected {})", shot.target, shot.status)
                                });
                            }
                        }
                        Err(e) => {
                            s.requests += 1;
                            s.errors += 1;
                            s.first_error
                                .get_or_insert_with(|| format!("{}: {e:#}", shot.target));
                            conn = Conn::new(addr);
                        }
                    }
                }
                s
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut total = Stats::default();
    for w in workers {
        if let Ok(s) = w.join() {
            total.merge(s);
        }
    }
    // Requests in flight at the stop finish after it: count the real time.
    total.seconds = started.elapsed().as_secs_f64();
    total
}

/// The median, minimum and maximum over rounds of `a`'s req/s divided by
/// `b`'s in the same round: a drift of the machine during the run moves
/// both sides of each round alike, so this is steadier than the ratio of
/// the totals.
pub(crate) fn round_ratios(a: &Stats, b: &Stats) -> (f64, f64, f64) {
    let r: Vec<f64> = a
        .per_round
        .iter()
        .zip(&b.per_round)
        .map(|(x, y)| x / y.max(1e-9))
        .collect();
    if r.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (super::median(r), lo, hi)
}

/// Runs every contender (name, address, request) for `total` each, in
/// `rounds` rounds whose order rotates (A B C, B C A, …), after a warm-up of
/// `warmup` each. Returns their merged stats in the contenders' order.
pub(crate) fn interleaved(
    contenders: &[(&str, SocketAddr, &Shot)],
    connections: usize,
    total: Duration,
    rounds: usize,
    warmup: Duration,
) -> Vec<Stats> {
    for (name, addr, shot) in contenders {
        let w = run_for(*addr, shot, connections, warmup);
        eprintln!(
            "  warm-up {name}: {:.0} req/s, {} errors",
            w.rps(),
            w.errors
        );
    }
    let rounds = rounds.max(1);
    let slice = total / rounds as u32;
    let mut stats: Vec<Stats> = contenders.iter().map(|_| Stats::default()).collect();
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (round + k) % contenders.len();
            let (_, addr, shot) = contenders[i];
            let s = run_for(addr, shot, connections, slice);
            stats[i].per_round.push(s.rps());
            stats[i].merge(s);
        }
    }
    // `merge` added each round's time; that is the time the contender ran.
    for (s, (name, ..)) in stats.iter().zip(contenders) {
        eprintln!(
            "  {name}: {} requests, {} errors, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms{}",
            s.requests,
            s.errors,
            s.rps(),
            s.percentile(0.50),
            s.percentile(0.99),
            s.first_error
                .as_deref()
                .map(|e| format!("; first error: {e}"))
                .unwrap_or_default()
        );
    }
    stats
}
