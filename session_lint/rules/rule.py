"""What a rule is: its code and name, its documentation in ruff's sections, whether ``fix`` can
resolve it, and examples that the test suite runs and the documentation shows (the same text).

A rule's examples mark each line a finding is expected on with a trailing ``# CODE`` comment
(``# SL101``, or ``# SL102: why``); ``example`` must report exactly those, ``use_instead``
nothing of the rule. ``prelude`` is code both run after (imports, models, a session
dependency); it is not shown. A runtime rule's examples are apps whose routes a test calls
under ``pytest --session-lint``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from session_lint.flow.facts import Hold, SessionKind


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    what: str  # What it does
    why: str  # Why is this bad?
    example: str  # Example
    use_instead: str = ""  # Use instead
    known_problems: str = ""
    options: str = ""
    fix_safety: str = ""
    fixable: bool = False
    # One line saying what to do about a finding, printed under it (``help:``).
    help: str = ""
    prelude: str = ""
    # Further tested examples, not shown: each ``valid`` reports nothing, each ``invalid`` exactly
    # its marked lines (both run after the prelude).
    valid: Tuple[str, ...] = ()
    invalid: Tuple[str, ...] = ()
    # The example is a shell session, not code the analysis can run (files that cannot be read).
    example_is_code: bool = True
    # Reported by the pytest plugin (``session_lint.runtime``) from what the tests did, never by
    # ``check``: its examples are run under pytest, not through the analysis.
    runtime: bool = False

    def explain(self) -> str:
        """The rule's documentation, in ruff's sections."""
        parts = [f"# {self.code} ({self.name})", f"## What it does\n{self.what}", f"## Why is this bad?\n{self.why}"]
        if self.known_problems:
            parts.append(f"## Known problems\n{self.known_problems}")
        language = "python" if self.example_is_code else "console"
        parts.append(f"## Example\n```{language}\n{self.example.strip()}\n```")
        if self.use_instead:
            parts.append(f"## Use instead\n```python\n{self.use_instead.strip()}\n```")
        if self.options:
            parts.append(f"## Options\n{self.options}")
        if self.fix_safety:
            parts.append(f"## Fix safety\n{self.fix_safety}")
        return "\n\n".join(parts) + "\n"


@dataclass(frozen=True)
class HeldAt:
    """A hold as a rule sees it: the engine's fact, and what kind of session it is about."""

    hold: Hold
    # The factory expression that made an explicit session (``fresh_db_session``), else None.
    factory: Optional[str] = None

    @property
    def explicit(self) -> bool:
        return self.hold.key.kind is SessionKind.EXPLICIT

    @property
    def sub_dependency(self) -> bool:
        return self.hold.key.kind is SessionKind.SUB_DEPENDENCY


@dataclass(frozen=True)
class HoldRule(Rule):
    """A rule that classifies holds: among those whose :meth:`applies`, the one of the lowest
    ``priority`` reports a hold. A rule that reclassifies some holds (a narrower case of an
    existing one) is a new module with a lower priority."""

    priority: int = 100

    def applies(self, held: HeldAt) -> bool:
        raise NotImplementedError
