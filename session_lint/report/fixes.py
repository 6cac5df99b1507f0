"""What ``fix`` prints: one line per finding, at the place ``check`` reports it, saying which
rewrite resolved it (and in which function), or why not and where a person must act; then a
summary that counts what was resolved, what was left as unsafe, and the refusals by reason."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Iterator

from session_lint.fix.model import Outcome, Status, Why


def fix_lines(outcomes: Iterable[Outcome], diff: bool) -> Iterator[str]:
    """One line per finding, at the place ``check`` reports it: what ``fix`` did, or why not and
    where a person must act."""
    verb = "would fix" if diff else "fixed"
    for o in sorted(outcomes, key=lambda o: (o.finding.path, o.finding.line, o.finding.col, o.finding.code)):
        head = f"{o.finding.path}:{o.finding.line}:{o.finding.col + 1}: {o.finding.code}"
        if o.applied:
            note = f" (unsafe: {o.reason})" if o.status is Status.UNSAFE else ""
            yield f"{head} {verb} by {o.rewrite.value} in {o.where}{note}"
        elif o.status is Status.UNSAFE:
            yield (f"{head} unsafe, not applied (--unsafe-fixes applies it): {o.reason}; "
                   f"{o.rewrite.value if o.rewrite else 'fix'} in {o.where}")
        else:
            act = f"; act in {o.where}" if o.where else ""
            yield f"{head} refused: {o.reason}{act}"


def fix_summary(result, diff: bool) -> str:
    """``Fixed 5 of 9 findings in 2 files (3 by release, 2 by extract); 1 unsafe fix not
    applied; 3 refused (2 the slow call receives the session, 1 a row lock).``"""
    resolved = result.resolved()
    by_rewrite = Counter(o.rewrite.value for o in resolved if o.rewrite is not None)
    how = ", ".join(f"{n} by {kind}" for kind, n in sorted(by_rewrite.items()))
    files = sum(1 for f in result.files if f.changed)
    verb = "Would fix" if diff else "Fixed"
    unsafe = sum(1 for o in result.outcomes if o.status is Status.UNSAFE and not o.applied)
    refused = Counter((o.why or Why.ANALYSIS).value for o in result.outcomes if o.status is Status.REFUSED)
    refusals = ", ".join(f"{n} {kind}" for kind, n in refused.most_common())
    text = f"{verb} {len(resolved)} of {len(result.outcomes)} fixable finding(s) in {files} file(s)"
    text += f" ({how})" if how else ""
    text += f"; {unsafe} unsafe fix(es) not applied; {sum(refused.values())} refused"
    return text + (f" ({refusals})." if refusals else ".")

