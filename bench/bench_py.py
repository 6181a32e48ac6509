"""Per-call latency of three Python login clients, in alternating rounds in one process.

    ovok      ovok.login(...) (the wheel; ctypes over libovok)
    requests  requests.Session().post(url, json=...).json()["accessToken"], one session per thread
    httpx     httpx.Client().post(url, json=...).json()["accessToken"], one client per thread

Usage: python bench_py.py --url URL --clients ovok,requests,httpx [--rounds R] [--calls N]
                          [--warmup W] [--threads T] [--cold] [--cacert PEM]
                          [--rotate-urls U1,U2,...] [--server-pid PID]

--cold: a new connection per call. requests: requests.post(...) (a new Session each
call, which is how a script without a session does it); httpx: httpx.post(...);
ovok: cycles through --rotate-urls (distinct loopback addresses of one server, more
than ovok's pool keeps), as bench_c.c does.

Prints the same "R round client threads wall_ns calls server_cpu_ns lat_ns..." lines
as bench_c.c.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any, Callable, List

EMAIL = "john.doe@mail.com"
PASSWORD = "password1234"
CLIENT_ID = "5e505642-9024-474d-9434-e5a44f505cc5"
BODY = {"email": EMAIL, "password": PASSWORD, "clientId": CLIENT_ID}


def server_cpu_ns(pid: int) -> int:
    if pid <= 0:
        return 0
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def make_client(name: str, args: argparse.Namespace) -> Callable[[int], None]:
    """Returns call(i) for one thread; it raises on any failure."""
    login_url = args.url + "/v2/auth/login"
    verify: Any = args.cacert if args.cacert else True
    if name == "ovok":
        import ovok

        rotate = args.rotate_urls.split(",") if args.rotate_urls else []
        if args.cold and not rotate:
            raise SystemExit("bench_py: --cold with ovok needs --rotate-urls")

        def call_ovok(i: int) -> None:
            url = rotate[i % len(rotate)] if args.cold else args.url
            result = ovok.login(EMAIL, PASSWORD, CLIENT_ID, base_url=url)
            assert result.access_token

        return call_ovok
    if name == "requests":
        import requests

        if args.cold:

            def call_requests_cold(i: int) -> None:
                response = requests.post(login_url, json=BODY, verify=verify)
                response.raise_for_status()
                assert response.json()["accessToken"]

            return call_requests_cold
        session = requests.Session()
        session.verify = verify

        def call_requests(i: int) -> None:
            response = session.post(login_url, json=BODY)
            response.raise_for_status()
            assert response.json()["accessToken"]

        return call_requests
    if name == "httpx":
        import httpx

        if args.cold:

            def call_httpx_cold(i: int) -> None:
                response = httpx.post(login_url, json=BODY, verify=verify)
                response.raise_for_status()
                assert response.json()["accessToken"]

            return call_httpx_cold
        client = httpx.Client(verify=verify)

        def call_httpx(i: int) -> None:
            response = client.post(login_url, json=BODY)
            response.raise_for_status()
            assert response.json()["accessToken"]

        return call_httpx
    raise SystemExit(f"bench_py: unknown client {name}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--cacert")
    parser.add_argument("--rotate-urls")
    parser.add_argument("--server-pid", type=int, default=0)
    args = parser.parse_args()

    names = args.clients.split(",")
    # One call function per (client, thread): sessions stay open across rounds.
    calls = {name: [make_client(name, args) for _ in range(args.threads)] for name in names}
    counters = {name: 0 for name in names}
    failed: List[BaseException] = []

    for round_no in range(-1, args.rounds):  # round -1: warm-up only
        for name in names:
            n = 0 if round_no < 0 else args.calls
            w = args.warmup if round_no < 0 else 2
            base = counters[name]
            counters[name] += args.threads * (n + w)
            start = threading.Barrier(args.threads + 1)
            latencies: List[List[int]] = [[] for _ in range(args.threads)]

            def job(t: int) -> None:
                call = calls[name][t]
                first = base + t * (n + w)
                try:
                    for i in range(w):
                        call(first + i)
                    start.wait()
                    out = latencies[t]
                    clock = time.perf_counter_ns
                    for i in range(n):
                        t0 = clock()
                        call(first + w + i)
                        out.append(clock() - t0)
                except BaseException as error:  # report, keep the barrier from hanging
                    failed.append(error)
                    start.abort()

            threads = [threading.Thread(target=job, args=(t,)) for t in range(args.threads)]
            for thread in threads:
                thread.start()
            try:
                start.wait()
            except threading.BrokenBarrierError:
                pass
            cpu0 = server_cpu_ns(args.server_pid)
            t0 = time.perf_counter_ns()
            for thread in threads:
                thread.join()
            wall = time.perf_counter_ns() - t0
            cpu = server_cpu_ns(args.server_pid) - cpu0
            if failed:
                print(f"bench_py: {name}: {failed[0]!r}", file=sys.stderr)
                return 1
            if round_no < 0:
                continue
            lat = [x for per_thread in latencies for x in per_thread]
            print(f"R {round_no} py-{name} {args.threads} {wall} {len(lat)} {cpu} " + " ".join(map(str, lat)))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
