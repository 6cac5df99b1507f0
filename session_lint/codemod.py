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
from session_lint.fix.facts import FactsOracle
from session_lint.fix.factories import resolve_factories
from session_lint.fix.model import Status
from session_lint.fix.source import fix_source
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
                                help="Also apply fixes where an ORM object escapes the new session.")

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
        project = analysis.project
        data = tree.bytes
        try:
            findings = analyze(data, path, settings, analysis)
            index = project.index(data, path)
        except ParseFailure as failure:
            raise SkipFile(failure.message) from None
        factories = resolve_factories(index, findings, settings, project)
        result = fix_source(data, findings, index, factories, self.unsafe_fixes, FactsOracle(analysis))
        for outcome in result.outcomes:
            if outcome.status is Status.REFUSED:
                self.warn(f"line {outcome.line}: refused {outcome.function}: {outcome.reason}")
            elif outcome.status is Status.UNSAFE:
                self.warn(f"line {outcome.line}: unsafe fix not applied to {outcome.function}: {outcome.reason}")
        if result.source is None:
            raise SkipFile("nothing to fix")
        return cst.parse_module(result.source)
