"""Findings for people: the ``full`` format (ruff's: the finding, its source line with a caret
under it, where the transaction opened, a help line, ``[*]`` when ``fix`` can resolve the rule),
the ``concise`` one-liners (flake8's, for scripts), ``--statistics``, and the closing summary.

Source lines are read only here, only for the findings shown, and only in the full format: a
run that reports nothing, or reports concisely, reads no file a second time.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import click

from session_lint.report.findings import Finding
from session_lint.rules import BY_CODE

FIXABLE_MARK = "[*]"


def fixable(f: Finding) -> bool:
    rule = BY_CODE.get(f.code)
    return rule is not None and rule.fixable


def concise(findings: Sequence[Finding]) -> str:
    return "".join(f.text() + "\n" for f in findings)


def _read_lines(path: str) -> List[str]:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return []
    text = data.decode("utf-8", errors="replace")
    return text.splitlines()


def _underline(text: str, col: int) -> str:
    """Spaces up to ``col`` (tabs kept, so the marks line up under tabs too)."""
    return "".join("\t" if ch == "\t" else " " for ch in text[:col])


_TOKEN = re.compile(r"@?[\w.]+")


def full(findings: Sequence[Finding], colour: bool = False,
         sources: Optional[Dict[str, List[str]]] = None) -> str:
    """Each finding as ruff's full format shows one, a blank line between them."""
    lines_of: Dict[str, List[str]] = dict(sources or {})

    def style(text: str, **kwargs) -> str:
        return click.style(text, **kwargs) if colour else text

    blocks = []
    for f in findings:
        if f.path not in lines_of:
            lines_of[f.path] = _read_lines(f.path)
        lines = lines_of[f.path]
        rule = BY_CODE.get(f.code)
        head = style(f.code, fg="red", bold=True)
        if rule is not None and rule.fixable:
            head += " " + style(FIXABLE_MARK, fg="cyan")
        out = [f"{head} {style(f.message, bold=True)}"]
        rows: List[Tuple[int, str, Optional[str], Optional[str]]] = []  # (line, text, marks, label)
        opened = f.hold.site if f.hold is not None else None
        # The opening is in the same function (its decorators included): shown above the slow call.
        if opened is not None and 0 < opened.line < f.line and opened.line <= len(lines):
            text = lines[opened.line - 1]
            token = _TOKEN.match(text, opened.col)
            width = max(1, token.end() - opened.col) if token else 1
            rows.append((opened.line, text, _underline(text, opened.col) + "-" * width,
                         "transaction opened here"))
        if 0 < f.line <= len(lines):
            text = lines[f.line - 1]
            stop = f.end_col if f.end_line == f.line and f.end_col > f.col else len(text.rstrip())
            width = max(1, stop - f.col)
            rows.append((f.line, text, _underline(text, f.col) + "^" * width, None))
        gutter = len(str(max((r[0] for r in rows), default=f.line)))
        pad = " " * gutter
        out.append(f"{pad}{style('-->', fg='blue', bold=True)} {f.path}:{f.line}:{f.col + 1}")
        if rows:
            bar = style("|", fg="blue", bold=True)
            out.append(f"{pad} {bar}")
            previous = None
            for number, text, marks, label in rows:
                if previous is not None and number > previous + 1:
                    out.append(style("...", fg="blue", bold=True))
                out.append(f"{style(str(number).rjust(gutter), fg='blue', bold=True)} {bar} {text.rstrip()}")
                if marks:
                    colour_of = "red" if label is None else "blue"
                    mark = style(marks.lstrip(" \t"), fg=colour_of, bold=True)
                    indent = marks[:len(marks) - len(marks.lstrip(" \t"))]
                    suffix = f" {style(label, fg=colour_of, bold=True)}" if label else ""
                    out.append(f"{pad} {bar} {indent}{mark}{suffix}")
                previous = number
            out.append(f"{pad} {bar}")
        if rule is not None and rule.help:
            out.append(f"{style('help', fg='cyan', bold=True)}: {rule.help}")
        blocks.append("\n".join(out) + "\n")
    return "\n".join(blocks)


def statistics(findings: Sequence[Finding]) -> List[dict]:
    """How many findings each code has, most first."""
    counts = Counter(f.code for f in findings)
    out = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = BY_CODE.get(code)
        out.append({"code": code, "name": rule.name if rule else "", "count": count,
                    "fixable": bool(rule and rule.fixable)})
    return out


def statistics_text(findings: Sequence[Finding]) -> str:
    rows = statistics(findings)
    if not rows:
        return ""
    width = max(len(str(r["count"])) for r in rows)
    return "".join(f"{str(r['count']).rjust(width)}  {r['code']}  {FIXABLE_MARK if r['fixable'] else '[ ]'} "
                   f"{r['name']}\n" for r in rows)


def summary(findings: Sequence[Finding], noqa: int = 0, baseline: int = 0, colour: bool = False) -> str:
    """The closing lines: ``Found 3 findings (2 fixable with session-lint fix).`` or ``All checks
    passed!``, and how many findings ``# noqa`` and the baseline kept quiet."""
    if findings:
        count = len(findings)
        text = f"Found {count} finding{'s' if count != 1 else ''}"
        can_fix = sum(1 for f in findings if fixable(f))
        text += f" ({can_fix} fixable with session-lint fix)." if can_fix else "."
        text = click.style(text, bold=True) if colour else text
    else:
        text = click.style("All checks passed!", fg="green", bold=True) if colour else "All checks passed!"
    lines = [text]
    quiet = [f"{noqa} by `# noqa`" if noqa else "", f"{baseline} by the baseline" if baseline else ""]
    if any(quiet):
        lines.append(f"Not shown: {', '.join(q for q in quiet if q)}.")
    return "\n".join(lines) + "\n"
