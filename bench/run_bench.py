"""Runs every benchmark against local emulators and writes docs/BENCHMARKS.md and
docs/benchmarks.png. Started by scripts/bench.sh (`make bench`), which builds
everything first and passes the paths below.

Method (after the team's BENCH-NOTES on measuring on 2-vCPU VMs):
- Main comparison: client and emulator pinned to one core (taskset -c 0), clients
  alternated in rounds (A B C A B C ...) in one process; we report absolute medians
  and p99s over all calls and the median of the per-round ratios.
- Threads: 1, 2 and 4 client threads, client and emulator free to use both cores.
- The emulator's CPU time per call (from /proc/PID/task/*/schedstat) is reported so
  that it can be seen not to be the bottleneck.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]

# Sizes of each run. The warm 1-thread runs give >= 2,000 timed calls per client.
WARM_C = dict(rounds=20, calls=150, warmup=300)  # 3,000 calls each
WARM_PY = dict(rounds=20, calls=110, warmup=100)  # 2,200 calls each
COLD_C = dict(rounds=10, calls=200, warmup=20)  # 2,000 calls each
COLD_PY = dict(rounds=10, calls=200, warmup=10)  # 2,000 calls each
THREADS = (1, 2, 4)
THREADS_C = dict(rounds=6, calls=500, warmup=50)  # per thread
THREADS_PY = dict(rounds=6, calls=120, warmup=20)  # per thread
IMPORT_RUNS = 40

LABELS = {
    "floor": "floor: raw socket, pre-built request (C)",
    "ovok": "`ovok_login` (C)",
    "curl": "libcurl, reused easy handle (C)",
    "py-ovok": "`ovok.login` (Python)",
    "py-requests": "`requests.Session().post().json()`",
    "py-httpx": "`httpx.Client().post().json()`",
}
SHORT = {
    "floor": "floor (C)",
    "ovok": "ovok_login (C)",
    "curl": "libcurl (C)",
    "py-ovok": "ovok.login (Py)",
    "py-requests": "requests (Py)",
    "py-httpx": "httpx (Py)",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ processes


def set_affinity(pid: int, cpus: Sequence[int]) -> None:
    """Pins every thread of a process (threads it starts later inherit it)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), set(cpus))
        except OSError:
            pass


class Emulator:
    def __init__(self, binary: Path, listen: str, tls: Optional[Tuple[Path, Path]] = None):
        command = [str(binary), "--listen", listen, "--quiet"]
        if tls:
            command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        match = re.match(r"(https?)://([0-9.]+):(\d+)$", line)
        if not match:
            self.stop()
            raise SystemExit(f"run_bench: the emulator printed {line!r}")
        self.scheme, self.port = match.group(1), int(match.group(3))
        self.pid = self.process.pid

    def url(self, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}"

    def cpu_ticks(self) -> int:
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime, clock ticks

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Run:
    """Parsed output of one bench_c / bench_py invocation."""

    def __init__(self, text: str):
        self.rounds: Dict[str, List[dict]] = {}
        for line in text.splitlines():
            if not line.startswith("R "):
                continue
            parts = line.split()
            record = {
                "round": int(parts[1]),
                "threads": int(parts[3]),
                "wall_ns": int(parts[4]),
                "calls": int(parts[5]),
                "server_cpu_ns": int(parts[6]),
                "lat": [int(x) for x in parts[7:]],
            }
            self.rounds.setdefault(parts[2], []).append(record)

    def lat(self, client: str) -> List[int]:
        return [x for r in self.rounds[client] for x in r["lat"]]

    def stats(self, client: str) -> dict:
        lat = sorted(self.lat(client))
        rounds = self.rounds[client]
        calls = sum(r["calls"] for r in rounds)
        wall = sum(r["wall_ns"] for r in rounds)
        return {
            "median_us": statistics.median(lat) / 1e3,
            "p99_us": lat[min(len(lat) - 1, int(0.99 * len(lat)))] / 1e3,
            "calls": len(lat),
            "server_cpu_us": sum(r["server_cpu_ns"] for r in rounds) / calls / 1e3,
            "server_share": sum(r["server_cpu_ns"] for r in rounds) / wall,
            "throughput": calls / (wall / 1e9),
        }

    def round_ratio(self, client: str, reference: str) -> float:
        """Median over rounds of (client's median in the round / reference's median in it)."""
        mine = {r["round"]: statistics.median(r["lat"]) for r in self.rounds[client]}
        ref = {r["round"]: statistics.median(r["lat"]) for r in self.rounds[reference]}
        return statistics.median(mine[k] / ref[k] for k in mine if k in ref)


