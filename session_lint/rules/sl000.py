from session_lint.rules.rule import Rule

RULE = Rule(
    code="SL000",
    name="internal-error",
    summary="session-lint itself failed on a file, which was skipped",
    help="this is a bug in session-lint: report it with the file (or a reduced copy); the file was not checked",
    what="Reports a file whose analysis raised an error inside session-lint. The file is skipped, every other "
    "file is still checked, and the run exits with status 2 so that CI notices.",
    why="A file session-lint could not analyze is a file it did not check: a held session in it would go "
    "unreported. The message names the exception and where in session-lint it was raised.",
    example="$ session-lint check src/\nsrc/app/routes.py:1:1: SL000 internal error, file skipped: "
    "RecursionError: maximum recursion depth exceeded (engine.py:212)",
    known_problems="Every SL000 is a bug in session-lint: please report it with the file (or a reduced copy).",
    example_is_code=False,
)
