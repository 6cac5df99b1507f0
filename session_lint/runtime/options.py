"""What the ``pytest11`` entry point loads in every pytest run of an environment that has
session-lint installed: the command-line options, and nothing else until ``--session-lint`` is
given. Kept free of imports beyond pytest so that a run without the option pays nothing and
cannot fail because of session-lint."""

from __future__ import annotations

import pytest

PLUGIN_NAME = "session-lint-runtime"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("session-lint", "session-lint: transactions held across network calls")
    group.addoption("--session-lint", action="store_true", default=False,
                    help="Report SQLAlchemy transactions held open across network calls (SL191).")
    group.addoption("--session-lint-report", metavar="PATH", default=None,
                    help="Write the SL191 findings to PATH (JSON, or SARIF when PATH ends in .sarif).")
    # Checked against the report's formats when the plugin starts (report.FORMATS), so that
    # this module imports nothing of session-lint.
    group.addoption("--session-lint-format", default=None,
                    help="Format of --session-lint-report: json or sarif (default: from its suffix).")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("session_lint") and not config.pluginmanager.has_plugin(PLUGIN_NAME):
        from session_lint.runtime.plugin import RuntimeWatch

        config.pluginmanager.register(RuntimeWatch(config), PLUGIN_NAME)
