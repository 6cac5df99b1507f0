"""Module names from the file layout, and finding a module's file from its name."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple


def _in_package(folder: Path) -> bool:
    """Whether ``folder`` is part of a package: it has an ``__init__.py``, or it is a namespace
    portion inside one (``mcpgateway/routers`` without one, inside ``mcpgateway``, still imports
    as ``mcpgateway.routers``)."""
    if folder.parent == folder:
        return False
    return (folder / "__init__.py").is_file() or (folder.parent / "__init__.py").is_file()


def module_name(path: Path) -> Tuple[str, bool]:
    """The dotted name of the module at ``path`` and whether it is a package (``__init__.py``),
    going up through the folders that are part of a package."""
    path = Path(path)
    is_package = path.name == "__init__.py"
    parts: List[str] = [] if is_package else [path.stem]
    folder = path.parent.resolve() if not path.parent.name else path.parent
    while _in_package(folder) and folder.name:
        parts.append(folder.name)
        folder = folder.parent
    return ".".join(reversed(parts)), is_package


def import_root(path: Path) -> Path:
    """The folder a module at ``path`` is imported from (the parent of its top package)."""
    folder = Path(path).parent
    if not folder.name:
        folder = folder.resolve()
    while _in_package(folder) and folder.name:
        folder = folder.parent
    return folder


class ModuleLocator:
    """Finds the file of a module of the analyzed tree."""

    def __init__(self, roots: Iterable[Path] = ()) -> None:
        self.roots = [Path(r) for r in roots]
        # The folders the roots give, worked out once per list of roots (a run asks thousands
        # of times, and the project appends the import root of each module it registers).
        self._root_folders: Tuple[Tuple[Path, ...], List[Path]] = ((), [])
        # Import roots by folder, for this locator's life (one run): each is a few stat calls.
        self._import_roots: Dict[Path, Path] = {}

    def _import_root(self, path: Path) -> Path:
        folder = Path(path).parent
        found = self._import_roots.get(folder)
        if found is None:
            found = self._import_roots[folder] = import_root(path)
        return found

    def _folders_of_roots(self) -> List[Path]:
        roots = tuple(self.roots)
        if self._root_folders[0] != roots:
            folders: List[Path] = []
            above: List[Path] = []
            for root in roots:
                folder = root if root.is_dir() else root.parent
                if not _in_package(folder):
                    folders.append(folder)  # a folder of scripts, or ``src/``: on the import path
                folders.append(self._import_root(folder / "x.py"))
                if (root / "src").is_dir():
                    folders.append(root / "src")
                # Searched last: a top-level folder without ``__init__.py`` is still imported by
                # its name (``app/`` checked alone, its modules saying ``from app.db``).
                above.append(self._import_root(folder / "x.py").parent)
            folders.extend(above)
            self._root_folders = (roots, folders)
        return self._root_folders[1]

    def find(self, module: str, near: Optional[Path] = None) -> Optional[Path]:
        if not module:
            return None
        candidates: List[Path] = []
        if near is not None:
            candidates.append(self._import_root(near))
            if not _in_package(Path(near).parent):
                # A script's own folder is on its import path; a package's folder is not
                # (``import mypy`` inside ``pydantic/`` is never ``pydantic/mypy.py``).
                candidates.append(Path(near).parent)
        candidates.extend(self._folders_of_roots())
        rel = Path(*module.split("."))
        seen = set()
        for base in candidates:
            if base in seen:
                continue
            seen.add(base)
            for option in (base / rel.with_suffix(".py"), base / rel / "__init__.py"):
                try:
                    if option.is_file():
                        return option
                except OSError:
                    continue
        return None


ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")


def project_root(path: Path) -> Path:
    """The nearest folder at or above ``path`` holding ``pyproject.toml``, ``setup.cfg`` or
    ``.git``; else the folder its top package is imported from."""
    start = Path(path).resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    # No marker: the folder the file's top package is imported from, so that every file of a
    # package shares one project (and one index) instead of one per folder.
    return import_root(start)
