from session_lint.rules.rule import Rule

RULE = Rule(
    code="SL001",
    name="unparsable-file",
    summary="a file that cannot be read as Python source",
    help="fix the syntax error, or run session-lint under the Python version the file is written for",
    what="Reports a file that does not parse (a syntax error, or bytes that are not text in its declared "
    "encoding). The rest of the run goes on.",
    why="A file session-lint cannot parse is a file it cannot check: a held session in it would go unreported.",
    example="async def handler(:  # SL001\n    ...",
    use_instead="async def handler():\n    ...",
    known_problems="session-lint parses with the Python that runs it: a file using newer syntax (`except*` needs "
    "3.11, `type X = ...` 3.12) is SL001 under an older one, and the message says so. Run session-lint "
    "under the newest Python your project supports.",
)
