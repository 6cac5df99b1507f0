"""How fast is `session-lint check` on the real gateway, against the floor of merely parsing it?

Downloads mcp-contextforge-gateway==1.0.7 from PyPI into a cache folder (never committed),
unzips it, and measures in one run on this machine:

  ast floor     parsing every file with the stdlib `ast` (one core)
  libcst parse  parsing every file with `libcst.parse_module` (one core)
  cold          `session-lint check --no-cache mcpgateway/` (default --jobs: every core), and
                with --jobs 1
  warm          `session-lint check` again with the cache of a first run
  one changed   the pre-commit case: one file's body edited, the rest cached
  flake8        `flake8 --select SL mcpgateway/`, and the same with session-lint's plugin made a
                no-op (what flake8 costs by itself: it reads, tokenizes and parses every file,
                and runs every installed plugin whatever --select says)
the phases of the cold run as session-lint reports them (--timings), and, with --scale, the cold
run on the whole unzipped wheel and on 4 copies of it (does time grow linearly?). Peak memory is
the largest resident set of the measured process or any of its workers.

    python benchmarks/bench_check.py [--quick] [--scale] [--repeat N] [--cache DIR]

Each row is the fastest of --repeat runs (default 3), the same rule for every row.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

VERSION = "1.0.7"
TARGETS = {"cold": 3.0, "warm": 0.5, "flake8": 4.0}


def fetch(cache: Path) -> Path:
    src = cache / f"cf-{VERSION}" / "src"
    if (src / "mcpgateway").is_dir():
        return src
    wheel_dir = cache / f"cf-{VERSION}"
    wheel_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    f"mcp-contextforge-gateway=={VERSION}", "-d", str(wheel_dir)], check=True)
    wheel = next(wheel_dir.glob("*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(src)
    return src


def files_of(root: Path):
    return sorted(p for p in root.rglob("*.py"))


def time_parse(files, parse) -> float:
    started = time.perf_counter()
    for f in files:
        try:
            parse(f.read_bytes())
        except Exception:  # noqa: BLE001 - a file that does not parse still costs its time
            pass
    return time.perf_counter() - started


FINDING = re.compile(r"^.+:\d+:\d+: SL\d{3} ")


def findings_of(output: str) -> list:
    """The finding lines of a concise run's output (not its closing summary)."""
    return [line for line in output.splitlines() if FINDING.match(line)]


def best_of(repeat: int, measure) -> tuple:
    """The fastest of ``repeat`` runs of ``measure()`` (a tuple whose first item is its seconds),
    as ``timeit`` reports: these machines are virtual, and a run is slowed, never sped up, by
    what else the host does (one run of the floor measured 0.84 s and another 1.01 s)."""
    return min((measure() for _ in range(repeat)), key=lambda r: r[0])


