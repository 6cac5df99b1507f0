"""What a module declares about the ORM: its mapped classes (columns, relationships and how they
load, deferred columns) and its session factories (whether a commit expires loaded objects, and
whether leaving the factory's block commits).

SL201 needs this to tell a harmless read of a loaded column from one that lazy-loads, reads a
deferred column or refreshes an expired object after the session has ended. Read from the
module's ``ast`` tree alone (never imported, never run); what other modules add (base classes,
relationship targets, a factory built elsewhere) is joined by :class:`session_lint.project.Project`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, Optional, Tuple

from session_lint.knowledge.python import CONTEXT_MANAGER_DECORATORS
from session_lint.knowledge.sqlalchemy import (
    COLLECTION_ANNOTATIONS,
    COLUMN_CALLS,
    DEFERRED_CALLS,
    MAPPED_ANNOTATION,
    PROPERTY_DECORATORS,
    RELATIONSHIP_CALLS,
    SESSION_MAKER_NAMES,
    SQLMODEL_BASE,
    TABLE_ATTRIBUTES,
    ISOLATION_KEYWORD,
    STRICT_ISOLATION,
    expire_on_commit,
    isolation_set,
)
from session_lint.source.parsed import child_nodes, dotted, returned_values

@dataclass(frozen=True)
class Relationship:
    target: Optional[str]  # the related class as written: "Gateway", or a dotted name
    lazy: str  # "select" unless the declaration says otherwise
    collection: bool  # a list of objects (cannot follow attributes through it)


@dataclass
class Model:
    """One class body's declarations; the project merges those of its bases."""

    name: str
    bases: Tuple[str, ...] = ()  # dotted names as written, resolved by the project
    columns: FrozenSet[str] = frozenset()
    deferred: FrozenSet[str] = frozenset()
    relationships: Dict[str, Relationship] = field(default_factory=dict)
    # Names the class defines as methods or properties: reading them runs code we do not follow.
    behaviour: FrozenSet[str] = frozenset()
    declares_table: bool = False
    # ``@property``/``@hybrid_property`` name -> the attributes its body reads from ``self``:
    # reading the property reads those.
    properties: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # The same for the other methods: calling one reads those.
    methods: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # The methods that set attributes of ``self`` (``user.increment_failed_attempts()``):
    # calling one is a write the session will flush.
    mutators: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class SessionSource:
    """How a module-level name makes sessions.

    ``maker``: a ``sessionmaker(...)`` whose ``expire_on_commit`` is ``expire`` (None when it is
    not a literal). ``function``: a (context-manager or generator) function that creates its
    session by calling ``calls`` and, if ``commits_on_exit``, commits it after its ``yield``;
    ``rolls_back_on_error``: an ``except`` of it rolls the session back (which expires every
    object loaded through it) before the exception leaves the caller's ``with`` block.
    ``alias``: another name (``fresh_db_session = contextmanager(get_db)``).
    """

    kind: str
    expire: Optional[bool] = None
    calls: Optional[str] = None
    commits_on_exit: bool = False
    rolls_back_on_error: bool = False


@dataclass
class OrmFacts:
    models: Dict[str, Model] = field(default_factory=dict)
    # relationship targets' backrefs: target class as written -> (attribute, owner class name)
    backrefs: Tuple[Tuple[str, str, str, str], ...] = ()
    sessions: Dict[str, SessionSource] = field(default_factory=dict)
    # Where the module sets a strict isolation level (``create_engine(...,
    # isolation_level="SERIALIZABLE")``): (level, line).
    isolation: Tuple[Tuple[str, int], ...] = ()


def _last(node: ast.AST) -> Optional[str]:
    text = dotted(node)
    return text.rsplit(".", 1)[-1] if text else None


def _keyword(call: ast.Call, name: str) -> Optional[ast.expr]:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _constant(node: Optional[ast.expr]):
    return node.value if isinstance(node, ast.Constant) else None


