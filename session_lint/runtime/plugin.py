"""The pytest plugin: ``pytest --session-lint [--session-lint-report PATH]``.

:mod:`~session_lint.runtime.options` (the ``pytest11`` entry point) registers
:class:`RuntimeWatch` only when ``--session-lint`` is given; until then nothing here is imported.
"""

from __future__ import annotations

import contextvars
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

from session_lint.runtime import report
from session_lint.runtime.network import NetworkPatches
from session_lint.runtime.recorder import Observation, Recorder
from session_lint.runtime.stacks import Classifier
from session_lint.runtime.transactions import TransactionListeners

def _part(path: Path, worker: str) -> Path:
    return path.with_name(f"{path.name}.{worker}.part")


class RequestScopes:
    """Gives every HTTP or websocket request through a Starlette (so FastAPI) app its own scope,
    for in-process test clients and servers started in the test process alike."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._original: Any = None

    def install(self) -> None:
        try:
            from starlette.applications import Starlette
        except Exception:
            return
        original = Starlette.__call__
        recorder = self.recorder

        async def __call__(app: Any, scope: dict, receive: Any, send: Any) -> None:
            if scope.get("type") not in ("http", "websocket"):
                return await original(app, scope, receive, send)
            token = recorder.enter_request()
            try:
                return await original(app, scope, receive, send)
            finally:
                recorder.leave_request(token)

        Starlette.__call__ = __call__  # type: ignore[method-assign]
        self._original = original

    def uninstall(self) -> None:
        if self._original is not None:
            from starlette.applications import Starlette

            Starlette.__call__ = self._original  # type: ignore[method-assign]
            self._original = None


class RuntimeWatch:
    """Watches one pytest session and reports what it saw at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        asked = config.getoption("session_lint_format")
        if asked and asked not in report.FORMATS:
            raise pytest.UsageError(f"--session-lint-format: {asked!r} is not one of {', '.join(report.FORMATS)}")
        self.root = Path(config.rootpath)
        self.recorder = Recorder(Classifier(self.root))
        self.parts: List[Any] = [TransactionListeners(self.recorder), NetworkPatches(self.recorder),
                                 RequestScopes(self.recorder)]
        for part in self.parts:
            try:
                part.install()
            except ImportError:  # SQLAlchemy not installed: nothing to watch there
                pass
        self.findings: Optional[List[report.RuntimeFinding]] = None

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Optional[pytest.Item]) -> Iterator[None]:
        token: contextvars.Token = self.recorder.enter_test(item.nodeid)
        try:
            yield
        finally:
            self.recorder.leave_test(token)

    def runtime_report(self) -> report.RuntimeReport:
        found = report.RuntimeReport()
        for observation in self.recorder.observations.values():
            found.findings.append(self._finding(observation))
        for site in self.recorder.network_sites.values():
            found.network_calls.append(report.NetworkCallSite(site.path, site.line, site.function, site.library_call,
                                                              site.count, site.held))
        return found

    def _finding(self, observation: Observation) -> report.RuntimeFinding:
        site = observation.site
        elsewhere = site.opened_path if site.opened_path and site.opened_path != site.path else ""
        text = report.message(observation.library_calls, site.opened_line, site.opened_by, elsewhere)
        finding = report.make_finding(self.root, site.path, site.line, site.col, site.end_line, site.end_col,
                                      site.function, site.chain, text)
        return report.RuntimeFinding(
            finding, tuple(observation.library_calls), site.call_site, observation.holds, observation.calls,
            tuple(observation.tests),
            observation.longest_held_s, observation.longest_call_s, tuple(observation.begin_stack),
            tuple(observation.call_stack), observation.detail)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        found = self.runtime_report()
        target = self.config.getoption("session_lint_report")
        path = Path(target) if target else None
        if path is not None and not path.is_absolute():
            path = Path(self.config.invocation_params.dir) / path
        worker = getattr(self.config, "workerinput", {}).get("workerid")
        if worker is not None:
            # A pytest-xdist worker: its share goes to a part file the controller merges.
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                _part(path, worker).write_text(report.render_report(found, "json", self.root), encoding="utf-8")
            self.findings = found.findings
            return
        if path is not None:
            parts = sorted(path.parent.glob(_part(path, "*").name))
            if parts:
                found = report.merge([found] + [report.read_report(part) for part in parts])
                for part in parts:
                    part.unlink()
            fmt = report.format_for(path, self.config.getoption("session_lint_format") or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(report.render_report(found, fmt, self.root), encoding="utf-8")
        self.findings = found.findings

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        findings = self.findings if self.findings is not None else self.runtime_report().findings
        terminalreporter.section("session-lint")
        terminalreporter.write_line(
            f"{len(findings)} place(s) held a transaction across a network call (SL191); watched "
            f"{self.recorder.transactions_seen} transaction(s) and {self.recorder.network_calls_seen} network call(s)")
        for line in report.summary_lines(findings):
            terminalreporter.write_line(line)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        for part in reversed(self.parts):
            part.uninstall()
