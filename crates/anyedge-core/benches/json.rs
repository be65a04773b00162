//! The JSON path of a handler, natively: [`json::read`] of a typed body from
//! an `http::Request` plus [`json::response`], against the floor of
//! `serde_json::from_slice` + `serde_json::to_vec` of the same bytes and
//! types. Throughput in request bytes. `cargo xtask bench` runs it and reads
//! `target/criterion/json-*/{anyedge,serde_json}`.

// `criterion_group!` generates an undocumented `pub fn`.
#![expect(missing_docs, clippy::unwrap_used, reason = "a benchmark")]

use std::fmt::Write as _;
use std::hint::black_box;

use anyedge_core::{json, Request};
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http::StatusCode;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Greet {
    name: String,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
}

#[derive(Deserialize)]
struct Record {
    id: u64,
    name: String,
    active: bool,
    total: f64,
}

#[derive(Serialize)]
struct Projected<'a> {
    id: u64,
    name: &'a str,
    total: f64,
}

/// The array of records `cargo xtask bench` posts to `/transform`.
fn records(target: usize) -> Vec<u8> {
    let mut out = String::with_capacity(target + 256);
    out.push('[');
    let mut i: u64 = 0;
    while out.len() < target {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"id":{i},"name":"customer {i}","email":"c{i}@example.com","active":{},"total":{}.{:02},"tags":["edge","wasm","bench"],"address":{{"city":"Zürich","zip":"80{:02}"}}}}"#,
            i.is_multiple_of(2),
            (i * 37) % 10_000,
            i % 100,
            i % 100
        );
        i += 1;
    }
    out.push(']');
    out.into_bytes()
}

fn request(body: &[u8]) -> Request {
    http::Request::post("/")
        .header("content-type", "application/json")
        .body(Bytes::copy_from_slice(body))
        .unwrap()
}

fn project(records: &[Record]) -> Vec<Projected<'_>> {
    records
        .iter()
        .filter(|r| r.active)
        .map(|r| Projected { id: r.id, name: &r.name, total: r.total })
        .collect()
}

fn greet(c: &mut Criterion) {
    let body = br#"{"name":"Ada"}"#;
    let req = request(body);
    let mut g = c.benchmark_group("json-greet");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("anyedge", |b| {
        b.iter(|| {
            let input: Greet = json::read(black_box(&req)).unwrap();
            json::response(StatusCode::OK, &Greeting { message: format!("Hello, {}!", input.name) })
                .unwrap()
        })
    });
    g.bench_function("serde_json", |b| {
        b.iter(|| {
            let input: Greet = serde_json::from_slice(black_box(body)).unwrap();
            serde_json::to_vec(&Greeting { message: format!("Hello, {}!", input.name) }).unwrap()
        })
    });
    g.finish();
}

fn transform(c: &mut Criterion) {
    for (group, size) in [("json-100KB", 100_000), ("json-1MB", 1_000_000)] {
        let body = records(size);
        let req = request(&body);
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.sample_size(20);
        g.bench_function("anyedge", |b| {
            b.iter(|| {
                let input: Vec<Record> = json::read(black_box(&req)).unwrap();
                json::response(StatusCode::OK, &project(&input)).unwrap()
            })
        });
        g.bench_function("serde_json", |b| {
            b.iter(|| {
                let input: Vec<Record> = serde_json::from_slice(black_box(&body)).unwrap();
                serde_json::to_vec(&project(&input)).unwrap()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, greet, transform);
criterion_main!(benches);
