"""The ``session-lint`` command."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import click

from session_lint import __version__
from session_lint.output import FORMATS, WITH_FIX_STATUS, render
from session_lint.rules import BY_CODE, RULES
from session_lint import baseline as baseline_mod
from session_lint.runner import DEFAULT_CACHE_DIR, check_paths
from session_lint.timing import Timings
from session_lint import settings as settings_mod
from session_lint.settings import ConfigError, Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _setting_options(func):
    """One ``--key`` and ``--extend-key`` option per configuration key, comma-separated."""
    for key in reversed(settings_mod.NUMBER_KEYS):
        func = click.option(f"--{key}", key.replace("-", "_"), default=None, metavar="NUMBER",
                            help=f"Set {key}.")(func)
    for key in reversed(settings_mod.LIST_KEYS):
        func = click.option(f"--extend-{key}", f"extend_{key.replace('-', '_')}", multiple=True, metavar="LIST",
                            help=f"Add to {key}.")(func)
        func = click.option(f"--{key}", key.replace("-", "_"), multiple=True, metavar="LIST",
                            help=f"Replace {key} (comma-separated; repeatable).")(func)
    return func


def _settings(config: Optional[str], paths: Sequence[str], flags: Dict[str, Tuple[str, ...]]) -> Settings:
    if config is not None:
        path: Optional[Path] = Path(config)
        if not path.is_file():
            raise ConfigError(f"{config}: no such configuration file")
    else:
        start = Path(paths[0]) if paths else Path.cwd()
        path = settings_mod.find_config(start if start.exists() else Path.cwd())
    base = settings_mod.load(path)
    values = {}
    for name, given in flags.items():
        if given is None or given == ():
            continue
        if name.replace("_", "-") in settings_mod.NUMBER_KEYS:
            values[name.replace("_", "-")] = given
        else:
            values[name.replace("_", "-")] = [part for item in given for part in item.split(",") if part.strip()]
    return settings_mod.apply(base, values, "command line")


def _progress_reporter():
    """A progress line on a terminal; nothing when stderr is piped or in CI."""
    stream = sys.stderr
    if not stream.isatty() or os.environ.get("CI"):
        return None

    def report(done: int, total: int) -> None:
        if total >= 20 and (done % 10 == 0 or done == total):
            end = "\n" if done == total else ""
            stream.write(f"\rsession-lint: {done}/{total} files{end}")
            stream.flush()

    return report


def _settings_or_exit(config: Optional[str], paths: Sequence[str], flags) -> Settings:
    try:
        return _settings(config, paths, flags)
    except ConfigError as exc:
        click.echo(f"session-lint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="session-lint")
def main() -> None:
    """Find FastAPI handlers that hold a SQLAlchemy session open across slow awaits."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--config", type=click.Path(), help="Configuration file (default: nearest pyproject.toml/setup.cfg).")
@click.option("--exclude", multiple=True, help="File or folder name patterns to skip (repeatable).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=DEFAULT_CACHE_DIR, show_default=True,
              help="Where lowered modules are cached, keyed on content and settings.")
@click.option("--no-cache", is_flag=True, help="Read and lower every module anew.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for the per-file analysis (default: the machine's cores).")
@click.option("--timings", is_flag=True, help="Also print (on stderr) how long each phase of the run took.")
@click.option("--explain-unresolved", is_flag=True,
              help="Also list (on stderr) awaited calls made while a session was open that could not be followed.")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Report only findings not recorded in this file.")
@click.option("--write-baseline", is_flag=True, help="Record today's findings in the --baseline file and exit 0.")
@click.option("--runtime-findings", type=click.Path(dir_okay=False),
              help="Mark findings with what `pytest --session-lint` saw (its report file), and add the holds only it saw.")
