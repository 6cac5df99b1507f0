"""Does `session-lint fix` stop the demo gateway from draining its pool? Measured on real parts.

Starts PostgreSQL (initdb into a temporary folder, pg_ctl on a free loopback port) unless --dsn
names a server, starts the slow backend (plain HTTP and MCP, answering after --delay seconds),
serves a copy of examples/gateway with uvicorn and drives --concurrency clients at it for
--duration seconds while sampling pg_stat_activity. Then it copies the gateway again, runs the
real `session-lint fix` CLI on that copy, and repeats the same load. It prints a before/after
table and, last, one line:

    idle_in_txn_max before=5 after=0 errors before=37 after=0

    python benchmarks/e2e_pool.py [--quick] [--dsn postgresql://user@host:port/db]
                                  [--concurrency N] [--duration S] [--delay S]

Exit status 0 when the direction holds (connections idle in transaction and errors before, none
after), 1 when it does not, 2 when a part could not be started.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e_harness as h  # noqa: E402  (the folder above is not a package)

# The gateway's pool holds 5 connections and each held request keeps one for the backend's whole
# delay: before the fix it could serve at most 5 / delay requests per second, and 25 clients at a
# 1 s delay keep 20 requests waiting for a connection. (They wait on the event loop: a sync
# Session in an async handler, as in the gateway. See README.) After the fix a connection is out
# for milliseconds, and 25 clients need one at a time.
FULL = {"concurrency": 25, "duration": 30.0, "delay": 1.0}
QUICK = {"concurrency": 20, "duration": 10.0, "delay": 1.0}
MEMORY_LIMIT = 1 << 30
# A client gives up on a request after this long; it also bounds how long a phase outlasts
# --duration. Latencies are capped by it.
CLIENT_TIMEOUT = 15.0
# How long the gateway may take to finish what it accepted after the load ends.
DRAIN_TIMEOUT = 40.0


def run_phase(app_dir: Path, postgres: h.Postgres, backend_url: str, log_dir: Path, name: str,
              concurrency: int, duration: float) -> h.PhaseResult:
    """Serve ``app_dir`` and load it, sampling pg_stat_activity for the whole load."""
    with h.start_gateway(app_dir, postgres, backend_url, log_dir, name) as server:
        server.wait_until_serving()
        with h.ActivitySampler(postgres.dsn, name) as sampler:
            outcomes, wall = asyncio.run(h.sustained_load(server.url, concurrency, duration, timeout=CLIENT_TIMEOUT))
            # Clients that gave up leave their requests running in the gateway; its pool
            # timeouts and its oldest transactions are only all there once it has finished them.
            drain = h.wait_until_idle(server.url, DRAIN_TIMEOUT)
        activity = sampler.stats
    # Read once the gateway has stopped: every line it logged is then in the file.
    return h.PhaseResult(activity, h.summarize(outcomes, wall), outcomes, h.pool_timeouts_logged(server), drain)


def table(before: h.PhaseResult, after: h.PhaseResult) -> str:
    assert before.load is not None and after.load is not None
    rows: List[Tuple[str, str, str]] = [
        (f"idle in transaction, max (> {h.HELD_THRESHOLD_S * 1000:.0f} ms)",
         str(before.activity.idle_in_txn_max), str(after.activity.idle_in_txn_max)),
        ("idle in transaction, max (any)",
         str(before.activity.idle_in_txn_any_max), str(after.activity.idle_in_txn_any_max)),
        ("oldest transaction age, s", f"{before.activity.oldest_txn_s:.3f}", f"{after.activity.oldest_txn_s:.3f}"),
        ("gateway connections, max", str(before.activity.connections_max), str(after.activity.connections_max)),
        ("pool timeouts (gateway log)", str(before.pool_timeouts), str(after.pool_timeouts)),
        ("  of which answered (503) in time",
         str(before.load.pool_timeout_answers), str(after.load.pool_timeout_answers)),
        ("HTTP errors (non-2xx or no answer)", str(before.load.errors), str(after.load.errors)),
        ("requests ok", str(before.load.ok), str(after.load.ok)),
        ("requests sent", str(before.load.requests), str(after.load.requests)),
        ("p50 latency, s", f"{before.load.p50_s:.3f}", f"{after.load.p50_s:.3f}"),
        ("p99 latency, s", f"{before.load.p99_s:.3f}", f"{after.load.p99_s:.3f}"),
        ("throughput, ok req/s", f"{before.load.throughput:.1f}", f"{after.load.throughput:.1f}"),
        ("backlog worked off after the load, s", _drain(before), _drain(after)),
        ("pg_stat_activity samples", str(before.activity.samples), str(after.activity.samples)),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'':<{width}}  {'before':>10}  {'after':>10}"]
    lines += [f"{label:<{width}}  {b:>10}  {a:>10}" for label, b, a in rows]
    return "\n".join(lines)


def _drain(phase: h.PhaseResult) -> str:
    return f"{phase.drain_s:.1f}" if phase.drain_s is not None else f"> {DRAIN_TIMEOUT:.0f}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a shorter load; the whole run stays under two minutes")
    parser.add_argument("--dsn", help="an existing PostgreSQL database (libpq URL) instead of a temporary cluster; "
                                      "the gateway creates and fills its table 'tools' there")
    parser.add_argument("--concurrency", type=int, help="concurrent clients")
    parser.add_argument("--duration", type=float, help="seconds of load per phase")
    parser.add_argument("--delay", type=float, help="the backend's answer delay, seconds")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    concurrency = args.concurrency or preset["concurrency"]
    duration = args.duration or preset["duration"]
    delay = args.delay or preset["delay"]

    started = time.monotonic()
    memory = h.MemoryWatch()
    try:
        with ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="session-lint-e2e-")))
            postgres = h.Postgres(args.dsn) if args.dsn else stack.enter_context(h.temporary_postgres())
            if postgres.postmaster_pid:
                memory.extra_roots.append(postgres.postmaster_pid)
            backend = stack.enter_context(h.start_backend(delay, tmp)).wait_until_serving().url
            print(f"postgres {postgres.dsn}, backend {backend} (delay {delay} s), "
                  f"{concurrency} clients for {duration:.0f} s per phase", flush=True)

            before = run_phase(h.copy_gateway(tmp / "before"), postgres, backend, tmp, "gateway-before",
                               concurrency, duration)
            print(f"before: {before.load}", flush=True)

            fixed_dir = h.copy_gateway(tmp / "after")
            fix = h.run_fix(fixed_dir)
            print(f"$ session-lint fix .  (in a copy of examples/gateway)\n{fix.fix_output.rstrip()}", flush=True)
            if fix.check_status != 0:
                print(f"session-lint check still reports on the fixed copy:\n{fix.check_output}", file=sys.stderr)
                return 1

            after = run_phase(fixed_dir, postgres, backend, tmp, "gateway-after", concurrency, duration)
            print(f"after: {after.load}", flush=True)
    except h.HarnessError as exc:
        print(f"e2e_pool: {exc}", file=sys.stderr)
        return 2
    finally:
        peak = memory.stop()

    assert before.load is not None and after.load is not None
    children_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print()
    print(table(before, after))
    print("Latencies are over all requests, errors included, and capped by the client timeout "
          f"({CLIENT_TIMEOUT:.0f} s).\n"
          "Pool timeouts are the gateway's own count: a client that gave up never sees the 503.")
    print()
    print(f"peak memory: {peak / 2**20:.0f} MiB (sum of RSS over the process tree and PostgreSQL; "
          f"largest single child {children_max / 2**20:.0f} MiB); wall time {time.monotonic() - started:.0f} s")
    holds = (before.activity.idle_in_txn_max > 0 and before.load.errors > 0
             and after.activity.idle_in_txn_max == 0 and after.load.errors == 0 and peak < MEMORY_LIMIT)
    if not holds:
        print("the expected direction does not hold (or memory exceeded 1 GiB): see the table", file=sys.stderr)
    print(f"idle_in_txn_max before={before.activity.idle_in_txn_max} after={after.activity.idle_in_txn_max} "
          f"errors before={before.load.errors} after={after.load.errors}", flush=True)
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
