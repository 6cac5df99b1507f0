import os
import re
from pathlib import Path
from typing import List, Tuple

FIXTURES = Path(__file__).parent / "fixtures"
# Set SESSION_LINT_UPDATE_GOLDEN=1 to rewrite expected-output files (then read the diff).
UPDATE = os.environ.get("SESSION_LINT_UPDATE_GOLDEN") == "1"

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>SL\d+(?:\s*,\s*SL\d+)*)")


def expected_marks(text: str) -> List[Tuple[int, str]]:
    """(line, code) for every ``# expect: CODE`` marker in a fixture."""
    marks = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for code in re.split(r"\s*,\s*", match.group("codes")):
                marks.append((number, code))
    return sorted(marks)


def compare_golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing expected output {path} (run with SESSION_LINT_UPDATE_GOLDEN=1, then review it)"
    assert actual == path.read_text(encoding="utf-8")
collect_ignore_glob = ["fixtures/runtime/*"]
