"""``session_lint.runtime``: watch the project's own test suite hold SQLAlchemy transactions
across network calls (SL191), and cross-check ``check``'s findings against what it saw.

- :mod:`~session_lint.runtime.options`: what pytest loads in every run (the options);
- :mod:`~session_lint.runtime.plugin`: the pytest plugin (``pytest --session-lint``);
- :mod:`~session_lint.runtime.transactions`: transactions, from SQLAlchemy's events;
- :mod:`~session_lint.runtime.network`: the table of network calls and the wrapper around them;
- :mod:`~session_lint.runtime.recorder`: scopes, attribution and where a hold is reported;
- :mod:`~session_lint.runtime.stacks`: cheap stacks, and which frames are the project's;
- :mod:`~session_lint.runtime.report`: findings in ``check``'s record and formats (the only module
  that imports the rest of session-lint);
- :mod:`~session_lint.runtime.crosscheck`: static findings against runtime ones.
"""
