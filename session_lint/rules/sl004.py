from session_lint.rules.rule import Rule

RULE = Rule(
    code="SL004",
    name="file-timeout",
    summary="a file whose analysis took longer than file-timeout-seconds, skipped",
    help="raise `file-timeout-seconds`, or leave the file out with `extend-exclude`",
    what="Reports a file whose analysis took longer than `file-timeout-seconds` (default 30) and skips it; the "
    "run goes on.",
    why="No single file may hang a lint run. The report says the file was not checked.",
    example="$ session-lint check --file-timeout-seconds 5 src/\nsrc/generated.py:1:1: SL004 not analyzed: took "
    "longer than file-timeout-seconds (5 s)",
    known_problems="A file that takes this long is probably a performance bug in session-lint: please report it.",
    options="`file-timeout-seconds`.",
    example_is_code=False,
)