def run(command: List[str], pin: Optional[str], env: Optional[dict] = None) -> Run:
    if pin is not None:
        command = ["taskset", "-c", pin] + command
    log(" ".join(command[:12]) + (" ..." if len(command) > 12 else ""))
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        raise SystemExit(f"run_bench: {command[0]} failed ({result.returncode})")
    return Run(result.stdout)


def args_for(size: dict) -> List[str]:
    return [item for k, v in size.items() for item in (f"--{k}", str(v))]


# ------------------------------------------------------------------ machine


def machine() -> Dict[str, str]:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break

    def out(command: List[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    hypervisor = "yes" if "hypervisor" in open("/proc/cpuinfo").read() else "no"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "hypervisor": hypervisor,
        "kernel": platform.release(),
        "libc": " ".join(platform.libc_ver()),
        "rustc": out(["rustc", "--version"]),
        "libcurl": out(["curl-config", "--version"]),
        "openssl": out(["openssl", "version"]),
    }


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench-c", required=True)
    parser.add_argument("--python", required=True, help="the bench venv's python")
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--cert", required=True, help="CA certificate the clients trust (PEM)")
    parser.add_argument("--server-cert", required=True, help="certificate chain the emulator serves (PEM)")
    parser.add_argument("--key", required=True, help="the emulator's private key (PEM)")
    parser.add_argument("--rotate", type=int, default=0,
                        help="number of extra loopback addresses the server answers on (0: none)")
    parser.add_argument("--ovok-https", action="store_true",
                        help="bench_c was built with the client API (ovok over https with an added CA)")
    parser.add_argument("--out-md", default=str(ROOT / "docs/BENCHMARKS.md"))
    parser.add_argument("--out-png", default=str(ROOT / "docs/benchmarks.png"))
    parser.add_argument("--out-json", default=str(ROOT / "target/bench/results.json"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to test the driver")
    args = parser.parse_args()

    global WARM_C, WARM_PY, COLD_C, COLD_PY, THREADS_C, THREADS_PY, IMPORT_RUNS
    if args.quick:
        WARM_C = dict(rounds=3, calls=50, warmup=20)
        WARM_PY = dict(rounds=3, calls=20, warmup=5)
        COLD_C = dict(rounds=2, calls=20, warmup=2)
        COLD_PY = dict(rounds=2, calls=10, warmup=2)
        THREADS_C = dict(rounds=2, calls=50, warmup=5)
        THREADS_PY = dict(rounds=2, calls=10, warmup=2)
        IMPORT_RUNS = 4

    started = time.time()
    listen = "0.0.0.0:0" if args.rotate else "127.0.0.1:0"
    http = Emulator(Path(args.emulator), listen)
    https = Emulator(Path(args.emulator), listen, (Path(args.server_cert), Path(args.key)))
    results: dict = {"machine": machine(), "rotate": args.rotate}
    try:
        results.update(measure(args, http, https))
    finally:
        http.stop()
        https.stop()
    results["elapsed_s"] = time.time() - started
    results["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    Path(args.out_json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out_json).write_text(json.dumps(results, indent=1))
    write_markdown(results, Path(args.out_md), Path(args.out_png).name)
    draw_chart(results, Path(args.out_png))
    log(f"wrote {args.out_md} and {args.out_png} in {results['elapsed_s']:.0f} s")
    return 0


def rotate_urls(emulator: Emulator, count: int) -> str:
    # 127.0.0.2 .. : distinct pool keys (and TLS server names) on the same server.
    hosts = [f"127.0.{(i + 2) // 256}.{(i + 2) % 256}" for i in range(count)]
    return ",".join(emulator.url(h) for h in hosts)


def measure(args: argparse.Namespace, http: Emulator, https: Emulator) -> dict:
    out: dict = {}
    bench_c = [args.bench_c]
    bench_py = [args.python, str(ROOT / "bench/bench_py.py")]
    py_env = dict(os.environ)
    py_env.pop("OVOK_LIBRARY_PATH", None)  # the installed wheel's library

    # ---- warm, one thread, client and server on core 0
    for emulator in (http, https):
        set_affinity(emulator.pid, [0])
    warm_c = run(bench_c + ["--url", http.url(), "--clients", "ovok,curl,floor",
                            "--server-pid", str(http.pid)] + args_for(WARM_C), "0")
    warm_py = run(bench_py + ["--url", http.url(), "--clients", "ovok,requests,httpx",
                              "--server-pid", str(http.pid)] + args_for(WARM_PY), "0", py_env)
    warm = {}
    for name in ("floor", "ovok", "curl"):
        warm[name] = warm_c.stats(name)
        warm[name]["x_floor"] = warm_c.round_ratio(name, "floor")
        warm[name]["x_curl"] = warm_c.round_ratio(name, "curl")
    for name in ("py-ovok", "py-requests", "py-httpx"):
        warm[name] = warm_py.stats(name)
        warm[name]["x_py_ovok"] = warm_py.round_ratio(name, "py-ovok")
    # Python rows vs the C floor and libcurl: ratio of medians (different processes).
    for name in ("py-ovok", "py-requests", "py-httpx"):
        warm[name]["x_floor"] = warm[name]["median_us"] / warm["floor"]["median_us"]
        warm[name]["x_curl"] = warm[name]["median_us"] / warm["curl"]["median_us"]
    out["warm"] = warm

    # ---- cold: a new connection per call (and a full TLS handshake over https)
    cold: dict = {"http": {}, "https": {}}
    rotate = rotate_urls(http, args.rotate) if args.rotate else ""
    rotate_tls = rotate_urls(https, args.rotate) if args.rotate else ""
    c_http_clients = "ovok,curl" if args.rotate else "curl"
    r = run(bench_c + ["--cold", "--url", http.url(), "--clients", c_http_clients,
                       "--server-pid", str(http.pid)] + (["--rotate-urls", rotate] if rotate else [])
            + args_for(COLD_C), "0")
    for name in c_http_clients.split(","):
        cold["http"][name] = r.stats(name)
        cold["http"][name]["x_curl"] = r.round_ratio(name, "curl")
    c_https_clients = "ovok,curl" if (args.rotate and args.ovok_https) else "curl"
    r = run(bench_c + ["--cold", "--url", https.url(), "--clients", c_https_clients, "--cacert", args.cert,
                       "--server-pid", str(https.pid)] + (["--rotate-urls", rotate_tls] if rotate_tls else [])
            + args_for(COLD_C), "0")
    for name in c_https_clients.split(","):
        cold["https"][name] = r.stats(name)
        cold["https"][name]["x_curl"] = r.round_ratio(name, "curl")
    for scheme, emulator in (("http", http), ("https", https)):
        r = run(bench_py + ["--cold", "--url", emulator.url(), "--clients", "requests", "--cacert", args.cert,
                            "--server-pid", str(emulator.pid)] + args_for(COLD_PY), "0", py_env)
        cold[scheme]["py-requests"] = r.stats("py-requests")
        curl = cold[scheme]["curl"]["median_us"]
        cold[scheme]["py-requests"]["x_curl"] = cold[scheme]["py-requests"]["median_us"] / curl
    out["cold"] = cold

    # ---- threads: 1, 2, 4 client threads; client and server on both cores
    for emulator in (http, https):
        set_affinity(emulator.pid, [0, 1])
    threads: dict = {}
    for n in THREADS:
        r = run(bench_c + ["--url", http.url(), "--clients", "ovok,curl,floor", "--threads", str(n),
                           "--server-pid", str(http.pid)] + args_for(THREADS_C), None)
        for name in ("floor", "ovok", "curl"):
            threads.setdefault(name, {})[n] = r.stats(name)
        r = run(bench_py + ["--url", http.url(), "--clients", "ovok,requests,httpx", "--threads", str(n),
                            "--server-pid", str(http.pid)] + args_for(THREADS_PY), None, py_env)
        for name in ("py-ovok", "py-requests", "py-httpx"):
            threads.setdefault(name, {})[n] = r.stats(name)
    out["threads"] = threads

    # ---- import time: python -c "import X", alternated, on core 0
    modules = ["pass", "import ovok", "import requests", "import httpx"]
    times: Dict[str, List[float]] = {m: [] for m in modules}
    for m in modules:  # warm the page cache and .pyc files
        subprocess.run(["taskset", "-c", "0", args.python, "-c", m], check=True, env=py_env)
    log(f"python -c 'import X' x {IMPORT_RUNS}")
    for _ in range(IMPORT_RUNS):
        for m in modules:
            t0 = time.perf_counter()
            subprocess.run(["taskset", "-c", "0", args.python, "-c", m], check=True, env=py_env)
            times[m].append((time.perf_counter() - t0) * 1e3)
    # taskset's own exec is in every figure alike.
    imports = {m: {"median_ms": statistics.median(v), "runs": len(v)} for m, v in times.items()}
    ratios = [r / o for r, o in zip(times["import requests"], times["import ovok"])]
    imports["ratio_requests_over_ovok"] = statistics.median(ratios)
    out["imports"] = imports
    return out


# ------------------------------------------------------------------ report


def fmt(x: float, digits: int = 1) -> str:
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}f}"


def write_markdown(res: dict, path: Path, png_name: str) -> None:
    m = res["machine"]
    warm, cold, threads, imports = res["warm"], res["cold"], res["threads"], res["imports"]
    L: List[str] = []
    L.append("# Benchmarks")
    L.append("")
    L.append("Generated by `make bench` (`scripts/bench.sh` → `bench/run_bench.py`); do not edit by hand.")
    L.append(f"Last run: {res['date']}, {res['elapsed_s']:.0f} s.")
    L.append("")
    L.append(f"**Machine:** {m['cpu']}, {m['cores']} cores (virtual machine: {m['hypervisor']}), "
             f"Linux {m['kernel']}, {m['libc']}. {m['rustc']}; libcurl {m['libcurl'].split()[-1]} "
             f"with {m['openssl']}.")
    L.append("")
    L.append("Every client logs in to the same local `ovok-emulator` (`POST /v2/auth/login`, the demo user)"
             " and checks that an access token came back.")
    L.append("")
    L.append(f"![medians per call]({png_name})")
    L.append("")

    L.append("## Warm login, one thread, client and server pinned to one core")
    L.append("")
    L.append("The connection is reused (keep-alive, plain HTTP). `taskset -c 0` for the client and the"
             " emulator, so a call costs what the client and the server spend on the CPU, not the VM's"
             " cross-core wake-up latency. Clients alternate in rounds (A B C A B C …) in one process;"
             " “× floor” and “× libcurl” are medians of the per-round ratios of medians for the C rows"
             " (same process), and ratios of overall medians for the Python rows.")
    L.append("")
    L.append("| client | median µs | p99 µs | calls | × floor | × libcurl | emulator CPU µs/call |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for name in ("floor", "ovok", "curl", "py-ovok", "py-requests", "py-httpx"):
        s = warm[name]
        L.append(f"| {LABELS[name]} | {fmt(s['median_us'])} | {fmt(s['p99_us'])} | {s['calls']:,} | "
                 f"{s['x_floor']:.2f} | {s['x_curl']:.2f} | {fmt(s['server_cpu_us'])} |")
    L.append("")
    L.append(f"Python, same process, median of per-round ratios to `ovok.login`: requests "
             f"{warm['py-requests']['x_py_ovok']:.2f}×, httpx {warm['py-httpx']['x_py_ovok']:.2f}×.")
    L.append("")
    floor_srv = warm["floor"]["server_cpu_us"]
    srv = [warm[n]["server_cpu_us"] for n in ("floor", "ovok", "curl", "py-ovok", "py-requests", "py-httpx")]
    share = max(warm[n]["server_share"] for n in ("ovok", "curl", "py-ovok", "py-requests", "py-httpx"))
    L.append(f"**Is the emulator the bottleneck?** No. The floor client, which only writes and reads bytes,"
             f" completes a call in {fmt(warm['floor']['median_us'])} µs (median), of which"
             f" {fmt(floor_srv)} µs is the emulator's CPU time; with the clients the emulator spends"
             f" {fmt(min(srv))}–{fmt(max(srv))} µs per call (last column; it differs with how many TCP segments"
             f" a client sends a request in) and at most {share:.0%} of the wall time of any client's rounds."
             f" What a client takes above the floor is spent in the client.")
    L.append("")

    L.append("## Cold login: a new connection per call, pinned to one core")
    L.append("")
    L.append("A new TCP connection per call, and over HTTPS a full TLS handshake (no session resumption)"
             " against the emulator's throwaway ECDSA P-256 certificate (TLS 1.3, rustls on the server).")
    L.append("")
    L.append("- libcurl: the same reused easy handle with `CURLOPT_FRESH_CONNECT`, `CURLOPT_FORBID_REUSE`"
             " and `CURLOPT_SSL_SESSIONID_CACHE` off, and `CURLOPT_CAINFO` for the certificate.")
    L.append("- `ovok_login`: the API has no “new connection” switch, so each call goes to the next of"
             f" {res['rotate']} loopback addresses of the same server; ovok's pool keeps at most 32 idle"
             " connections and rustls at most 256 TLS sessions, so the connection and the session for the"
             " next address have always been dropped. Over HTTPS it is `ovok_client_login` through a client"
             " built with `ovok_client_builder_add_ca_file` (the system's trust store does not hold a throwaway CA).")
    L.append("- requests: `requests.post(...)`, a new session per call, `verify=` the certificate.")
    L.append("")
    L.append("| client | HTTP median µs | HTTP p99 µs | HTTP × libcurl | HTTPS median µs | HTTPS p99 µs | HTTPS × libcurl |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for name in ("ovok", "curl", "py-requests"):
        cells = []
        for scheme in ("http", "https"):
            s = cold[scheme].get(name)
            if s is None:
                why = ("needs the emulator on several loopback addresses (a network namespace: `unshare -n`)"
                       if scheme == "http" or not res["rotate"] else
                       "needs `ovok_client_builder_add_ca_file` in `include/ovok.h`")
                cells += ["n/a", "n/a", why]
            else:
                cells += [fmt(s["median_us"]), fmt(s["p99_us"]), f"{s['x_curl']:.2f}"]
        L.append(f"| {LABELS[name]} | " + " | ".join(cells) + " |")
    L.append("")

    L.append("## Threads: 1, 2 and 4 client threads, client and server on both cores (unpinned)")
    L.append("")
    L.append("Warm connections (one per thread; ovok's threads share its pool). Latency here includes the"
             " VM's cross-core wake-ups, so it is far above the pinned figures; throughput is all calls over"
             " the wall time of each round.")
    L.append("")
    L.append("| client | " + " | ".join(f"{n} thr median µs | {n} thr calls/s" for n in THREADS) + " |")
    L.append("|---|" + "---:|---:|" * len(THREADS))
    for name in ("floor", "ovok", "curl", "py-ovok", "py-requests", "py-httpx"):
        row = threads[name]
        cells = []
        for n in THREADS:
            s = row[n] if n in row else row[str(n)]
            cells += [fmt(s["median_us"]), f"{s['throughput']:,.0f}"]
        L.append(f"| {LABELS[name]} | " + " | ".join(cells) + " |")
    L.append("")

    L.append("## Import time")
    L.append("")
    L.append(f"Wall time of `python -c \"...\"` in the bench venv, {imports['pass']['runs']} runs each, alternated,"
             " pinned to core 0.")
    L.append("")
    L.append("| command | median ms |")
    L.append("|---|---:|")
    for mod in ("pass", "import ovok", "import requests", "import httpx"):
        L.append(f"| `python -c \"{mod}\"` | {imports[mod]['median_ms']:.1f} |")
    L.append("")

    L.append("## Targets")
    L.append("")
    x_curl = warm["ovok"]["x_curl"]
    x_floor = warm["ovok"]["x_floor"]
    py_ratio = warm["py-requests"]["x_py_ovok"]
    imp_ratio = imports["ratio_requests_over_ovok"]
    cold_https = cold["https"].get("ovok")

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    L.append("| target | measured | |")
    L.append("|---|---|---|")
    L.append(f"| warm `ovok_login` no slower than libcurl | {x_curl:.2f}× libcurl | {verdict(x_curl <= 1.0)} |")
    L.append(f"| warm `ovok_login` within 1.3× of the floor | {x_floor:.2f}× floor | {verdict(x_floor <= 1.3)} |")
    L.append(f"| `ovok.login` at least 10× faster than requests | requests takes {py_ratio:.2f}× as long | {verdict(py_ratio >= 10)} |")
    L.append(f"| `import ovok` at least 3× faster than `import requests` | requests takes {imp_ratio:.2f}× as long | {verdict(imp_ratio >= 3)} |")
    if cold_https:
        L.append(f"| cold HTTPS login no slower than libcurl | {cold_https['x_curl']:.2f}× libcurl | {verdict(cold_https['x_curl'] <= 1.0)} |")
    else:
        L.append("| cold HTTPS login no slower than libcurl | not measured: see the cold table | **open** |")
    L.append("")
    L.append("## How to reproduce")
    L.append("")
    L.append("`make bench` builds the library, the emulator and the bench programs in release mode, creates"
             " `target/bench-venv` (the ovok wheel, requests, httpx, matplotlib), generates a throwaway"
             " certificate, and runs everything in a private network namespace (`unshare -n`, loopback only)"
             " so the emulator can answer on many loopback addresses. The C clients are `bench/bench_c.c`,"
             " the Python ones `bench/bench_py.py`; raw results land in `target/bench/results.json`."
             " Absolute figures drift between runs on a shared VM; the ratios are the figures to compare.")
    L.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(L))


def draw_chart(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    warm, cold, threads, imports = res["warm"], res["cold"], res["threads"], res["imports"]
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    colors = {"floor": "#999999", "ovok": "#1f77b4", "curl": "#ff7f0e", "py-ovok": "#17becf",
              "py-requests": "#d62728", "py-httpx": "#9467bd"}

    ax = axes[0][0]
    names = ["floor", "ovok", "curl", "py-ovok", "py-httpx", "py-requests"]
    med = [warm[n]["median_us"] for n in names]
    p99 = [warm[n]["p99_us"] for n in names]
    bars = ax.barh([SHORT[n] for n in names], med, color=[colors[n] for n in names])
    ax.scatter(p99, [SHORT[n] for n in names], marker="|", color="black", s=200, label="p99", zorder=3)
    ax.set_xscale("log")
    ax.invert_yaxis()
    for bar, value in zip(bars, med):
        ax.text(value * 1.05, bar.get_y() + bar.get_height() / 2, f"{value:.1f} µs", va="center", fontsize=8)
    ax.set_xlabel("µs per login (log scale); bar = median, | = p99")
    ax.set_title("Warm login, 1 thread, pinned to one core")
    ax.legend(loc="upper right")
    ax.set_xlim(right=max(p99) * 3)

    ax = axes[0][1]
    names = ["ovok", "curl", "py-requests"]
    width = 0.38
    for k, scheme in enumerate(("http", "https")):
        values = [cold[scheme].get(n, {}).get("median_us", 0) for n in names]
        xs = [i + (k - 0.5) * width for i in range(len(names))]
        bars = ax.bar(xs, values, width, label=scheme.upper(), color=["#4c72b0", "#dd8452"][k])
        for x, v in zip(xs, values):
            ax.text(x, v * 1.05 if v else 1, f"{v:.0f}" if v else "n/a", ha="center", fontsize=8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([SHORT[n] for n in names])
    ax.set_yscale("log")
    ax.set_ylabel("µs per login (median, log scale)")
    ax.set_title("Cold login: new connection (+ full TLS handshake) per call, pinned")
    ax.legend()

    ax = axes[1][0]
    for name in ("floor", "ovok", "curl", "py-ovok", "py-httpx", "py-requests"):
        row = threads[name]
        ys = [(row[n] if n in row else row[str(n)])["throughput"] for n in THREADS]
        ax.plot(THREADS, ys, marker="o", label=SHORT[name], color=colors[name])
    ax.set_xticks(THREADS)
    ax.set_yscale("log")
    ax.set_xlabel("client threads")
    ax.set_ylabel("logins per second (log scale)")
    ax.set_title("Throughput, both cores (unpinned)")
    ax.legend(fontsize=8)

    ax = axes[1][1]
    mods = ["pass", "import ovok", "import httpx", "import requests"]
    values = [imports[m]["median_ms"] for m in mods]
    bars = ax.bar([m.replace("import ", "import\n") for m in mods], values,
                  color=["#999999", "#17becf", "#9467bd", "#d62728"])
    for bar, v in zip(bars, values):
        ax.text(bar.get_x() + bar.get_width() / 2, v + 1, f"{v:.1f}", ha="center", fontsize=8)
    ax.set_ylabel("ms (median wall time)")
    ax.set_title('Start-up: python -c "..." (wall time, pinned)')

    m = res["machine"]
    fig.suptitle(f"ovok benchmarks — {m['cpu']}, {m['cores']} cores — {res['date']}", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    sys.exit(main())
