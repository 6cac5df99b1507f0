"""Who calls each function of the project by name: a route handler is normally only called by
FastAPI, and one that project code also calls cannot lose a parameter without breaking those
calls."""

from __future__ import annotations

from typing import Callable, Dict, Iterable, List, Optional, Tuple

from session_lint.flow import ir
from session_lint.index.module_index import ModuleIndex

# A call of a function from project code: (path of the calling module, calling function, line).
CallSite = Tuple[str, str, int]


def direct_calls(modules: Iterable[ModuleIndex],
                 resolve: Callable[[str], Optional[ir.FunctionIR]]) -> Dict[str, List[CallSite]]:
    """For each function of the project (by key), the places that call it by name. A route
    handler is normally only called by FastAPI; one that project code also calls cannot lose a
    parameter without those calls breaking (``sync(..., db=db)`` into a fixed ``fetch``)."""
    found: Dict[str, List[CallSite]] = {}
    for module in modules:
        for caller in (module.functions or {}).values():
            for call in (n for n in ir.walk(caller.body) if isinstance(n, ir.Call)):
                target = resolve(call.callee) if call.callee else None
                if target is not None:
                    found.setdefault(target.key, []).append((module.path, caller.name, call.pos.line))
    return found
