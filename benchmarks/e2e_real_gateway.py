"""Does `session-lint fix` stop the real ContextForge gateway from draining its pool? Measured on
the releases from PyPI.

Installs mcp-contextforge-gateway 0.9.0 (the last release before the maintainers' hand fixes) and
1.0.7 (after them) into venvs of their own, cached under --cache-dir, with the dependency versions
of each release's date (benchmarks/real_gateway/constraints-*.txt). Starts PostgreSQL (initdb and
pg_ctl into a temporary folder, loopback only) and a slow MCP server on loopback (streamable HTTP;
a tool and a resource that answer after --delay seconds). Then, per arm and endpoint, a fresh
database and gateway process (uvicorn from the arm's venv, pool --pool-size with no overflow), the
MCP server registered through POST /gateways, a few requests without load (the answers the arms
must agree on), and --concurrency clients calling `tools/call` or `resources/read` through POST
/rpc for --duration seconds while pg_stat_activity is sampled every 50 ms.

Arms: 0.9.0 as released; 0.9.0 after the real `session-lint fix` CLI on a copy of its installed
package, and after `fix --unsafe-fixes` when that writes a different tree; 1.0.7, the
maintainers' hand-fixed reference. It prints a table per endpoint and, last, one line:

    real-gateway held_over_1s before=15 after=0 errors before=25 after=0

(before: 0.9.0 as released; after: 0.9.0 after `fix --unsafe-fixes`; on `tools/call`.)

    python benchmarks/e2e_real_gateway.py [--quick] [--cache-dir DIR] [--concurrency N]
                                          [--duration S] [--delay S] [--pool-size N]

--quick: `tools/call` only, the two arms of that line, a shorter load; under 4 minutes once the
venvs are cached. Exit status 0 when the direction holds (0.9.0 holds connections idle in
transaction for over 1 s; after the fix none does, no request fails, and the answers equal the
release's), 1 when it does not, 2 when a part could not be started or installed.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import filecmp
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e_harness as h  # noqa: E402  (the folder above is not a package)

HERE = Path(__file__).resolve().parent
RELEASE_FILES = HERE / "real_gateway"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "session-lint-e2e"

# The setting of issue 17: a pool of 15 with no overflow, 25 clients, a backend that takes 1.5 s.
# 25 clients keep 10 requests waiting for a connection while 15 hold one across the MCP call.
FULL = {"concurrency": 25, "duration": 30.0, "delay": 1.5}
QUICK = {"concurrency": 25, "duration": 15.0, "delay": 1.5}
POOL_SIZE = 15
# How long a request waits for a pooled connection before the gateway gives up on it. 0.9.0 waits
# on its event loop (a sync Session in async code), so every wait stalls the whole gateway; a
# shorter wait than the gateway's 30 s default keeps a wedged run from lasting minutes.
POOL_TIMEOUT = 10
# A client gives up on a request after this long; it also bounds how long a load outlasts
# --duration. Latencies are capped by it.
CLIENT_TIMEOUT = 15.0
HEALTH_TIMEOUT = 5.0
# First start of a release: imports, then the schema is created in the fresh database.
START_TIMEOUT = 180.0
INSTALL_TIMEOUT = 1200.0
POOL_TIMEOUT_TEXT = "QueuePool limit"
ADMIN_EMAIL = "admin@example.com"
MCP_SERVER_NAME = "slow_mcp"
TOOL = "slow_echo"
RESOURCE_URI = "slow://status"
ENDPOINTS = ("tools/call", "resources/read")


class Failed(Exception):
    """The arm's gateway misbehaved in a way the table cannot show (it would not register the
    MCP server, say): the message says what it answered."""


# -- releases and their venvs -------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    version: str
    # 0.9.0 uses psycopg2 (postgresql://), 1.0.x psycopg 3 (postgresql+psycopg://).
    db_scheme: str

    @property
    def requirements(self) -> Path:
        return RELEASE_FILES / f"requirements-{self.version}.in"

    @property
    def constraints(self) -> Path:
        return RELEASE_FILES / f"constraints-{self.version}.txt"


RELEASES = {"0.9.0": Release("0.9.0", "postgresql"), "1.0.7": Release("1.0.7", "postgresql+psycopg")}


def release_venv(release: Release, cache_dir: Path) -> Path:
    """A venv with ``release`` installed from its committed constraints, created on first use and
    reused while the constraints, requirements and Python version are the same (its name carries
    their digest). A marker written last tells a finished install from an interrupted one."""
    digest = hashlib.sha256()
    for path in (release.requirements, release.constraints):
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    venv = cache_dir / f"gateway-{release.version}-{python}-{digest.hexdigest()[:12]}"
    marker = venv / ".session-lint-complete"
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Two runs at once (a developer's and the test's) must not install into one folder together.
    with open(cache_dir / f".lock-{release.version}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        print(f"installing mcp-contextforge-gateway {release.version} into {venv} (once; a few minutes)", flush=True)
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
             "-c", str(release.constraints), "-r", str(release.requirements)],
        ]
        for cmd in steps:
            try:
                result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        timeout=INSTALL_TIMEOUT)
            except subprocess.TimeoutExpired:
                shutil.rmtree(venv, ignore_errors=True)
                raise h.HarnessError(f"installing {release.version} took over {INSTALL_TIMEOUT:.0f} s: {cmd}")
            if result.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                raise h.HarnessError(f"installing {release.version} failed ({result.returncode}): {cmd}\n"
                                     f"{result.stdout[-4000:]}")
        marker.write_text(release.version)
    return venv


def installed_package(venv: Path) -> Path:
    """The folder of the ``mcpgateway`` package in ``venv`` (found without importing it: its
    import reads the configuration)."""
    code = "import importlib.util as u; print(u.find_spec('mcpgateway').submodule_search_locations[0])"
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], stdout=subprocess.PIPE, text=True,
                         check=True, timeout=60).stdout
    return Path(out.strip())


# -- the fix ------------------------------------------------------------------------------------


@dataclass
class FixedCopy:
    """A copy of a release's ``mcpgateway`` package, rewritten by ``session-lint fix`` (or a
    patch). ``root`` goes first on the gateway's PYTHONPATH, in front of the installed package."""

    root: Path
    how: str
    output: str
    changed: List[str]  # files that differ from the release