def read(tree: ast.Module, text_of: Optional[Callable[[ast.AST], bytes]] = None, source: bytes = b"") -> OrmFacts:
    """The ORM facts of one module's top level. ``text_of`` gives a node's source text, when
    known: it lets functions that cannot hand a session over go unread; ``source`` the module's
    text, when known: only a module that says ``isolation_level`` is searched for one."""
    facts = OrmFacts()
    if ISOLATION_KEYWORD.encode() in source:
        facts.isolation = tuple((level, node.lineno) for node in ast.walk(tree) if isinstance(node, ast.Call)
                                for level in (isolation_set(node),) if level in STRICT_ISOLATION)
    backrefs = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            model, found = _read_class(stmt)
            if model is not None:
                facts.models[stmt.name] = model
                backrefs.extend(found)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if text_of is not None and not _may_hand_over(stmt, text_of(stmt)):
                continue
            source = _read_session_function(stmt)
            if source is not None:
                facts.sessions[stmt.name] = source
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            source = _read_session_value(stmt.value)
            if source is not None:
                for target in targets:
                    if isinstance(target, ast.Name):
                        facts.sessions[target.id] = source
    facts.backrefs = tuple(backrefs)
    return facts


def _read_class(node: ast.ClassDef) -> Tuple[Optional[Model], list]:
    columns, deferred, behaviour = set(), set(), set()
    properties: Dict[str, Tuple[str, ...]] = {}
    methods: Dict[str, Tuple[str, ...]] = {}
    relationships: Dict[str, Relationship] = {}
    backrefs = []
    # SQLModel: ``class Team(SQLModel, table=True)`` maps every annotated field, and the fields of
    # a plain ``SQLModel`` base become the columns of the table classes built on it.
    declares_table = any(kw.arg == "table" and _constant(kw.value) is True for kw in node.keywords)
    fields_are_columns = declares_table or any(_last(base) == SQLMODEL_BASE for base in node.bases)
    functions = []
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            behaviour.add(stmt.name)
            functions.append(stmt)
            continue
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name, annotation, value = stmt.targets[0].id, None, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, annotation, value = stmt.target.id, stmt.annotation, stmt.value
        else:
            continue
        if name in TABLE_ATTRIBUTES:
            declares_table = True
            continue
        mapped_type = _mapped_type(annotation)
        call = value if isinstance(value, ast.Call) else None
        what = _last(call.func) if call is not None else None
        if fields_are_columns and mapped_type is None and annotation is not None:
            mapped_type = annotation  # SQLModel's annotations are the plain types
        if what in RELATIONSHIP_CALLS:
            target, collection = _relationship_target(call, mapped_type)
            relationships[name] = Relationship(target, _lazy(_relationship_lazy(call)), collection)
            backref = _keyword(call, "backref")
            if target is not None and backref is not None:
                ref_name, ref_lazy = _backref(backref)
                if ref_name:
                    backrefs.append((target, ref_name, node.name, ref_lazy))
        elif what in DEFERRED_CALLS:
            columns.add(name)
            deferred.add(name)
        elif what in COLUMN_CALLS:
            columns.add(name)
            if _constant(_keyword(call, "deferred")) is True:
                deferred.add(name)
        elif mapped_type is not None and value is None:
            # ``name: Mapped[int]`` alone is a column in SQLAlchemy 2.0's declarative mapping.
            if _relationship_annotation(mapped_type):
                continue
            columns.add(name)
        elif fields_are_columns and annotation is not None and _last(annotation) != "ClassVar" and not (
                isinstance(annotation, ast.Subscript) and _last(annotation.value) == "ClassVar"):
            columns.add(name)  # ``name: str = Field(index=True)``
    if not (columns or relationships or declares_table):
        return None, []
    # Only a mapped class's methods are followed, and most classes are not mapped: their
    # bodies are not walked.
    mutators = set()
    for stmt in functions:
        decorators = {_last(d) for d in stmt.decorator_list}
        if decorators & PROPERTY_DECORATORS:
            properties[stmt.name] = _self_reads(stmt)
        elif not decorators & {"staticmethod", "classmethod"}:
            methods[stmt.name] = _self_reads(stmt)
            if _sets_self(stmt):
                mutators.add(stmt.name)
    bases = tuple(b for b in (dotted(base) for base in node.bases) if b)
    model = Model(node.name, bases, frozenset(columns), frozenset(deferred), relationships,
                  frozenset(behaviour), declares_table, properties, methods, frozenset(mutators))
    return model, backrefs


