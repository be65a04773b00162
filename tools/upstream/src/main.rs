//! `anyedge-test-upstream [ADDR]`: serves the test upstream (default 127.0.0.1:18080).

fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18080".into());
    match std::net::TcpListener::bind(&addr) {
        Ok(listener) => {
            eprintln!("anyedge-test-upstream listening on http://{addr}");
            anyedge_test_upstream::serve(listener);
        }
        Err(e) => {
            eprintln!("anyedge-test-upstream: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    }
}
