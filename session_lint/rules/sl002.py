from session_lint.rules.rule import Rule

RULE = Rule(
    code="SL002",
    name="unreadable-file",
    summary="a file that cannot be opened or read",
    help="make the file readable, or leave it out with `extend-exclude`",
    what="Reports a path given to `check` (or found under a given folder) that cannot be read: no permission, "
    "a broken symlink, an I/O error, or something that is not a regular file.",
    why="A file session-lint cannot read is a file it cannot check.",
    example="$ chmod 000 app/routers/tools.py\n$ session-lint check app/\n"
    "app/routers/tools.py:1:1: SL002 cannot read: Permission denied",
    options="`exclude`, `extend-exclude`: skip the path instead.",
    example_is_code=False,
)