@_setting_options
def check(paths: Tuple[str, ...], fmt: str, config: Optional[str], exclude: Tuple[str, ...], cache_dir: str,
          no_cache: bool, jobs: Optional[int], timings: bool, explain_unresolved: bool, baseline: Optional[str],
          write_baseline: bool, runtime_findings: Optional[str], **flags) -> None:
    """Report held sessions in PATHS (files or folders; default: the current folder)."""
    paths = paths or (".",)
    settings = _settings_or_exit(config, paths, flags)
    if write_baseline and not baseline:
        click.echo("session-lint: error: --write-baseline needs --baseline FILE", err=True)
        sys.exit(EXIT_ERROR)
    known = None
    if baseline and not write_baseline and Path(baseline).exists():
        try:
            known = baseline_mod.read(Path(baseline))
        except baseline_mod.BaselineError as exc:
            click.echo(f"session-lint: error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
    holder: dict = {}
    clock = Timings() if timings else None
    result = check_paths(paths, settings, exclude, None if no_cache else Path(cache_dir),
                         keep_project=holder if fmt in WITH_FIX_STATUS else None,
                         progress=_progress_reporter(), jobs=jobs or os.cpu_count() or 1, timings=clock,
                         retain=_RETAINED if _exiting_hard else None)
    if write_baseline:
        baseline_mod.write(Path(baseline), result.findings)
        click.echo(f"session-lint: recorded {len(result.findings)} finding(s) in {baseline}", err=True)
        sys.exit(EXIT_CLEAN)
    if known is not None:
        result.findings, gone = baseline_mod.new_findings(result.findings, known)
        if gone:
            click.echo(f"session-lint: {gone} baseline finding(s) no longer occur; --write-baseline drops them",
                       err=True)
    cross = None
    if runtime_findings:
        from session_lint.runtime import crosscheck

        try:
            cross = crosscheck.from_file(result.findings, Path(runtime_findings))
        except ValueError as exc:
            click.echo(f"session-lint: error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        result.findings = cross.findings()
    with clock.phase("output") if clock is not None else contextlib.nullcontext():
        if fmt in WITH_FIX_STATUS:
            from session_lint.fix_runner import with_fix_status  # libcst: only when a fix is planned

            result.findings = with_fix_status(result.findings, settings, holder["project"])
        out = render(result.findings, fmt)
        if cross is not None:
            out = crosscheck.annotate(out, fmt, cross)
            click.echo(crosscheck.summary(cross), err=True)
        if out:
            click.echo(out, nl=False)
    if clock is not None:
        parsing = clock.seconds.get("parsing", 0.0)
        for phase, seconds in clock.seconds.items():
            if phase == "indexing":
                # Parsing happens inside indexing; the rest of it is scanning and lowering.
                click.echo(f"session-lint: timing: indexing (parse excluded) {seconds - parsing:.3f} s", err=True)
            else:
                click.echo(f"session-lint: timing: {phase} {seconds:.3f} s", err=True)
    if explain_unresolved:
        click.echo(f"session-lint: {len(result.unresolved)} awaited call(s) made while a session was open could not "
                   "be followed (add slow ones to extra-sinks):", err=True)
        for path, line, col, label in result.unresolved:
            click.echo(f"{path}:{line}:{col + 1}: {label}", err=True)
    if result.internal_errors:
        click.echo(f"session-lint: {result.internal_errors} file(s) hit an internal error (SL000 above)", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.findings else EXIT_CLEAN)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diff", is_flag=True, help="Print a unified diff and write nothing (exit 1 if anything would change).")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes where an ORM object escapes the new session.")
@click.option("--config", type=click.Path(), help="Configuration file (default: nearest pyproject.toml/setup.cfg).")
@click.option("--exclude", multiple=True, help="File or folder name patterns to skip (repeatable).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=DEFAULT_CACHE_DIR, show_default=True)
@click.option("--no-cache", is_flag=True)
@_setting_options
def fix(paths: Tuple[str, ...], diff: bool, unsafe_fixes: bool, config: Optional[str], exclude: Tuple[str, ...],
        cache_dir: str, no_cache: bool, **flags) -> None:
    """Rewrite handlers that hold their session across a slow await (SL101, SL102) into the
    short-lived-session pattern."""
    from session_lint.fix import Status  # libcst: only for commands that rewrite
    from session_lint.fix_runner import fix_paths

    paths = paths or (".",)
    settings = _settings_or_exit(config, paths, flags)
    result = fix_paths(paths, settings, unsafe_fixes=unsafe_fixes, diff=diff, excludes=exclude,
                       cache_dir=None if no_cache else Path(cache_dir))
    report = click.echo if not diff else (lambda text: click.echo(text, err=True))
    for file in result.files:
        if diff and file.diff:
            click.echo(file.diff, nl=False)
        for o in file.outcomes:
            if o.status is Status.FIXED:
                note = f" (unsafe: {o.reason})" if o.reason else ""
                verb = "would fix" if diff else "fixed"
                report(f"{file.path}:{o.line}: {verb} {o.function}{note}")
            elif o.status is Status.UNSAFE:
                report(f"{file.path}:{o.line}: unsafe fix not applied to {o.function}: {o.reason} (--unsafe-fixes applies it)")
            else:
                report(f"{file.path}:{o.line}: refused {o.function}: {o.reason}")
        if file.error:
            report(f"{file.path}: {file.error}")
    fixed = result.count(Status.FIXED)
    changed = sum(1 for f in result.files if f.changed)
    verb = "Would fix" if diff else "Fixed"
    report(f"{verb} {fixed} handler(s) in {changed} file(s); {result.count(Status.UNSAFE)} unsafe fix(es) not applied; "
           f"{result.count(Status.REFUSED)} refused.")
    if any(f.error.startswith("internal error") for f in result.files):
        sys.exit(EXIT_ERROR)
    if diff:
        sys.exit(EXIT_FINDINGS if changed else EXIT_CLEAN)
    remaining = len(result.check.findings) - fixed if result.check else 0
    sys.exit(EXIT_FINDINGS if remaining > 0 else EXIT_CLEAN)


@main.command()
def rules() -> None:
    """List every rule."""
    width = max(len(r.name) for r in RULES)
    for rule in RULES:
        click.echo(f"{rule.code}  {rule.name.ljust(width)}  {rule.summary}")


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Show a rule's documentation (what it does, why it matters, an example, the fix)."""
    rule = BY_CODE.get(code.upper())
    if rule is None:
        click.echo(f"session-lint: error: unknown rule '{code}' (see `session-lint rules`)", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(rule.explain(), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()


# Set by :func:`run`: the process exits without tearing anything down, so what a run built is
# kept here rather than freed when the run returns.
_exiting_hard = False
_RETAINED: list = []


def run() -> None:
    """The console entry point: :func:`main`, then an immediate exit. Tearing the interpreter
    down would free every object of the run one at a time (about a second on a 10 MB tree) for
    nothing; the output is flushed first, so nothing is lost."""
    # A run allocates millions of small objects (syntax trees, the intermediate form) that form
    # no reference cycles; with the default thresholds the collector keeps walking them all (a
    # fifth of a cold run). The process ends right after, so the setting is never restored.
    gc.set_threshold(100_000, 50, 100)
    global _exiting_hard
    _exiting_hard = True
    try:
        main()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
