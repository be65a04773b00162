#!/usr/bin/env python3
# Per-request cost of a jq filter on Viceroy: alternates GET /health and
# POST /signups/normalize on one keep-alive connection to a release
# reference app's Fastly build and prints medians (first 100 of each dropped).
#   python3 benches/filter-cost-viceroy.py target/fastly/anyedge-reference-fastly-test-routes.wasm 19300
# (after `cargo xtask e2e fastly`, which builds the wasm and target/fastly/fastly.toml)
import http.client, time, statistics, subprocess, os, signal, sys
wasm, port = sys.argv[1], int(sys.argv[2])
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
viceroy = os.path.join(os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo")), "bin", "viceroy")
p = subprocess.Popen([viceroy,"serve","-C",os.path.join(root,"target/fastly/fastly.toml"),"--addr",f"127.0.0.1:{port}",wasm],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
try:
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5); c.request("GET","/health"); c.getresponse().read(); break
        except Exception: time.sleep(0.2)
    body = b'{"email":" Ada@Example.COM ","name":" Ada ","tags":["B","a","b"],"newsletter":true}'
    reqs = {"GET /health": ("GET","/health",None,{}),
            "POST /signups/normalize": ("POST","/signups/normalize",body,{"content-type":"application/json"})}
    times = {k: [] for k in reqs}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for i in range(600):
        for k,(m,path,b,h) in reqs.items():
            t=time.perf_counter(); c.request(m,path,body=b,headers=h); r=c.getresponse(); r.read()
            times[k].append((time.perf_counter()-t)*1000)
            assert r.status==200, (k, r.status)
    for k,v in times.items():
        v=v[100:]
        print(f"| {k} | {statistics.median(v):.2f} | {statistics.mean(v):.2f} |")
    print(f"| difference (median) | {statistics.median(times['POST /signups/normalize'][100:])-statistics.median(times['GET /health'][100:]):.2f} | |")
finally:
    os.killpg(p.pid, signal.SIGTERM)