def copy_package(package: Path, root: Path) -> Path:
    shutil.copytree(package, root / "mcpgateway", ignore=shutil.ignore_patterns("__pycache__"))
    return root / "mcpgateway"


def changed_files(original: Path, copy: Path) -> List[str]:
    """Files added, removed or different (byte for byte) in ``copy``."""
    names = set(_files(original)) | set(_files(copy))
    return sorted(n for n in names if not ((original / n).is_file() and (copy / n).is_file()
                                           and filecmp.cmp(original / n, copy / n, shallow=False)))


def _files(root: Path) -> Iterator[str]:
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            yield str(path.relative_to(root))


def fixed_copy(package: Path, root: Path, unsafe: bool) -> FixedCopy:
    """The real CLI, as a user runs it, on a copy of the installed package."""
    copy = copy_package(package, root)
    args = ["fix", "--no-cache"] + (["--unsafe-fixes"] if unsafe else []) + ["mcpgateway"]
    result = subprocess.run([sys.executable, "-m", "session_lint"] + args, cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=600)
    if result.returncode not in (0, 1):
        raise h.HarnessError(f"session-lint {' '.join(args)} failed ({result.returncode}):\n{result.stdout}")
    return FixedCopy(root, "session-lint " + " ".join(args), result.stdout, changed_files(package, copy))