def _sets_self(fn: ast.AST) -> bool:
    """Whether a method sets an attribute of its first parameter (``self.count += 1``)."""
    args = fn.args.args  # type: ignore[attr-defined]
    if not args:
        return False
    me = args[0].arg
    return any(isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == me
               and isinstance(node.ctx, ast.Store) for node in _walk_in_order(fn))


def _self_reads(fn: ast.AST) -> Tuple[str, ...]:
    """The attributes a method reads from its first parameter (``self.gateway``)."""
    args = fn.args.args  # type: ignore[attr-defined]
    if not args:
        return ()
    me = args[0].arg
    found = []
    for node in _walk_in_order(fn):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == me
                and isinstance(node.ctx, ast.Load)):
            found.append(node.attr)
    return tuple(dict.fromkeys(found))


def _mapped_type(annotation: Optional[ast.expr]) -> Optional[ast.expr]:
    """``X`` of ``Mapped[X]`` (quoted annotations are read as what they quote)."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = _quoted(annotation.value)
        if annotation is None:
            return None
    if isinstance(annotation, ast.Subscript) and _last(annotation.value) == MAPPED_ANNOTATION:
        inner = annotation.slice
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            inner = _quoted(inner.value)
            if inner is None:
                return None
        return inner
    return None


def _quoted(text: str) -> Optional[ast.expr]:
    """The expression a quoted annotation holds; None for anything that is not one (a string of
    the analysed code can hold null bytes or nesting deep enough to exhaust the parser)."""
    if len(text) > 1000:
        return None
    try:
        return ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _relationship_annotation(inner: ast.expr) -> bool:
    return isinstance(inner, ast.Subscript) and _last(inner.value) in ("List", "list", "Set", "set")


def _class_of(node: Optional[ast.expr]) -> Tuple[Optional[str], bool]:
    """The related class named by a ``Mapped`` type or ``relationship`` argument, and whether
    it is a collection."""
    if node is None:
        return None, False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = _quoted(node.value)
        if node is None:
            return None, False
    if isinstance(node, ast.Subscript):
        head = _last(node.value)
        if head in ("Optional",):
            return _class_of(node.slice)
        if head in COLLECTION_ANNOTATIONS:
            return _class_of(node.slice)[0], True
        return None, False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # "Gateway | None"
        for side in (node.left, node.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                return _class_of(side)
    if isinstance(node, ast.Lambda):
        return _class_of(node.body)
    return dotted(node), False


def _relationship_target(call: ast.Call, mapped_type: Optional[ast.expr]) -> Tuple[Optional[str], bool]:
    target = None
    collection = False
    if mapped_type is not None:
        target, collection = _class_of(mapped_type)
    argument = call.args[0] if call.args else _keyword(call, "argument")
    if argument is not None:
        named, _ = _class_of(argument)
        target = named or target
    uselist = _constant(_keyword(call, "uselist"))
    if uselist is not None:
        collection = bool(uselist)
    # Without an annotation or uselist= SQLAlchemy decides from the foreign keys; we cannot, and
    # the scalar guess lets attribute chains be followed where it is right.
    return target, collection


def _relationship_lazy(call: ast.Call) -> Optional[ast.expr]:
    """The ``lazy=`` a relationship is given: its own keyword, or for SQLModel's ``Relationship``
    the ``"lazy"`` entry of ``sa_relationship_kwargs={...}``."""
    found = _keyword(call, "lazy")
    extra = _keyword(call, "sa_relationship_kwargs")
    if found is None and isinstance(extra, ast.Dict):
        for key, value in zip(extra.keys, extra.values):
            if isinstance(key, ast.Constant) and key.value == "lazy":
                return value
    return found


def _lazy(node: Optional[ast.expr]) -> str:
    """The loader strategy a ``lazy=`` argument names (the legacy booleans included)."""
    if node is None:
        return "select"
    value = _constant(node)
    if isinstance(value, str):
        return value
    if value is True:
        return "select"
    if value is False:
        return "joined"
    if isinstance(node, ast.Constant) and value is None:
        return "noload"
    return "unknown"  # computed: assume nothing about it


def _backref(node: ast.expr) -> Tuple[Optional[str], str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, "select"
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        name = node.args[0].value
        return (name if isinstance(name, str) else None), _lazy(_keyword(node, "lazy"))
    return None, "select"


def _read_session_value(value: ast.expr) -> Optional[SessionSource]:
    if not isinstance(value, ast.Call):
        return None
    what = _last(value.func)
    if what in SESSION_MAKER_NAMES:
        return SessionSource("maker", expire=expire_on_commit(value))
    if what in CONTEXT_MANAGER_DECORATORS and value.args:
        named = dotted(value.args[0])
        return SessionSource("alias", calls=named) if named else None
    return None


def session_function_source(node: ast.AST) -> Optional[str]:
    """What ``node`` calls to make the session it yields or returns, as written (``SessionLocal``),
    if it is such a function."""
    found = _read_session_function(node)
    return found.calls if found is not None else None


def _read_session_function(node: ast.AST) -> Optional[SessionSource]:
    """A function that makes a session (``db = SessionLocal()``) and yields or returns it."""
    made: Dict[str, str] = {}
    yielded = None
    committed_after_yield = False
    seen_yield = False
    for child in _walk_in_order(node):
        if isinstance(child, ast.Assign) and isinstance(child.value, ast.Call) and len(child.targets) == 1:
            target = child.targets[0]
            callee = dotted(child.value.func)
            if isinstance(target, ast.Name) and callee:
                made[target.id] = callee
        elif isinstance(child, (ast.With, ast.AsyncWith)):
            for item in child.items:
                if isinstance(item.context_expr, ast.Call) and isinstance(item.optional_vars, ast.Name):
                    callee = dotted(item.context_expr.func)
                    if callee:
                        made[item.optional_vars.id] = callee
        elif isinstance(child, (ast.Yield, ast.Return)) and isinstance(child.value, ast.Name):
            if child.value.id in made:
                yielded = child.value.id
                seen_yield = seen_yield or isinstance(child, ast.Yield)
        elif (seen_yield and isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
              and child.func.attr == "commit" and isinstance(child.func.value, ast.Name)
              and child.func.value.id == yielded):
            committed_after_yield = True
    if yielded is None:
        return None
    rolls_back = any(
        isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "rollback"
        and isinstance(call.func.value, ast.Name) and call.func.value.id == yielded
        for handler in ast.walk(node) if isinstance(handler, ast.ExceptHandler)
        for call in ast.walk(handler)
    )
    return SessionSource("function", calls=made[yielded], commits_on_exit=committed_after_yield,
                         rolls_back_on_error=rolls_back)


def _may_hand_over(fn: ast.AST, text: bytes) -> bool:
    """Whether ``fn`` yields (its text says ``yield``) or returns a plain name: only such a
    function can hand over a session it made, and most have neither, so the walk of every node
    of theirs that :func:`_read_session_function` makes is saved."""
    if b"yield" in text:
        return True
    return any(isinstance(value, ast.Name) for value in returned_values(fn) or ())


def _walk_in_order(node: ast.AST) -> Iterable[ast.AST]:
    """Every node below ``node`` in source order (``ast.walk`` is breadth first), not entering
    nested functions or classes."""
    stack = child_nodes(node)[::-1]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, _NOT_ENTERED):
            continue
        stack.extend(child_nodes(current)[::-1])


_NOT_ENTERED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass
class MappedClass:
    """A mapped class with what its bases declare merged in, as SL201 reads it."""

    key: str
    module: str  # where it is declared: relationship targets are looked up from there
    columns: FrozenSet[str]
    deferred: FrozenSet[str]
    relationships: Dict[str, Relationship]
    properties: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    methods: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    mutators: FrozenSet[str] = frozenset()
