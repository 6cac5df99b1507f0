from session_lint.rules.rule import Rule

RULE = Rule(
    code="SL003",
    name="file-too-large",
    summary="a file larger than max-file-size-kb, not analyzed",
    help="raise `max-file-size-kb`, or leave the file out with `extend-exclude`",
    what="Reports a file larger than `max-file-size-kb` (default 4096 KB) instead of analyzing it, and goes on "
    "with the others.",
    why="Generated or data files of many megabytes take minutes and gigabytes to parse and hold no handlers; a "
    "pre-commit hook must not stall on one. The report says the file was skipped, so a held session in it "
    "cannot go unnoticed silently.",
    example="$ session-lint check fixtures/huge_generated_table.py\nfixtures/huge_generated_table.py:1:1: SL003 "
    "not analyzed: 12.0 MB is more than max-file-size-kb (4096 KB)",
    options="`max-file-size-kb`; `exclude`, `extend-exclude`.",
    example_is_code=False,
)