def patched_copy(package: Path, root: Path, patch: Path) -> FixedCopy:
    """A copy edited by a unified diff (``diff -ru a/mcpgateway b/mcpgateway``): how the harness
    is proven before ``fix`` can produce the rewrite itself."""
    copy = copy_package(package, root)
    result = subprocess.run(["patch", "-p1", "--forward", "--batch", "-i", str(patch.resolve())], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    if result.returncode != 0:
        raise h.HarnessError(f"patch {patch} did not apply:\n{result.stdout}")
    return FixedCopy(root, f"patch -p1 < {patch}", result.stdout, changed_files(package, copy))


def still_held(copy: FixedCopy) -> List[str]:
    """What ``session-lint check`` still reports on the copy for the two loaded endpoints: the
    findings in POST /rpc's handler whose chain goes through the tool or resource service."""
    result = subprocess.run([sys.executable, "-m", "session_lint", "check", "--no-cache", "--format", "json",
                             "mcpgateway"], cwd=copy.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=600)
    try:
        findings = json.loads(result.stdout)
    except ValueError:
        return [f"session-lint check failed ({result.returncode}): {result.stderr.strip()[-500:]}"]
    lines = []
    for f in findings:
        chain = f.get("chain") or []
        if f.get("function") == "handle_rpc" and chain and chain[0] in ("invoke_tool", "read_resource"):
            lines.append(f"{f['path']}:{f['line']}:{f['column']}: {f['code']} {f['message']}")
    return lines


# -- one arm ------------------------------------------------------------------------------------


@dataclass
class Arm:
    label: str
    release: Release
    venv: Path
    copy: Optional[FixedCopy] = None  # None: the package as installed
    reference: Optional[str] = None  # the arm whose answers this one must give


@dataclass
class Phase:
    arm: Arm
    endpoint: str
    activity: h.ActivityStats
    load: h.LoadSummary
    pool_timeouts: int
    health: str
    probe_answers: List[Any] = field(default_factory=list)


def _secret(n: int = 48) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


class Secrets:
    """Fresh for each run: 1.0.7 refuses placeholder or short secrets, and nothing here is kept."""

    def __init__(self) -> None:
        self.jwt = _secret()
        self.encryption = _secret()
        # Letters, digits and a symbol: both releases grade password complexity.
        self.password = _secret(24) + "!9a"


def gateway_env(arm: Arm, database: h.Postgres, pool_size: int, keys: Secrets) -> Dict[str, str]:
    """The settings the gateway needs to serve /rpc alone on loopback (names from its config.py)."""
    _scheme, rest = database.dsn.split("://", 1)
    env = {
        "DATABASE_URL": f"{arm.release.db_scheme}://{rest}",
        "DB_POOL_SIZE": str(pool_size),
        "DB_MAX_OVERFLOW": "0",
        "DB_POOL_TIMEOUT": str(POOL_TIMEOUT),
        # No Redis here; and not "database", which would add the cache's own queries to the pool.
        "CACHE_TYPE": "memory",
        "PLUGINS_ENABLED": "false",
        "MCPGATEWAY_UI_ENABLED": "false",
        "MCPGATEWAY_ADMIN_API_ENABLED": "false",
        "MCPGATEWAY_CATALOG_ENABLED": "false",
        "MCPGATEWAY_A2A_ENABLED": "false",
        "LLMCHAT_ENABLED": "false",
        "FEDERATION_ENABLED": "false",
        "FEDERATION_DISCOVERY": "false",
        # The MCP server is on loopback; SSRF protection stays on for everything else.
        "SSRF_PROTECTION_ENABLED": "true",
        "SSRF_ALLOW_LOCALHOST": "true",
        "SSRF_ALLOW_PRIVATE_NETWORKS": "false",
        "AUTH_REQUIRED": "true",
        "JWT_SECRET_KEY": keys.jwt,
        "AUTH_ENCRYPTION_SECRET": keys.encryption,
        "BASIC_AUTH_PASSWORD": keys.password,
        "PLATFORM_ADMIN_EMAIL": ADMIN_EMAIL,
        "PLATFORM_ADMIN_PASSWORD": keys.password,
        # 1.0.7 counts tool calls per minute (default 100); the load makes far more on purpose.
        "TOOL_RATE_LIMIT": "1000000",
        # A periodic health check of the MCP server would add its own requests and queries to
        # the ones measured.
        "HEALTH_CHECK_INTERVAL": "3600",
        "OTEL_ENABLE_OBSERVABILITY": "false",
        "OBSERVABILITY_ENABLED": "false",
        "LOG_LEVEL": "ERROR",
        "DEV_MODE": "false",
    }
    if arm.copy is not None:
        # In front of site-packages: the rewritten copy is what `import mcpgateway` finds.
        env["PYTHONPATH"] = str(arm.copy.root)
    return h.child_env(env)


def create_token(arm: Arm, env: Dict[str, str], workdir: Path) -> str:
    result = subprocess.run([str(arm.venv / "bin" / "python"), "-m", "mcpgateway.utils.create_jwt_token",
                             "--username", ADMIN_EMAIL, "--exp", "120", "--secret", env["JWT_SECRET_KEY"]],
                            cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=120)
    tokens = re.findall(r"^[\w-]+\.[\w-]+\.[\w-]+$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or not tokens:
        raise h.HarnessError(f"create_jwt_token failed ({result.returncode}):\n{result.stdout}\n"
                             f"{result.stderr[-3000:]}")
    return tokens[-1]


def check_imports_copy(arm: Arm, env: Dict[str, str], workdir: Path) -> None:
    """A fixed arm that silently served the installed package would measure the release twice."""
    if arm.copy is None:
        return
    result = subprocess.run([str(arm.venv / "bin" / "python"), "-c",
                             "import importlib.util as u; print(u.find_spec('mcpgateway').origin)"],
                            cwd=workdir, env=env, stdout=subprocess.PIPE, text=True, timeout=60)
    if not result.stdout.strip().startswith(str(arm.copy.root)):
        raise h.HarnessError(f"{arm.label}: mcpgateway imports from {result.stdout.strip()}, not the copy")


@dataclass
class Registered:
    tool: str  # the tool's name in the gateway's namespace
    uri: str
    ids: List[str]  # the gateway's own ids of what it registered: new in every database

    def normalize(self, body: Any) -> Any:
        """``body`` with the registration's ids replaced by a placeholder (0.9.0 puts the
        resource's id in its answer), so that arms on different databases can be compared."""
        text = json.dumps(body, sort_keys=True)
        for rid in self.ids:
            text = text.replace(rid, "<id>")
        return json.loads(text)


def register_mcp_server(client: httpx.Client, mcp_url: str) -> Registered:
    """POST /gateways, then what the gateway made of the MCP server's tool and resource."""
    resp = client.post("/gateways", json={"name": MCP_SERVER_NAME, "url": f"{mcp_url}/mcp",
                                          "transport": "STREAMABLEHTTP"})
    if resp.status_code not in (200, 201):
        raise Failed(f"POST /gateways answered {resp.status_code}: {resp.text[:2000]}")
    gateway_id = resp.json().get("id")
    tools = client.get("/tools").json()
    tools = tools.get("items", tools) if isinstance(tools, dict) else tools
    tool = [t for t in tools if t.get("originalName", t.get("original_name")) == TOOL]
    resources = client.get("/resources").json()
    resources = resources.get("items", resources) if isinstance(resources, dict) else resources
    resource = [r for r in resources if r.get("uri") == RESOURCE_URI]
    if not tool or not resource:
        raise Failed(f"after POST /gateways: tools {[t.get('name') for t in tools]}, "
                     f"resources {[r.get('uri') for r in resources]}")
    ids = [i for i in (gateway_id, tool[0].get("id"), resource[0].get("id")) if isinstance(i, str) and len(i) >= 8]
    return Registered(tool[0]["name"], RESOURCE_URI, ids)


def rpc_call(n: int, endpoint: str, tool: str, uri: str, text: Optional[str] = None) -> h.Call:
    if endpoint == "tools/call":
        params: Dict[str, Any] = {"name": tool, "arguments": {"text": text if text is not None else f"request {n}"}}
    else:
        params = {"uri": uri}
    return h.Call("/rpc", {"jsonrpc": "2.0", "id": n, "method": endpoint, "params": params})


def rpc_ok(outcome: h.Outcome) -> bool:
    """Served: HTTP 200 with a JSON-RPC result, and for a tool call not a tool error (0.9.0
    reports a pool timeout inside the tool as one)."""
    body = outcome.body
    if outcome.status != 200 or not isinstance(body, dict) or "result" not in body or body.get("error"):
        return False
    result = body["result"]
    return not (isinstance(result, dict) and (result.get("isError") or result.get("is_error")))


def probe_calls(tool: str, uri: str) -> List[h.Call]:
    """The requests whose answers the arms must agree on, sent one at a time without load: both
    endpoints, and a tool that does not exist (an error path through the same service)."""
    return [
        rpc_call(1, "tools/call", tool, uri, "probe one"),
        rpc_call(2, "resources/read", tool, uri),
        rpc_call(3, "tools/call", tool, uri, "probe three"),
        rpc_call(4, "tools/call", "no-such-tool", uri, "probe four"),
    ]


def _health(url: str) -> str:
    try:
        resp = httpx.get(f"{url}/health", timeout=HEALTH_TIMEOUT, trust_env=False)
    except httpx.HTTPError:
        return f"no answer in {HEALTH_TIMEOUT:.0f} s"
    return str(resp.status_code)


def run_phase(arm: Arm, endpoint: str, postgres: h.Postgres, mcp_url: str, workdir: Path, keys: Secrets,
              concurrency: int, duration: float, pool_size: int, probes: bool) -> Phase:
    """A fresh database and gateway for ``arm``, loaded on ``endpoint``."""
    slug = re.sub(r"[^a-z0-9]+", "_", f"{arm.label} {endpoint}".lower()).strip("_")
    database = postgres.create_database(f"gw_{slug}")
    armdir = workdir / slug
    # The gateway reads a .env file and writes files of its own into its working directory.
    armdir.mkdir()
    env = gateway_env(arm, database, pool_size, keys)
    check_imports_copy(arm, env, armdir)
    token = create_token(arm, env, armdir)
    port = h.free_port()
    cmd = [str(arm.venv / "bin" / "python"), "-m", "uvicorn", "mcpgateway.main:app", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--no-access-log"]
    server = h.ServerProcess(slug, cmd, armdir, env, workdir, port, "/health")
    try:
        server.wait_until_serving(START_TIMEOUT)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60, trust_env=False) as client:
            reg = register_mcp_server(client, mcp_url)
        answers: List[Any] = []
        if probes:
            for call in probe_calls(reg.tool, reg.uri):
                (outcome,) = asyncio.run(h.send_together(server.url, [call], timeout=60, headers=headers))
                answers.append([outcome.status, reg.normalize(outcome.body)])
        counter = itertools.count(1000)
        calls = (rpc_call(next(counter), endpoint, reg.tool, reg.uri) for _ in itertools.count())
        with h.ActivitySampler(database.dsn, None) as sampler:
            outcomes, wall = asyncio.run(h.sustained_load(server.url, concurrency, duration, CLIENT_TIMEOUT,
                                                          calls=calls, headers=headers))
        health = _health(server.url)
    finally:
        # A wedged gateway ignores SIGTERM: stop() escalates to SIGKILL on its process group.
        server.stop(timeout=5)
    return Phase(arm, endpoint, sampler.stats, h.summarize(outcomes, wall, rpc_ok),
                 _count(server.log, POOL_TIMEOUT_TEXT), health, answers)


def _count(log: Path, text: str) -> int:
    try:
        return log.read_text(errors="replace").count(text)
    except OSError:
        return 0


# -- report -------------------------------------------------------------------------------------


def table(phases: Sequence[Phase], answers_equal: Dict[str, Optional[bool]]) -> str:
    def answers(p: Phase) -> str:
        verdict = answers_equal.get(p.arm.label)
        return "-" if verdict is None else ("same" if verdict else "DIFFERENT")

    def changed(p: Phase) -> str:
        return "-" if p.arm.copy is None else str(len(p.arm.copy.changed))

    rows: List[Tuple[str, List[str]]] = [
        ("requests ok", [str(p.load.ok) for p in phases]),
        ("requests failed", [str(p.load.errors) for p in phases]),
        ("throughput, ok req/s", [f"{p.load.throughput:.1f}" for p in phases]),
        ("p50 latency, s", [f"{p.load.p50_s:.2f}" for p in phases]),
        ("p99 latency, s", [f"{p.load.p99_s:.2f}" for p in phases]),
        (f"idle in transaction > {h.LONG_HELD_THRESHOLD_S:.0f} s, max",
         [str(p.activity.idle_in_txn_long_max) for p in phases]),
        (f"idle in transaction > {h.HELD_THRESHOLD_S * 1000:.0f} ms, max",
         [str(p.activity.idle_in_txn_max) for p in phases]),
        ("oldest transaction age, s", [f"{p.activity.oldest_txn_s:.2f}" for p in phases]),
        ("gateway connections, max", [str(p.activity.connections_max) for p in phases]),
        ("pool timeouts (gateway log)", [str(p.pool_timeouts) for p in phases]),
        ("/health after the load", [p.health for p in phases]),
        ("answers (no load) = 0.9.0's", [answers(p) for p in phases]),
        ("files changed from the release", [changed(p) for p in phases]),
        ("pg_stat_activity samples", [str(p.activity.samples) for p in phases]),
    ]
    width = max(len(label) for label, _ in rows)
    cols = [max(len(p.arm.label), *(len(r[1][i]) for r in rows)) for i, p in enumerate(phases)]
    lines = [f"{'':<{width}}  " + "  ".join(f"{p.arm.label:>{c}}" for p, c in zip(phases, cols))]
    lines += [f"{label:<{width}}  " + "  ".join(f"{v:>{c}}" for v, c in zip(values, cols)) for label, values in rows]
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------


def _report_fix(copy: FixedCopy) -> None:
    """Its summary line, and what it says about the handler under load; the rest (one line per
    finding of the whole gateway) is long and about other endpoints."""
    lines = copy.output.strip().splitlines()
    shown = [line for line in lines if "handle_rpc" in line] + lines[-1:]
    print(f"$ {copy.how}  (on a copy of 0.9.0's installed package)\n" + "\n".join(shown)
          + f"\nfiles changed: {len(copy.changed)} {copy.changed}", flush=True)


def build_arms(venvs: Dict[str, Path], workdir: Path, quick: bool,
               after_patch: Optional[Path]) -> Tuple[List[Arm], str]:
    """The arms, and the label of the one the last line calls "after" (``fix --unsafe-fixes``)."""
    release = RELEASES["0.9.0"]
    package = installed_package(venvs["0.9.0"])
    arms = [Arm("0.9.0", release, venvs["0.9.0"])]
    unsafe = fixed_copy(package, workdir / "fix-unsafe", unsafe=True)
    _report_fix(unsafe)
    if not quick:
        safe = fixed_copy(package, workdir / "fix", unsafe=False)
        _report_fix(safe)
        differs = changed_files(safe.root / "mcpgateway", unsafe.root / "mcpgateway")
        arms.append(Arm("0.9.0+fix", release, venvs["0.9.0"], safe, "0.9.0"))
        if differs:
            arms.append(Arm("0.9.0+fix --unsafe", release, venvs["0.9.0"], unsafe, "0.9.0"))
        else:
            print("fix --unsafe-fixes writes the same tree as fix: one arm for both", flush=True)
    else:
        arms.append(Arm("0.9.0+fix --unsafe", release, venvs["0.9.0"], unsafe, "0.9.0"))
    after = arms[-1].label
    if after_patch is not None:
        patched = patched_copy(package, workdir / "patched", after_patch)
        print(f"$ {patched.how}\nfiles changed: {len(patched.changed)} {patched.changed}", flush=True)
        arms.append(Arm("0.9.0+patch", release, venvs["0.9.0"], patched, "0.9.0"))
    if not quick:
        arms.append(Arm("1.0.7", RELEASES["1.0.7"], venvs["1.0.7"]))
    return arms, after


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="tools/call only, 0.9.0 before and after fix --unsafe-fixes, a shorter load")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE,
                        help=f"where the gateway venvs are kept between runs (default {DEFAULT_CACHE})")
    parser.add_argument("--concurrency", type=int, help="concurrent clients")
    parser.add_argument("--duration", type=float, help="seconds of load per arm and endpoint")
    parser.add_argument("--delay", type=float, help="the MCP server's answer delay, seconds")
    parser.add_argument("--pool-size", type=int, default=POOL_SIZE, help="the gateway's DB_POOL_SIZE (no overflow)")
    # For developers: proves the harness with a hand-made rewrite while fix cannot make it yet.
    parser.add_argument("--after-patch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    concurrency = args.concurrency or preset["concurrency"]
    duration = args.duration or preset["duration"]
    delay = args.delay or preset["delay"]
    endpoints = ENDPOINTS[:1] if args.quick else ENDPOINTS

    started = time.monotonic()
    phases: List[Phase] = []
    held: Dict[str, List[str]] = {}
    try:
        with ExitStack() as stack:
            versions = ["0.9.0"] if args.quick else ["0.9.0", "1.0.7"]
            venvs = {v: release_venv(RELEASES[v], args.cache_dir.expanduser()) for v in versions}
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="session-lint-real-gw-")))
            postgres = stack.enter_context(h.temporary_postgres())
            port = h.free_port()
            mcp = stack.enter_context(h.ServerProcess(
                "slow_mcp", [sys.executable, str(RELEASE_FILES / "slow_mcp_server.py"), "--port", str(port),
                             "--delay", str(delay)], RELEASE_FILES, h.child_env({}), workdir, port, None))
            mcp.wait_until_serving()
            arms, after_label = build_arms(venvs, workdir, args.quick, args.after_patch)
            for arm in arms:
                if arm.copy is not None:
                    held[arm.label] = still_held(arm.copy)
            print(f"postgres on 127.0.0.1, MCP server {mcp.url} (delay {delay} s), pool {args.pool_size} + 0, "
                  f"{concurrency} clients for {duration:.0f} s per arm and endpoint", flush=True)
            for endpoint in endpoints:
                for arm in arms:
                    phase = run_phase(arm, endpoint, postgres, mcp.url, workdir, Secrets(), concurrency, duration,
                                      args.pool_size, probes=endpoint == endpoints[0])
                    print(f"{arm.label} {endpoint}: {phase.load}; held > 1 s: {phase.activity.idle_in_txn_long_max}",
                          flush=True)
                    phases.append(phase)
    except (h.HarnessError, Failed) as exc:
        print(f"e2e_real_gateway: {exc}", file=sys.stderr)
        return 2

    probes = {p.arm.label: p.probe_answers for p in phases if p.probe_answers}
    answers_equal: Dict[str, Optional[bool]] = {}
    for p in phases:
        if p.arm.reference is not None:
            answers_equal[p.arm.label] = probes.get(p.arm.label) == probes.get(p.arm.reference)
    for label, verdict in answers_equal.items():
        if not verdict:
            print(f"{label} answered differently from 0.9.0 without load:\n"
                  f"  {json.dumps(probes.get(label))}\n  {json.dumps(probes.get('0.9.0'))}", file=sys.stderr)

    for endpoint in endpoints:
        print(f"\n{endpoint}, {concurrency} clients for {duration:.0f} s, pool {args.pool_size} + 0, "
              f"MCP server delay {delay} s")
        print(table([p for p in phases if p.endpoint == endpoint], answers_equal))
    print(f"Latencies are over all requests, failures included, capped by the client timeout ({CLIENT_TIMEOUT:.0f} s).")
    for p in phases:
        top = sorted(p.activity.held_queries.items(), key=lambda item: -item[1])[:3]
        if top:
            print(f"\nLast statement of connections idle in transaction > 1 s, {p.arm.label} {p.endpoint} "
                  "(samples): where the hold began")
            print("\n".join(f"  {n:5d}  {query}" for query, n in top))
    for label, lines in held.items():
        if lines:
            print(f"\nStill held in {label}, as `session-lint check` reports it on that copy:")
            print("\n".join(f"  {line}" for line in lines))
    print(f"\nwall time {time.monotonic() - started:.0f} s")

    before = next(p for p in phases if p.arm.label == "0.9.0" and p.endpoint == "tools/call")
    after = next(p for p in phases if p.arm.label == after_label and p.endpoint == "tools/call")
    after_phases = [p for p in phases if p.arm.label == after.arm.label]
    same = bool(answers_equal.get(after.arm.label))
    holds = (before.activity.idle_in_txn_long_max > 0
             and all(p.activity.idle_in_txn_long_max == 0 and p.load.errors == 0 for p in after_phases) and same)
    if not holds:
        print("the expected direction does not hold: see the table", file=sys.stderr)
    assert after.arm.copy is not None
    print(f"real-gateway fix-changed-files={len(after.arm.copy.changed)} answers-equal={'yes' if same else 'no'}")
    print(f"real-gateway held_over_1s before={before.activity.idle_in_txn_long_max} "
          f"after={after.activity.idle_in_txn_long_max} errors before={before.load.errors} after={after.load.errors}",
          flush=True)
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