def run(cmd, cwd, phases=None) -> tuple:
    """(seconds, peak RSS in MB of this child or any of its workers, stdout). With ``phases``
    (a dict), the ``--timings`` lines the run printed are added to it."""
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    lines = proc.stderr.strip().splitlines()
    try:
        peak = int(lines[-1]) / 1024
    except (ValueError, IndexError):
        peak = float("nan")
    if phases is not None:
        for line in lines:
            if line.startswith("session-lint: timing: "):
                name, _, seconds = line[len("session-lint: timing: "):].rpartition(" ")[0].rpartition(" ")
                phases[name] = float(seconds)
    return elapsed, peak, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "session-lint-bench")
    parser.add_argument("--quick", action="store_true", help="only mcpgateway/routers (a few seconds)")
    parser.add_argument("--scale", action="store_true", help="also the 4x replicated tree")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the fastest is shown")
    args = parser.parse_args()
    src = fetch(args.cache)
    work = Path(tempfile.mkdtemp(prefix="session-lint-bench-"))
    try:
        shutil.copytree(src / "mcpgateway", work / "mcpgateway")
        target = "mcpgateway/routers" if args.quick else "mcpgateway"
        files = files_of(work / target)
        size = sum(f.stat().st_size for f in files) / 1024 / 1024
        import libcst

        repeat = max(1, args.repeat)
        floor = best_of(repeat, lambda: (time_parse(files, ast.parse),))[0]
        cst_parse = time_parse(files, libcst.parse_module)
        exe = [sys.executable, "-m", "session_lint"]
        cache_dir = work / "cache"
        phases: dict = {}

        def cold_run() -> tuple:
            seen: dict = {}
            return (*run([*exe, "check", "--no-cache", "--timings", target], work, seen), seen)

        cold, cold_mem, cold_out, phases = best_of(repeat, cold_run)
        serial, serial_mem, serial_out = best_of(
            repeat, lambda: run([*exe, "check", "--no-cache", "--jobs", "1", target], work))
        _, _, _ = run([*exe, "check", "--cache-dir", str(cache_dir), target], work)
        warm, warm_mem, warm_out = best_of(
            repeat, lambda: run([*exe, "check", "--cache-dir", str(cache_dir), target], work))
        # The pre-commit case: one body edited, then only that file checked with the cache.
        # Each repetition edits the file anew, so that none is answered by the previous one's cache.
        changed = files[len(files) // 2]
        text = changed.read_text()
        rel = str(changed.relative_to(work))
        edits = iter(range(repeat))

        def one_changed() -> tuple:
            changed.write_text(text + f"\n\ndef _bench_added():\n    return {next(edits)}\n")
            return run([*exe, "check", "--cache-dir", str(cache_dir), rel], work)

        one, one_mem, one_out = best_of(repeat, one_changed)
        fresh = run([*exe, "check", "--no-cache", target], work)[2]
        changed.write_text(text)
        one_identical = findings_of(one_out) == [line for line in findings_of(fresh) if line.startswith(rel + ":")]
        # flake8's plugin keeps its cache in the project root: removed before each run, so each is cold.
        def flake_run(cmd) -> tuple:
            shutil.rmtree(work / ".session-lint-cache", ignore_errors=True)
            return run(cmd, work)

        flake, flake_mem, flake_out = best_of(
            repeat, lambda: flake_run([sys.executable, "-m", "flake8", "--select", "SL", target]))
        # flake8 runs every plugin whatever --select says; with session-lint's turned into a no-op
        # (its per-file run, and the index it builds before flake8 forks), what is left is
        # flake8's own cost (reading, tokenizing, parsing, its built-in checks).
        no_op = ("import sys; from session_lint import flake8_plugin; "
                 "flake8_plugin.SessionLintChecker.run = lambda self: iter(()); "
                 "flake8_plugin.index_ahead = lambda *args: None; "
                 "from flake8.main.cli import main; main(sys.argv[1:])")
        flake_alone, flake_alone_mem, _ = best_of(
            repeat, lambda: flake_run([sys.executable, "-c", no_op, "--select", "SL", target]))
        # Measured again after the runs, and the fastest of all taken: the first runs of a
        # process on these machines are often the slowest, and the floor must not be one of them.
        floor = min(floor, best_of(repeat, lambda: (time_parse(files, ast.parse),))[0])
        rows = [
            ("ast floor (1 core)", floor, 1.0, "", ""),
            ("libcst parse (1 core)", cst_parse, cst_parse / floor, "", ""),
            (f"cold, --jobs {os.cpu_count()}", cold, cold / floor, f"<= {TARGETS['cold']}x", f"{cold_mem:.0f} MB"),
            ("cold, --jobs 1", serial, serial / floor, "", f"{serial_mem:.0f} MB"),
            ("warm, cache", warm, warm / floor, f"<= {TARGETS['warm']}x", f"{warm_mem:.0f} MB"),
            ("one changed file", one, one / floor, "<= 0.5 s", f"{one_mem:.0f} MB"),
            ("flake8 --select SL", flake, flake / floor, f"<= {TARGETS['flake8']}x", f"{flake_mem:.0f} MB"),
            ("flake8, plugin a no-op", flake_alone, flake_alone / floor, "(flake8 by itself)",
             f"{flake_alone_mem:.0f} MB"),
        ]
        if args.scale and not args.quick:
            shutil.copytree(src, work / "wheel", ignore=shutil.ignore_patterns("*.dist-info"))
            whole_files = files_of(work / "wheel")
            whole_floor = best_of(repeat, lambda: (time_parse(whole_files, ast.parse),))[0]
            whole, whole_mem, _ = best_of(repeat, lambda: run([*exe, "check", "--no-cache", "wheel"], work))
            for n in range(4):
                shutil.copytree(work / "wheel", work / "replicated" / f"copy{n}")
            rep_files = files_of(work / "replicated")
            rep_floor = best_of(repeat, lambda: (time_parse(rep_files, ast.parse),))[0]
            rep, rep_mem, _ = best_of(repeat, lambda: run([*exe, "check", "--no-cache", "replicated"], work))
            rows.append(("wheel: ast floor", whole_floor, whole_floor / floor, "", ""))
            rows.append(("wheel: cold", whole, whole / floor, f"{whole / whole_floor:.2f}x its floor",
                         f"{whole_mem:.0f} MB"))
            rows.append(("wheel x4: ast floor", rep_floor, rep_floor / floor, "", ""))
            rows.append(("wheel x4: cold", rep, rep / floor, f"{rep / whole:.2f}x wheel (linear: 4)",
                         f"{rep_mem:.0f} MB"))
        print(f"gateway {VERSION}: {target}, {len(files)} files, {size:.1f} MB; {os.cpu_count()} cores")
        print(f"{'run':<26}{'seconds':>9}{'x floor':>9}  {'target':<26}{'peak RSS':>10}")
        for name, seconds, ratio, target_text, mem in rows:
            print(f"{name:<26}{seconds:>9.2f}{ratio:>9.2f}  {target_text:<26}{mem:>10}")
        print("phases of the cold run (session-lint --timings; analysis runs in the workers):")
        for name, seconds in phases.items():
            print(f"  {name:<32}{seconds:>7.2f} s {seconds / floor:>7.2f}x floor")
        same_jobs = cold_out == serial_out
        print(f"findings: cold {len(findings_of(cold_out))}, --jobs 1 {len(findings_of(serial_out))} "
              f"(identical: {same_jobs}), warm {len(findings_of(warm_out))} (identical: {warm_out == cold_out}), "
              f"flake8 {len(findings_of(flake_out))}; one-changed findings identical to a full run: {one_identical}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
