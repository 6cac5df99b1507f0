"""Evaluates expressions of one module to what they are known to be (:class:`Val`): a module,
class or function by its qualified name, an instance of a class, a session factory; asking the
project index about names other modules bind."""

from __future__ import annotations

import ast
from typing import Dict, Optional, Protocol

from session_lint.config import Settings
from session_lint.index.bindings import ClassInfo, ModuleScan, Val
from session_lint.knowledge import catalogue as sinks
from session_lint.source.parsed import is_none, name_id, subscript_elements


class ExternalNames(Protocol):
    """What other modules of the tree bind (the project index answers)."""

    def return_type(self, qual: str) -> Optional[str]: ...

    def value(self, qual: str) -> Optional[Val]: ...


class Resolver:
    """Evaluates expressions to :class:`Val` against module-level bindings plus a local
    environment."""

    def __init__(self, scan: ModuleScan, settings: Settings, external: Optional["ExternalNames"] = None) -> None:
        self.scan = scan
        self.settings = settings
        # Asks the other modules of the tree what their names are (the project index).
        self.external = external
        # The external answers, by qualified name. A resolver lives while its module is scanned
        # or lowered, and during that time what another module shows does not change (a module
        # being indexed below this one on the stack stays so; one read since stays read), so each
        # question is asked once: the project records the modules it consulted the first time.
        # A module asks the same few names tens of times (56 k questions, 1 k names, on the gateway).
        self._values: Dict[str, Optional[Val]] = {}
        self._returns: Dict[str, Optional[str]] = {}

    def external_value(self, qual: str) -> Optional[Val]:
        """What the module-level name ``qual`` of another module is bound to, asked once."""
        if qual in self._values:
            return self._values[qual]
        value = self._values[qual] = self.external.value(qual) if self.external is not None else None
        return value

    def lookup(self, name: str, env: Dict[str, Optional[Val]]) -> Optional[Val]:
        if name in env:
            return env[name]
        if name in self.scan.globals:
            return self.scan.globals[name]
        if name in self.scan.imports:
            qual = self.scan.imports[name]
            if self.configured_factory(name, qual):
                return Val("factory", qual)
            if self.external is not None:
                # ``from app.clients import http`` where app/clients.py has ``http = AsyncClient()``
                value = self.external_value(qual)
                if value is not None:
                    return value
            return Val("ref", qual)
        if name in self.scan.functions or name in self.scan.classes:
            qual = self.scan.qual_of_local(name)
            # Named in the settings as a factory: the user's word over what its body shows.
            return Val("factory" if name in self.settings.session_factories else "ref", qual)
        if name in self.settings.session_factories:
            return Val("factory", name)
        return Val("ref", name)  # a builtin or an unknown global: named as written

    def configured_factory(self, local: str, qual: str) -> bool:
        """Whether an import of ``qual`` bound to ``local`` is a session factory the settings
        name (``Session``, ``connect``, say). A network client (``requests.Session``,
        ``websockets.connect``) never is one, whatever its name."""
        factories = self.settings.session_factories
        return (local in factories or qual.rsplit(".", 1)[-1] in factories) and not sinks.is_network_client(qual)

    def eval(self, node: ast.AST, env: Dict[str, Optional[Val]], cls: Optional[ClassInfo] = None) -> Optional[Val]:
        name = name_id(node)
        if name is not None:
            if cls is not None and name in ("self", "cls") and name not in env:
                return Val("inst", cls.qual)
            return self.lookup(name, env)
        if isinstance(node, ast.Attribute):
            return self.attribute(self.eval(node.value, env, cls), node.attr)
        if isinstance(node, ast.Call):
            func = self.eval(node.func, env, cls)
            return self.result_of(func)
        if isinstance(node, ast.Await):
            return self.eval(node.value, env, cls)
        if isinstance(node, ast.IfExp):
            # ``A2AAgentService() if settings.a2a_enabled else None``: where the name is used as
            # that instance, it is that instance (used while None, the program fails anyway).
            # Two different values are not guessed between.
            if is_none(node.orelse):
                return self.eval(node.body, env, cls)
            if is_none(node.body):
                return self.eval(node.orelse, env, cls)
            body = self.eval(node.body, env, cls)
            return body if body is not None and body == self.eval(node.orelse, env, cls) else None
        return None

    def qual_of(self, node: ast.AST, env: Dict[str, Optional[Val]], cls: Optional[ClassInfo] = None) -> Optional[str]:
        """The canonical qualified name ``node`` names (a function, class or module), if known."""
        val = self.eval(node, env, cls)
        return sinks.canonical(val.qual) if val is not None and val.kind == "ref" else None

    def dotted_value(self, text: str) -> Optional[Val]:
        """What a dotted name as written (``database.SessionLocal``) is, at module level: what
        :meth:`eval` gives for the expression the text spells."""
        head, *attrs = text.split(".")
        found = self.lookup(head, {})
        for attr in attrs:
            found = self.attribute(found, attr)
        return found

    def attribute(self, base: Optional[Val], attr: str) -> Optional[Val]:
        """What ``<base>.attr`` is, ``base`` being what the expression before the dot is."""
        if base is None:
            return None
        if base.kind == "inst":
            local = self.local_class(base.qual)
            if local is not None:
                if attr in local.attr_types:
                    return local.attr_types[attr]
            if attr in self.settings.session_factories:
                # ``self.session_factory()``, ``db.session_context()``: a configured factory
                # name is one on whatever object holds it.
                return Val("factory", f"{sinks.canonical(base.qual)}.{attr}")
            return Val("ref", f"{sinks.canonical(base.qual)}.{attr}")
        if base.kind in ("ref", "factory"):
            qual = f"{base.qual}.{attr}"
            if base.kind == "ref" and self.external is not None:
                # ``database.SessionLocal`` after ``from app import db as database``: what the
                # other module binds that name to (a factory, an instance), when it is known.
                value = self.external_value(qual)
                if value is not None:
                    return value
            return Val("ref", qual)
        return None

    def result_of(self, func: Optional[Val]) -> Optional[Val]:
        """What calling ``func`` returns, when known."""
        if func is None or func.kind != "ref":
            return None
        qual = sinks.canonical(func.qual)
        if qual in sinks.CLASSES or self.local_class(qual) is not None:
            return Val("inst", qual)
        if qual in sinks.RETURNS:
            return Val("inst", sinks.RETURNS[qual])
        local_name = self.local_name(qual)
        if local_name is not None:
            if local_name in self.scan.return_types:
                return Val("inst", self.scan.return_types[local_name])
            return None
        if self.external is not None and "." in qual:
            if qual in self._returns:
                returned = self._returns[qual]
            else:
                returned = self._returns[qual] = self.external.return_type(qual)
            if returned is not None:
                return Val("inst", sinks.canonical(returned))
        return None

    def local_name(self, qual: str) -> Optional[str]:
        prefix = f"{self.scan.name}." if self.scan.name else ""
        if prefix and qual.startswith(prefix):
            return qual[len(prefix):]
        if not prefix:
            return qual
        return None

    def local_class(self, qual: str) -> Optional[ClassInfo]:
        name = self.local_name(qual)
        return self.scan.classes.get(name) if name is not None else None

    def annotation(self, node: Optional[ast.AST], env: Dict[str, Optional[Val]]) -> Optional[Val]:
        """The instance type an annotation names (``httpx.AsyncClient``, ``Optional[X]``, ``X | None``)."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.annotation(node.left, env) or self.annotation(node.right, env)
        if isinstance(node, ast.Subscript):
            head = self.eval(node.value, env)
            if head is not None and head.qual.rsplit(".", 1)[-1] in ("Optional", "Union", "Annotated"):
                for element in subscript_elements(node):
                    if not isinstance(element, ast.Slice):
                        found = self.annotation(element, env)
                        if found is not None:
                            return found
            return None
        ref = self.eval(node, env)
        if ref is not None and ref.kind == "ref" and ref.qual not in ("None",):
            return Val("inst", sinks.canonical(ref.qual))
        return None

    def function_key(self, text: str) -> Optional[str]:
        """The global key of the function ``text`` (as written in this module) may name."""
        head, _, rest = text.partition(".")
        if head in self.scan.functions or head in self.scan.classes:
            return self.scan.qual_of_local(text)
        if head in self.scan.imports:
            return self.scan.imports[head] + (f".{rest}" if rest else "")
        return None
