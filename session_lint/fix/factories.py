"""Which short-lived session factory a rewritten handler uses: the configured ``fix-factory``,
else one the session dependency's own module provides, else one the handler's module imports."""

from __future__ import annotations

from typing import List, Optional, Sequence

from session_lint.config import Settings
from session_lint.fix.model import Factory
from session_lint.index.module_index import ModuleIndex
from session_lint.index.project import Project
from session_lint.report.findings import Finding


def resolve_factories(index: ModuleIndex, findings: Sequence[Finding], settings: Settings, project: Project) -> List[Factory]:
    """The short-lived session factories the handlers of ``index`` may use, best first: the
    configured ``fix-factory``, else the configured factories that the session dependency's own
    module defines (``mcpgateway.db.fresh_db_session`` next to ``mcpgateway.db.get_db``), else
    those this module already imports. The planner takes the first whose asyncness fits."""
    found: List[Factory] = []
    for spec in settings.fix_factory:
        module, _, name = spec.rpartition(".")
        where = None if module in ("", index.name) else module
        known = project.value(spec) if where else index.globals.get(name)
        commits = known is None or known.kind != "factory" or known.qual.startswith("contextlib.")
        # Configured explicitly: used whatever the session's asyncness.
        found.append(Factory(where, name, commits, False))
        found.append(Factory(where, name, commits, True))
    if found:
        return found
    dependency_keys: List[str] = []
    for fn in (index.functions or {}).values():
        if any(f.function == fn.name and f.function_line == fn.pos.line for f in findings):
            dependency_keys.extend(p.dependency_key for p in fn.session_params if p.dependency_key)
    for key in dict.fromkeys(dependency_keys):
        module = key.rpartition(".")[0]
        facts = index if module == index.name else project.load(module)
        if facts is None:
            continue
        for name in settings.session_factories:
            where: Optional[str] = None if module == index.name else module
            value = facts.globals.get(name)
            if value is None and name in facts.imports:
                # Imported there: import it from where it is defined.
                value = project.value(facts.imports[name])
                origin = facts.imports[name].rpartition(".")[0]
                where = None if origin == index.name else origin
            if value is not None and value.kind == "factory":
                found.append(Factory(where, name, value.qual.startswith("contextlib."),
                                     value.is_async or "async" in name.lower()))
            elif name in facts.function_names or name in facts.imports:
                found.append(Factory(where, name, True, "async" in name.lower()))
    # The modules the factories found so far come from may define better ones
    # (``fresh_db_session`` next to ``SessionLocal`` in ``mcpgateway.db``).
    for origin in dict.fromkeys(f.module for f in list(found) if f.module):
        facts = project.load(origin)
        if facts is None:
            continue
        for name in settings.session_factories:
            value = facts.globals.get(name)
            if value is not None and value.kind == "factory":
                found.append(Factory(origin, name, value.qual.startswith("contextlib."),
                                     value.is_async or "async" in name.lower()))
            elif name in facts.function_names:
                found.append(Factory(origin, name, True, "async" in name.lower()))
    for name in settings.session_factories:
        if name in index.imports:
            value = project.value(index.imports[name])
            commits = value is None or value.kind != "factory" or value.qual.startswith("contextlib.")
            found.append(Factory(index.imports[name].rpartition(".")[0] or None, name, commits, "async" in name.lower()))
    # A factory that commits on exit keeps the dependency's behaviour; prefer one.
    found.sort(key=lambda f: not f.commits)
    return found
