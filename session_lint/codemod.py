"""The rewrite of ``session-lint fix`` as a libcst codemod, for teams that drive codemods with
``python -m libcst.tool codemod -x session_lint.codemod.FixHeldSessions PATH``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import ClassVar, Dict

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, SkipFile

from session_lint import config as settings_mod
from session_lint.run.analysis import Analysis, analyze
from session_lint.source.parse import ParseFailure
from session_lint.fix.planner import plan_fixes
from session_lint.report.fixes import fix_lines
from session_lint.source.modules import project_root


class FixHeldSessions(Codemod):
    DESCRIPTION: str = "Rewrite FastAPI handlers that hold their session across a slow await (session-lint SL101/SL102)."

    # One project index per project root and process, shared by the files it codemods.
    analyses: ClassVar[Dict[Path, Analysis]] = {}

    def __init__(self, context: CodemodContext, unsafe_fixes: bool = False) -> None:
        super().__init__(context)
        self.unsafe_fixes = unsafe_fixes

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--unsafe-fixes", action="store_true", default=False,
                                help="Also apply unsafe fixes (pending writes committed early, an ORM object reloaded).")

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        filename = self.context.filename
        if not filename:
            raise SkipFile("session-lint needs the file's path to resolve its imports")
        path = Path(filename)
        root = project_root(path)
        settings = settings_mod.load(settings_mod.find_config(root))
        if root not in self.analyses:
            self.analyses[root] = Analysis(settings, [root])
        analysis = self.analyses[root]
        data = tree.bytes
        try:
            findings = analyze(data, path, settings, analysis, display_path=str(path))
        except ParseFailure as failure:
            raise SkipFile(failure.message) from None
        plan = plan_fixes(findings, analysis, settings, [root], self.unsafe_fixes)
        left = [o for o in plan.outcomes if not o.applied]
        for line in fix_lines(left, diff=False):
            self.warn(line)
        for other in sorted(set(plan.sources) - {str(path)}):
            self.warn(f"{other}: a release belongs in this file too: run `session-lint fix` to write it")
        new = plan.sources.get(str(path))
        if new is None:
            raise SkipFile("nothing to fix")
        return cst.parse_module(new)
