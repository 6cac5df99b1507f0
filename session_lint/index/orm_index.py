"""The ORM facts of the whole tree: mapped classes with their bases merged, relationship targets
found the way SQLAlchemy's registry finds them (by class name), and the settings of session
factories followed through the functions and aliases that wrap them."""

from __future__ import annotations

from typing import Dict, Optional, Set, Tuple

from session_lint.flow.facts import SessionConfig
from session_lint.index.module_index import ModuleIndex
from session_lint.index.orm_facts import MappedClass, Model, Relationship
from session_lint.index.project import Project

_HOPS = 6


class OrmIndex:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._models: Dict[str, Optional[MappedClass]] = {}
        self._configs: Dict[str, Optional[SessionConfig]] = {}

    # ------------------------------------------------------------ classes

    def _declared(self, key: str) -> Optional[Tuple[ModuleIndex, Model]]:
        """The module and class body that ``key`` names, following re-exports."""

        def found(facts: ModuleIndex, name: str):
            model = facts.orm.models.get(name) if facts.orm is not None else None
            return (facts, model) if model is not None else None

        return self.project.top_level(key, found)

    def model(self, key: str) -> Optional[MappedClass]:
        if key in self._models:
            return self._models[key]
        self._models[key] = None  # a class hierarchy with a cycle ends here
        declared = self._declared(key)
        merged: Optional[MappedClass] = None
        if declared is not None:
            facts, body = declared
            columns, deferred = set(), set()
            relationships: Dict[str, Relationship] = {}
            properties: Dict[str, Tuple[str, ...]] = {}
            methods: Dict[str, Tuple[str, ...]] = {}
            mutators: Set[str] = set()
            for base in body.bases:
                base_key = _key_in(facts, base)
                parent = self.model(base_key) if base_key else None
                if parent is not None:
                    columns |= parent.columns
                    deferred |= parent.deferred
                    relationships.update(parent.relationships)
                    properties.update(parent.properties)
                    methods.update(parent.methods)
                    mutators |= parent.mutators
            columns |= body.columns
            deferred = (deferred - body.columns) | body.deferred
            relationships.update(body.relationships)
            properties.update(body.properties)
            methods.update(body.methods)
            mutators = (mutators - set(body.methods)) | set(body.mutators)
            for attr, lazy, owner in self._backrefs(facts, body.name):
                relationships.setdefault(attr, Relationship(owner, lazy, True))
            # A method or property defined on the class is code, not a mapped attribute.
            for attr in body.behaviour:
                relationships.pop(attr, None)
                columns.discard(attr)
            merged = MappedClass(facts.qual_of_local(body.name), facts.name, frozenset(columns),
                                 frozenset(deferred), relationships, properties, methods, frozenset(mutators))
        self._models[key] = merged
        return merged

    def _backrefs(self, facts: ModuleIndex, name: str):
        """``relationship(..., backref="children")`` declared on other classes of the module that
        targets ``name``: SQLAlchemy adds that attribute to ``name``. Whether it holds one object
        or many is not written; treating it as many stops attribute chains there."""
        for target, attr, owner, lazy in facts.orm.backrefs if facts.orm is not None else ():
            if target.rsplit(".", 1)[-1] == name:
                yield attr, lazy, owner

    def related(self, owner: MappedClass, rel: Relationship) -> Optional[MappedClass]:
        """The class a relationship of ``owner`` points at: its module's own class of that name,
        one it imports, or (SQLAlchemy resolves strings by class name across the registry) the
        only class of that name in the modules read so far."""
        if rel.target is None:
            return None
        facts = self.project.load(owner.module)
        if facts is not None:
            key = _key_in(facts, rel.target)
            if key is not None:
                found = self.model(key)
                if found is not None:
                    return found
        simple = rel.target.rsplit(".", 1)[-1]
        candidates: Set[str] = set()
        for module in self.project.modules():
            if module.orm is not None and simple in module.orm.models:
                candidates.add(module.qual_of_local(simple))
        if len(candidates) == 1:
            return self.model(candidates.pop())
        return None

    def strict_isolation(self) -> Optional[Tuple[str, str, int]]:
        """Where the project (the modules read so far) sets REPEATABLE READ or SERIALIZABLE:
        (level, path, line); None when nowhere."""
        for module in sorted(self.project.modules(), key=lambda m: m.path):
            if module.orm is not None and module.orm.isolation:
                level, line = module.orm.isolation[0]
                return level, module.path, line
        return None

    # ------------------------------------------------------------ session factories

    def session_config(self, key: str) -> Optional[SessionConfig]:
        """Settings of sessions made by ``key``: a sessionmaker, a function that makes one and
        yields it (``get_db``), or a context manager over such a function."""
        if key in self._configs:
            return self._configs[key]
        self._configs[key] = None
        found = self._follow(key, _HOPS)
        self._configs[key] = found
        return found

    def _follow(self, key: str, hops: int) -> Optional[SessionConfig]:
        if hops <= 0:
            return None

        def found(facts: ModuleIndex, name: str):
            source = facts.orm.sessions.get(name) if facts.orm is not None else None
            return (facts, source) if source is not None else None

        declared = self.project.top_level(key, found)
        if declared is None:
            return None
        facts, source = declared
        if source.kind == "maker":
            # A strict level set in the module that makes the sessionmaker is its engine's.
            strict = facts.orm.isolation[0] if facts.orm is not None and facts.orm.isolation else None
            return SessionConfig(source.expire, False, False,
                                 (strict[0], facts.path, strict[1]) if strict is not None else None)
        target = _key_in(facts, source.calls) if source.calls else None
        if target is None:
            return None
        inner = self._follow(target, hops - 1)
        if inner is None:
            return None
        if source.kind == "function":
            return SessionConfig(inner.expire_on_commit, source.commits_on_exit, source.rolls_back_on_error,
                                 inner.isolation)
        return inner  # an alias: the wrapped function's settings


def _key_in(facts: ModuleIndex, text: str) -> Optional[str]:
    """The global key of ``text`` as written in the module ``facts``: one of its own
    classes, functions or ORM names, or something it imports."""
    found = facts.alias_key(text)
    if found is not None:
        return found
    head = text.split(".", 1)[0]
    if facts.orm is not None and (head in facts.orm.models or head in facts.orm.sessions):
        return facts.qual_of_local(text)
    return None
