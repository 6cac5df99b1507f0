"""The ``session-lint`` command."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

import click

from session_lint import __version__
from session_lint.report import text as text_mod
from session_lint.report.formats import FOR_PEOPLE, FORMATS, WITH_FIX_STATUS, render
from session_lint.rules import RULES, lookup
from session_lint.report import baseline as baseline_mod
from session_lint.run.analysis import fix_factory_problem
from session_lint.run.check import DEFAULT_CACHE_DIR, check_paths, check_source
from session_lint.run.progress import Progress
from session_lint.index.cache import CACHE_DIR_ENV
from session_lint.run.timing import Timings
from session_lint import config as settings_mod
from session_lint.config import ConfigError, Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _setting_options(func):
    """One ``--key`` and ``--extend-key`` option per configuration key, comma-separated (``exclude``
    is the ``check`` command's own: ``fix`` has an option of that name already)."""
    for key in reversed(settings_mod.NUMBER_KEYS):
        func = click.option(f"--{key}", key.replace("-", "_"), default=None, metavar="NUMBER",
                            help=f"Set {key}.")(func)
    for key in reversed(settings_mod.SINGLE_KEYS):
        func = click.option(f"--{key}", key.replace("-", "_"), default=None, metavar="MODULE.NAME",
                            help=f"Set {key} (one value).")(func)
    func = click.option("--extend-per-file-ignores", "extend_per_file_ignores", multiple=True, metavar="GLOB:CODES",
                        help="Add to per-file-ignores (repeatable).")(func)
    func = click.option("--per-file-ignores", "per_file_ignores", multiple=True, metavar="GLOB:CODES",
                        help="Codes not reported in the files a pattern matches, as `tests/*:SL101,SL102` "
                             "(repeatable; replaces the configured ones).")(func)
    func = click.option("--extend-exclude", "extend_exclude", multiple=True, metavar="PATTERNS",
                        help="Add to the file and folder patterns a run skips (comma-separated; repeatable).")(func)
    for key, text in reversed((("select", "Report only these codes or prefixes (replaces the configured selection)"),
                               ("extend-select", "Also report these codes or prefixes"),
                               ("ignore", "Do not report these codes or prefixes"),
                               ("extend-ignore", "The same as --ignore"))):
        func = click.option(f"--{key}", key.replace("-", "_"), multiple=True, metavar="CODES",
                            help=f"{text} (comma-separated; repeatable).")(func)
    for key in reversed(settings_mod.LIST_KEYS):
        if key in settings_mod.SINGLE_KEYS or key == "exclude":
            continue
        func = click.option(f"--extend-{key}", f"extend_{key.replace('-', '_')}", multiple=True, metavar="LIST",
                            help=f"Add to {key}.")(func)
        func = click.option(f"--{key}", key.replace("-", "_"), multiple=True, metavar="LIST",
                            help=f"Replace {key} (comma-separated; repeatable).")(func)
    return func


def _settings(config: Optional[str], paths: Sequence[str], flags: Dict[str, Any]) -> Settings:
    if config is not None:
        path: Optional[Path] = Path(config)
        if not path.is_file():
            raise ConfigError(f"{config}: no such configuration file")
    else:
        start = Path(paths[0]) if paths and paths[0] != "-" else Path.cwd()
        path = settings_mod.find_config(start if start.exists() else Path.cwd())
    base = settings_mod.load(path)
    values: Dict[str, Any] = {}
    for name, given in flags.items():
        if given is None or given == ():
            continue
        key = name.replace("_", "-")
        if key in settings_mod.NUMBER_KEYS or key in settings_mod.SINGLE_KEYS:
            values[key] = given
        elif key in ("per-file-ignores", "extend-per-file-ignores"):
            values[key] = list(given)
        else:
            values[key] = [part for item in given for part in item.split(",") if part.strip()]
    return settings_mod.apply(base, values, "command line", base=Path.cwd())


def _settings_or_exit(config: Optional[str], paths: Sequence[str], flags) -> Settings:
    try:
        return _settings(config, paths, flags)
    except ConfigError as exc:
        click.echo(f"session-lint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


def _warn_about_fix_factory(settings: Settings, paths: Sequence[str]) -> None:
    problem = fix_factory_problem(settings, paths)
    if problem:
        click.echo(f"session-lint: warning: {problem}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="session-lint", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Find FastAPI handlers that hold a SQLAlchemy session open across slow awaits."""
    cache_dir = os.environ.get(CACHE_DIR_ENV)
    if cache_dir:
        # Every command's --cache-dir default at once, read when the command runs (not when this
        # module was imported), so a test suite or a CI step can move the cache for all of them.
        ctx.default_map = {name: {"cache_dir": cache_dir} for name in main.commands}


def _colour(stream) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` says not; ``FORCE_COLOR`` asks for it anywhere
    (a CI log that renders it)."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="full (default on a terminal: the source line, a caret, help), concise (default otherwise: "
                   "path:line:col: CODE message; `text` is its old name), json, sarif, github, gitlab, junit.")
@click.option("--show-source/--no-show-source", "show_source", default=None,
              help="The full format (or, with --no-show-source, the concise one) unless --format says otherwise.")
@click.option("--statistics", is_flag=True, help="Print how many findings each rule has instead of the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (2 still means an error).")
@click.option("-q", "--quiet", is_flag=True, help="Print the findings and nothing else: no summary, no progress.")
@click.option("--stdin-filename", metavar="PATH",
              help="With `-` (or no PATH), read the source from stdin and report it as this file.")
@click.option("--watch", "-w", is_flag=True, help="Check again whenever a file under PATHS changes.")
@click.option("--fix", "fix_", is_flag=True,
              help="Run `session-lint fix` on PATHS instead (with --diff and --unsafe-fixes as there).")
@click.option("--diff", is_flag=True, help="Print the diff `fix` would apply and write nothing (implies --fix).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix: also apply unsafe fixes.")
@click.option("--report-unused-noqa", is_flag=True,
              help="Also report `# noqa: SL...` comments that silence nothing (SL900).")
@click.option("--config", type=click.Path(), help="Configuration file (default: nearest pyproject.toml/setup.cfg).")
@click.option("--exclude", multiple=True, metavar="PATTERNS",
              help="File and folder patterns to skip, replacing the defaults and the configured ones "
                   "(comma-separated; repeatable; --extend-exclude adds instead).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=DEFAULT_CACHE_DIR, show_default=True,
              help=f"Where lowered modules are cached, keyed on content, settings and session-lint's own code "
                   f"(default: ${CACHE_DIR_ENV} when set).")
@click.option("--no-cache", is_flag=True, help="Read and lower every module anew.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for the per-file analysis (default: the machine's cores).")
@click.option("--timings", is_flag=True, help="Also print (on stderr) how long each phase of the run took.")
@click.option("--explain-unresolved", is_flag=True,
              help="Also list (on stderr) awaited calls made while a session was open that could not be followed.")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Report only findings not recorded in this file.")
@click.option("--write-baseline", is_flag=True, help="Record today's findings in the --baseline file and exit 0.")
@click.option("--runtime-findings", type=click.Path(dir_okay=False),
              help="Mark findings with what `pytest --session-lint` saw (its report file), and add the holds only "
                   "it saw (SL191).")
@_setting_options
@click.pass_context
def check(ctx: click.Context, paths: Tuple[str, ...], fmt: Optional[str], show_source: Optional[bool],
          statistics: bool, exit_zero: bool, quiet: bool, stdin_filename: Optional[str], watch: bool, fix_: bool,
          diff: bool, unsafe_fixes: bool, report_unused_noqa: bool, config: Optional[str], cache_dir: str,
          no_cache: bool, jobs: Optional[int], timings: bool, explain_unresolved: bool, baseline: Optional[str],
          write_baseline: bool, runtime_findings: Optional[str], **flags) -> None:
    """Report held sessions in PATHS (files or folders; default: the current folder; `-`: stdin)."""
    if fix_ or diff:
        # The same implementation as `session-lint fix`, with the options the two share.
        ctx.invoke(fix, **{k: v for k, v in ctx.params.items() if k in {p.name for p in fix.params}})
        return
    if report_unused_noqa:
        flags["extend_select"] = tuple(flags.get("extend_select") or ()) + ("SL900",)
    from_stdin = "-" in paths or (stdin_filename is not None and not paths)
    if from_stdin and (paths not in ((), ("-",)) or watch):
        _usage_error("`-` (stdin) is checked alone, and cannot be watched")
    paths = paths or (".",)
    if fmt is None:
        fmt = ("full" if show_source else "concise") if show_source is not None else \
            ("full" if sys.stdout.isatty() else "concise")
    if write_baseline and not baseline:
        _usage_error("--write-baseline needs --baseline FILE")
    if baseline and not write_baseline and not Path(baseline).is_file():
        _usage_error(f"--baseline {baseline}: no such file (--write-baseline creates it)")
    options = dict(paths=paths, fmt=fmt, statistics=statistics, quiet=quiet, stdin_filename=stdin_filename,
                   from_stdin=from_stdin, config=config, cache_dir=None if no_cache else Path(cache_dir), jobs=jobs,
                   timings=timings, explain_unresolved=explain_unresolved, baseline=baseline,
                   write_baseline=write_baseline, runtime_findings=runtime_findings, flags=flags)
    if not watch:
        code = _check_once(**options)
        sys.exit(EXIT_CLEAN if exit_zero and code == EXIT_FINDINGS else code)
    from session_lint.run.watch import watch as watching

    try:
        watching(lambda: _check_once(**options, watching=True), paths,
                 lambda: _settings_or_exit(config, paths, flags).excludes,
                 lambda text: click.echo(text, err=True))
    except KeyboardInterrupt:
        sys.exit(EXIT_CLEAN)


def _usage_error(text: str) -> None:
    click.echo(f"session-lint: error: {text}", err=True)
    sys.exit(EXIT_ERROR)


def _check_once(paths: Sequence[str], fmt: str, statistics: bool, quiet: bool, stdin_filename: Optional[str],
                from_stdin: bool, config: Optional[str], cache_dir: Optional[Path], jobs: Optional[int],
                timings: bool, explain_unresolved: bool, baseline: Optional[str], write_baseline: bool,
                runtime_findings: Optional[str], flags: Dict[str, Any], watching: bool = False) -> int:
    """One check: findings printed, the exit status returned."""
    settings = _settings_or_exit(config, [stdin_filename or "."] if from_stdin else paths, flags)
    known = None
    if baseline and not write_baseline:
        try:
            known = baseline_mod.read(Path(baseline))
        except baseline_mod.BaselineError as exc:
            _usage_error(str(exc))
    holder: dict = {}
    clock = Timings() if timings else None
    progress = Progress.for_terminal(sys.stderr, quiet=quiet or from_stdin)
    if progress is not None:
        progress.start()
    try:
        if from_stdin:
            data = sys.stdin.buffer.read()
            result = check_source(data, Path(stdin_filename or "-"), stdin_filename or "-", settings, cache_dir)
        else:
            result = check_paths(paths, settings, (), cache_dir,
                                 keep_analysis=holder if fmt in WITH_FIX_STATUS and not statistics else None,
                                 progress=progress, jobs=jobs or os.cpu_count() or 1, timings=clock,
                                 retain=_RETAINED if _exiting_hard and not watching else None)
    finally:
        if progress is not None:
            progress.clear()
    if write_baseline:
        assert baseline is not None
        baseline_mod.write(Path(baseline), result.findings)
        click.echo(f"session-lint: recorded {len(result.findings)} finding(s) in {baseline}", err=True)
        return EXIT_CLEAN
    silenced_by_baseline = 0
    if known is not None:
        before = len(result.findings)
        result.findings, gone = baseline_mod.new_findings(result.findings, known)
        silenced_by_baseline = before - len(result.findings)
        if gone:
            click.echo(f"session-lint: {gone} baseline finding(s) no longer occur; --write-baseline drops them",
                       err=True)
    cross = None
    if runtime_findings:
        from session_lint.runtime import crosscheck  # only when asked: the plugin's report format

        try:
            cross = crosscheck.from_file(result.findings, Path(runtime_findings), settings.enabled)
        except ValueError as exc:
            _usage_error(str(exc))
        result.findings = cross.findings()
    colour = _colour(sys.stdout)
    with clock.phase("output") if clock is not None else contextlib.nullcontext():
        rewrites: Dict[str, str] = {}
        if fmt in WITH_FIX_STATUS and not statistics and "analysis" in holder:
            from session_lint.fix.runner import fix_paths, with_fix_status  # libcst: only when a fix is planned

            result.findings = with_fix_status(result.findings, settings, holder["analysis"])
            if fmt == "sarif":
                rewrites = _planned_rewrites(result.findings, settings, cache_dir, fix_paths)
        if statistics:
            out = (json.dumps(text_mod.statistics(result.findings), indent=2) + "\n" if fmt == "json"
                   else text_mod.statistics_text(result.findings))
        else:
            out = render(result.findings, fmt, colour=colour, rewrites=rewrites)
            if cross is not None:
                out = crosscheck.annotate(out, fmt, cross)
        if cross is not None and not quiet:
            click.echo(crosscheck.summary(cross), err=True)
        if out:
            click.echo(out, nl=False, color=colour)
        if not quiet and fmt in FOR_PEOPLE:
            if out and fmt == "full" and not statistics:
                click.echo("")
            click.echo(text_mod.summary(result.findings, result.noqa_suppressed, silenced_by_baseline, colour),
                       nl=False, color=colour)
    if clock is not None:
        parsing = clock.seconds.get("parsing", 0.0)
        for phase, seconds in clock.seconds.items():
            if phase == "indexing":
                # Parsing happens inside indexing; the rest of it is scanning and lowering.
                click.echo(f"session-lint: timing: indexing (parse excluded) {seconds - parsing:.3f} s", err=True)
            else:
                click.echo(f"session-lint: timing: {phase} {seconds:.3f} s", err=True)
    if not from_stdin:
        _warn_about_fix_factory(settings, paths)
    if explain_unresolved:
        click.echo(f"session-lint: {len(result.unresolved)} awaited call(s) made while a session was open could not "
                   "be followed (add slow ones to extra-sinks):", err=True)
        for path, line, col, label in result.unresolved:
            click.echo(f"{path}:{line}:{col + 1}: {label}", err=True)
    if result.internal_errors:
        click.echo(f"session-lint: {result.internal_errors} file(s) hit an internal error (SL000 above)", err=True)
        return EXIT_ERROR
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN


def _planned_rewrites(findings, settings: Settings, cache_dir: Optional[Path], fix_paths) -> Dict[str, str]:
    """The diff ``fix`` would apply to each file that has a safe fix (SARIF's ``fixes``), from
    ``fix --diff`` itself over those files: nothing is written."""
    from session_lint.report.findings import FixStatus

    files = sorted({f.path for f in findings if f.fix is not None and f.fix.status is FixStatus.SAFE})
    if not files:
        return {}
    planned = fix_paths(files, settings, diff=True, cache_dir=cache_dir)
    return {report.path: report.diff for report in planned.files if report.diff}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diff", is_flag=True, help="Print a unified diff and write nothing (exit 1 if anything would change).")
@click.option("--unsafe-fixes", is_flag=True,
              help="Also apply unsafe fixes (pending writes committed early, an ORM object reloaded after the release).")
@click.option("--config", type=click.Path(), help="Configuration file (default: nearest pyproject.toml/setup.cfg).")
@click.option("--exclude", multiple=True, help="File or folder name patterns to skip (repeatable).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=DEFAULT_CACHE_DIR, show_default=True)
@click.option("--no-cache", is_flag=True)
@_setting_options
def fix(paths: Tuple[str, ...], diff: bool, unsafe_fixes: bool, config: Optional[str], exclude: Tuple[str, ...],
        cache_dir: str, no_cache: bool, **flags) -> None:
    """End each held transaction before its slow call: a handler whose session is used only
    before it reads in a short-lived session (extract); elsewhere the transaction is committed
    where it is held (release). Every rewrite is checked again before it is written."""
    from session_lint.fix.runner import fix_paths  # libcst: only for commands that rewrite
    from session_lint.report.fixes import fix_lines, fix_summary

    paths = paths or (".",)
    settings = _settings_or_exit(config, paths, flags)
    _warn_about_fix_factory(settings, paths)
    result = fix_paths(paths, settings, unsafe_fixes=unsafe_fixes, diff=diff, excludes=exclude,
                       cache_dir=None if no_cache else Path(cache_dir))
    report = click.echo if not diff else (lambda text: click.echo(text, err=True))
    for file in result.files:
        if diff and file.diff:
            click.echo(file.diff, nl=False)
        if file.error:
            report(f"{file.path}: {file.error}" if file.path else f"session-lint: {file.error}")
    for line in fix_lines(result.outcomes, diff):
        report(line)
    report(fix_summary(result, diff))
    if any(f.error.startswith("internal error") for f in result.files):
        sys.exit(EXIT_ERROR)
    changed = sum(1 for f in result.files if f.changed)
    if diff:
        sys.exit(EXIT_FINDINGS if changed else EXIT_CLEAN)
    remaining = len(result.check.findings) - len(result.resolved()) if result.check else 0
    sys.exit(EXIT_FINDINGS if remaining > 0 else EXIT_CLEAN)


@main.command()
def rules() -> None:
    """List every rule."""
    width = max(len(r.name) for r in RULES)
    for rule in RULES:
        click.echo(f"{rule.code}  {rule.name.ljust(width)}  {rule.summary}")


@main.command()
@click.option("--config", type=click.Path(), help="Configuration file (default: nearest pyproject.toml/setup.cfg).")
def libraries(config: Optional[str]) -> None:
    """List the libraries whose calls are known, by category, and whether they count here."""
    from session_lint.knowledge.catalogue import LIBRARIES
    from session_lint.knowledge.declarations import Category

    enabled = set(_settings_or_exit(config, (), {}).enable_libraries)
    width = max(len(library.name) for library in LIBRARIES)
    for category in Category:
        known = [library for library in LIBRARIES if library.category is category]
        if known:
            click.echo(f"{category.value}:")
        for library in known:
            state = "on " if library.default_enabled or library.name in enabled else "off"
            click.echo(f"  {library.name.ljust(width)}  {state}  {library.summary}")


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Show a rule's documentation, by code (SL101) or name (session-held-across-slow-await)."""
    try:
        rule = lookup(code)
    except KeyError:
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
