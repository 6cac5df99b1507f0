"""The words of findings: the engine's facts described for a person. Only rules call these, and
only when they make a finding; nothing reads the text back."""

from __future__ import annotations

from session_lint.flow.facts import Detached, EndHow, Ending, LoadKind, Opener, OpenedBy
from session_lint.rules.rule import HeldAt

# What a read that loads does, by kind of load.
LOADS = {
    LoadKind.LAZY: "lazy-loads",
    LoadKind.DYNAMIC: "queries (a dynamic relationship)",
    LoadKind.DEFERRED: "loads a deferred column",
    LoadKind.EXPIRED: "reloads an expired object",
}

_ENDINGS = {
    EndHow.CLOSED: "closed",
    EndHow.COMMITTED: "committed",
    EndHow.ROLLED_BACK: "rolled back",
    EndHow.ROLLED_BACK_ON_EXCEPTION: "rolled back and closed (on an exception)",
    EndHow.EXPUNGED: "expunged it",
    EndHow.DELETED: "deleted it",
}


def opener(what: Opener) -> str:
    """``db.query``, ``@require_permission``, ``get_user: db.get``, ``passed to sync``..."""
    inner = opener(what.inner) if what.inner is not None else ""
    kind = what.kind
    if kind is OpenedBy.OPERATION:
        return f"{what.subject}.{what.detail}"
    if kind is OpenedBy.DECORATOR:
        return f"@{what.subject}"
    if kind is OpenedBy.BEFORE_YIELD:
        return f"{what.subject} runs {inner} before yield"
    if kind is OpenedBy.IN_DEPENDENCY:
        return f"{what.subject}: {inner}"
    if kind is OpenedBy.THROUGH_DEPENDENCY:
        return f"{what.subject} -> {inner}"
    if kind is OpenedBy.CALLER:
        return "caller"
    if kind is OpenedBy.PASSED:
        return f"passed to {what.subject}"
    if kind is OpenedBy.CALLEE:
        return f"{what.subject} uses {what.detail}"
    assert what.load is not None
    return f"{what.subject} {LOADS[what.load]}"


def ending(end: Ending) -> str:
    text = _ENDINGS[end.how]
    return f"{text} in {end.callee}" if end.callee else text


def held(at: HeldAt) -> str:
    """``slow await invoke_tool -> httpx.AsyncClient.post while session 'db' open since line 31
    (db.query)``."""
    hold = at.hold
    chain = " -> ".join(hold.chain)
    what = f"blocking call {chain}" if hold.blocking else f"slow await {chain}"
    if at.sub_dependency:
        who = f"the {hold.key.name} session of dependency {hold.key.via}"
    else:
        made = f" (from {at.factory}())" if at.factory else ""
        who = f"session '{hold.key.name}'{made}"
    if hold.site.line == hold.pos.line:
        # "open since line 12" on line 12 reads as a mistake: the same call opened it.
        return f"{what} while {who} open, opened on this line ({opener(hold.site.opener)})"
    return f"{what} while {who} open since line {hold.site.line} ({opener(hold.site.opener)})"


def detached(found: Detached) -> str:
    """``'tool.gateway' lazy-loads after session 'db' closed at line 12: DetachedInstanceError``."""
    subject = "'" + ".".join(found.path) + "'"
    if found.member is not None:
        kind, read = found.member
        subject += f" (a {kind} reading '{read}')"
    after = f"after session '{found.session.name}' {ending(found.ending)} at line {found.ending.line}"
    consequence = "DetachedInstanceError" if found.detached else "a new transaction"
    return f"{subject} {LOADS[found.load]} {after}: {consequence}"
