"""``# noqa`` comments that silenced nothing (SL900, ruff's RUF100): a code that no longer fires
on its line keeps hiding the next real finding there."""

from __future__ import annotations

import dataclasses
import io
import re
import tokenize
from typing import Dict, Iterator, List, Set, Tuple

from session_lint.config import RULE_CODES, Settings
from session_lint.report.findings import NOQA, Finding, fingerprint

UNUSED_NOQA = "SL900"


def _comments(text: str) -> Iterator[Tuple[int, int, str]]:
    """``(line, column, text)`` of every comment: a ``# noqa`` inside a string is not one."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.start[1], token.string
    except (tokenize.TokenError, SyntaxError, ValueError):
        return


def unused_noqa(text: str, used: Dict[int, Set[str]], settings: Settings, shown: str) -> List[Finding]:
    """A finding for each ``# noqa: SL...`` comment with a code that silenced nothing on its line
    (``used``: the codes silenced per line). A bare ``# noqa`` and other tools' codes are left
    alone: they may be for flake8's other plugins."""
    if "noqa" not in text.lower():
        return []
    lines = text.splitlines()
    out: List[Finding] = []
    for line, col, comment in _comments(text):
        match = NOQA.search(comment)
        if match is None or not match.group("codes"):
            continue
        ours = [c.upper() for c in re.split(r"[,\s]+", match.group("codes")) if c.upper().startswith("SL")]
        if not ours or UNUSED_NOQA in ours:
            continue
        silenced = used.get(line, set())
        unknown = [c for c in ours if not any(code.startswith(c) for code in RULE_CODES)]
        disabled = [c for c in ours if c not in unknown
                    and not any(settings.enabled(code, shown) for code in RULE_CODES if code.startswith(c))]
        unused = [c for c in ours if c not in unknown and c not in disabled
                  and not any(code.startswith(c) for code in silenced)]
        parts = [f"{what}: {', '.join(codes)}" for what, codes in
                 (("unused", unused), ("non-enabled", disabled), ("unknown", unknown)) if codes]
        if not parts:
            continue
        found = Finding(shown, line, col + match.start(), UNUSED_NOQA, f"unused `noqa` directive ({'; '.join(parts)})",
                        end_line=line, end_col=col + match.end())
        out.append(dataclasses.replace(found, fingerprint=fingerprint(found, lines[line - 1])))
    return out
