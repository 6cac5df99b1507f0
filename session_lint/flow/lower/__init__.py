"""The front end: one module's source in, its index out (parsed, scanned, every function lowered
to :mod:`session_lint.flow.ir`, handlers marked by the web frameworks)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional, Union

from session_lint.config import Settings
from session_lint.flow.lower.module import ModuleLowerer
from session_lint.index import orm_facts
from session_lint.index.interface import interface_digest
from session_lint.index.module_index import ModuleIndex, index_of
from session_lint.index.project import Project
from session_lint.index.resolver import Resolver
from session_lint.index.scan import infer_return_types, scan_module
from session_lint.knowledge import frameworks
from session_lint.knowledge.catalogue import sink_table
from session_lint.source.modules import module_name
from session_lint.source.parse import parse, parsed_from


def lower_module(data: Union[bytes, str], path: Path, settings: Settings, project: Project,
                 tree: Optional[ast.Module] = None) -> ModuleIndex:
    """Parses (unless ``tree`` is the module parsed already) and lowers one module, using
    ``project`` for what other modules define (raises ParseFailure)."""
    parsed = parse(data) if tree is None else parsed_from(tree, data)
    orm = orm_facts.read(parsed.tree, parsed.segment, parsed.span(0, None))
    name, is_package = module_name(path)
    interface = interface_digest(parsed)

    def known(facts, resolver) -> None:
        project.partial(path, index_of(facts, resolver, str(path), parsed.encoding, None, interface, orm))

    # Its names are known to others as soon as the scan has them (see ``names_known``), and
    # its whole top level once the scan is done: a module that imports this one back while this
    # one's bodies are being lowered sees them, whatever order the files are checked in.
    scan = scan_module(parsed, name, is_package, settings, project, names_known=known)
    resolver = Resolver(scan, settings, project)
    known(scan, resolver)
    infer_return_types(scan, resolver)
    known(scan, resolver)  # with the return types just inferred
    table = sink_table(settings.extra_sinks, settings.extra_blocking_sinks, settings.non_sinks,
                       settings.enable_libraries)
    lowerer = ModuleLowerer(scan, settings, parsed, table, project)
    lowered = lowerer.lower_all()
    frameworks.annotate(lowered.functions, lowered.nodes, lowered.classes, lowerer.resolver, parsed,
                        settings.session_dependencies, settings.session_decorators, project.alias_dependency)
    return index_of(scan, lowerer.resolver, str(path), parsed.encoding, lowered.functions, interface, orm)
