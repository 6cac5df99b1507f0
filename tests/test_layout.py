"""The package's shape: no import cycle between its modules (imports inside functions count),
no class so large that it mixes concerns, and each piece of domain knowledge in one place."""

import ast
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).resolve().parents[1] / "session_lint"
MAX_CLASS_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Set[str]:
    """Every module of the package ``path`` imports, anywhere in it (``from a import b`` counts
    as importing ``a.b`` when that is a module, else ``a``)."""
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules and name != me)
    return found


def graph() -> Dict[str, Set[str]]:
    return {module_name(path): imports_of(path) for path in PACKAGE.rglob("*.py")}


def cycles(edges: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_modules():
    assert cycles(graph()) == []


def test_the_cycle_check_can_fail():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_imports_inside_functions_count():
    edges = graph()
    # the CLI imports fix lazily, inside its command (libcst only when a rewrite is planned)
    assert "session_lint.fix.runner" in edges["session_lint.cli"]


def test_no_class_over_400_lines():
    large = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                large.append(f"{module_name(path)}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert large == []


def test_faces_are_thin_and_the_pipeline_has_its_folders():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py", "codemod.py", "config.py", "flake8_plugin.py"]
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert folders == ["fix", "flow", "index", "knowledge", "report", "rules", "run", "runtime", "source"]


def test_sqlalchemy_method_names_live_in_the_sqlalchemy_module():
    """The methods that end a transaction are named once: in knowledge/sqlalchemy.py."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "sqlalchemy.py":
            continue
        text = path.read_text()
        for literal in ('"rollback", "close"', '"scalar_one_or_none", "first"', '"selectinload"'):
            if literal in text:
                offenders.append(f"{module_name(path)}: {literal}")
    assert offenders == []
