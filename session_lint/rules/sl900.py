from session_lint.rules.rule import Rule

RULE = Rule(
    code="SL900",
    name="unused-noqa",
    summary="a `# noqa: SL...` comment that silences nothing (off unless selected)",
    help="remove the code from the `# noqa` comment (or the whole comment)",
    what="Reports a `# noqa` comment naming a session-lint code that silenced no finding on its line: the hold "
    "was fixed, the code is misspelled or names no rule, or the rule is not selected. Like ruff's RUF100, it "
    "is off by default: `session-lint check --report-unused-noqa` (or `--extend-select SL900`) turns it on. "
    "A bare `# noqa` and other tools' codes (`# noqa: E501`) are left alone, since they may be for other "
    "flake8 plugins.",
    why="A `# noqa: SL102` left behind after a fix silences the next real finding on that line without anyone "
    "deciding it should.",
    example="$ session-lint check --report-unused-noqa app/\napp/routes.py:40:31: SL900 unused `noqa` directive "
    "(unused: SL102)",
    known_problems="A finding is silenced by a comment on the line it is reported on (the slow await), as in "
    "flake8; a comment on another line of a multi-line statement silences nothing and is reported.",
    example_is_code=False,
)
