"""What the project index keeps of one module once it is parsed: plain data, no syntax tree,
so that it is small, outlives the parse, and can be cached on disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from session_lint.flow import ir
from session_lint.index.scan import ModuleScan, Resolver, Val
from session_lint.index.orm_facts import OrmFacts


@dataclass
class ModuleIndex:
    name: str
    path: str
    encoding: str = "utf-8"
    imports: Dict[str, str] = field(default_factory=dict)
    globals: Dict[str, Val] = field(default_factory=dict)
    # class name -> global keys of its bases that may be project classes
    classes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    return_types: Dict[str, str] = field(default_factory=dict)
    dependency_aliases: Dict[str, str] = field(default_factory=dict)
    function_names: Tuple[str, ...] = ()
    functions: Optional[Dict[str, ir.FunctionIR]] = None
    # A digest of what other modules can see of this one (its top level, signatures, class
    # attributes), and the other modules' digests this index was built from (transitively).
    interface: str = ""
    deps: Dict[str, str] = field(default_factory=dict)
    # Mapped classes and session factories declared at the top level (SL201).
    orm: Optional[OrmFacts] = None

    def qual_of_local(self, name: str) -> str:
        return f"{self.name}.{name}" if self.name else name

    def alias_key(self, text: str) -> Optional[str]:
        """The global key of ``text`` as written in this module (``get_db``, ``deps.get_db``)."""
        head, _, rest = text.partition(".")
        if head in self.function_names or head in self.classes:
            return self.qual_of_local(text)
        if head in self.imports:
            return self.imports[head] + (f".{rest}" if rest else "")
        return None


def index_of(scan: ModuleScan, resolver: Resolver, path: str, encoding: str,
             functions: Optional[Dict[str, ir.FunctionIR]], interface: str = "",
             orm: Optional[OrmFacts] = None) -> ModuleIndex:
    classes = {}
    for name, info in scan.classes.items():
        bases = tuple(k for k in (resolver.function_key(b) for b in info.bases) if k)
        classes[name] = bases
    return ModuleIndex(
        name=scan.name,
        path=path,
        encoding=encoding,
        imports=dict(scan.imports),
        globals=dict(scan.globals),
        classes=classes,
        return_types=dict(scan.return_types),
        dependency_aliases=dict(scan.dependency_aliases),
        function_names=tuple(scan.functions),
        functions=functions,
        interface=interface,
        orm=orm,
    )
