"""The flow machinery: interprets the structure of a lowered function (blocks, branches, loops
with their back edge, ``try/except/else/finally``, ``with``, ``match``, and the abrupt exits
``return``/``raise``/``break``/``continue``) over any join-semilattice of states. It knows
nothing of what a state holds: leaves (the events of :mod:`session_lint.flow.ir`) are handed to
the subclass's ``n_<Event>`` methods, which say what each means.

Control flow is structured (Python has no goto), so the machine walks the tree instead of
building a graph: abrupt exits travel outwards as separate states, loops iterate to a fixed
point over their back edge, and every event in a ``try`` body may jump to its handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Dict, Generic, Optional, TypeVar

from session_lint.flow import ir

S = TypeVar("S")

# The lattice is finite; this only guards against a bug turning into a hang.
LOOP_LIMIT = 50


@dataclass
class Outcome(Generic[S]):
    """The states leaving a piece of code, by the way they leave."""

    normal: Optional[S] = None
    ret: Optional[S] = None
    brk: Optional[S] = None
    cont: Optional[S] = None
    exc: Optional[S] = None  # every state from which an exception may propagate


class FlowMachine(Generic[S]):
    """Interprets structure; a subclass gives ``join`` and the meaning of every event."""

    # Node type -> the method that interprets it, filled in for each subclass (a lookup by name
    # per node costs more than the interpretation of most nodes).
    _handlers: ClassVar[Dict[type, Callable[..., Outcome]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: Dict[type, Callable[..., Outcome]] = {}
        for klass in reversed(cls.__mro__):
            for name, method in vars(klass).items():
                if name.startswith("n_") and hasattr(ir, name[2:]):
                    handlers[getattr(ir, name[2:])] = method
        cls._handlers = handlers

    def __init__(self) -> None:
        # Which way out of a block its exit (``finally``, a ``with``'s end) is being run for.
        self.leaving = "normal"

    @staticmethod
    def join(a: Optional[S], b: Optional[S]) -> Optional[S]:
        raise NotImplementedError

    def merge_abrupt(self, into: Outcome, other: Outcome) -> None:
        join = self.join
        if other.ret is not None:
            into.ret = join(into.ret, other.ret)
        if other.brk is not None:
            into.brk = join(into.brk, other.brk)
        if other.cont is not None:
            into.cont = join(into.cont, other.cont)
        if other.exc is not None:
            into.exc = join(into.exc, other.exc)

    def event(self, state: S, after: S) -> Outcome:
        """An operation that may raise, before or after it took effect."""
        return Outcome(normal=after, exc=self.join(state, after))

    # ---------------------------------------------------------------- structure

    def node(self, node: ir.Node, state: S) -> Outcome:
        return self._handlers[type(node)](self, node, state)

    def block(self, block: ir.Block, state: Optional[S]) -> Outcome:
        # The innermost loop (every statement of every function, for every summary): the
        # abrupt exits are merged over locals, and one Outcome is made at the end.
        normal = state
        ret = brk = cont = exc = None
        handlers = self._handlers
        join = self.join
        for item in block.items:
            if normal is None:
                break  # unreachable after return/raise/break/continue
            step = handlers[type(item)](self, item, normal)
            if step.ret is not None:
                ret = join(ret, step.ret)
            if step.brk is not None:
                brk = join(brk, step.brk)
            if step.cont is not None:
                cont = join(cont, step.cont)
            if step.exc is not None:
                exc = join(exc, step.exc)
            normal = step.normal
        return Outcome(normal, ret, brk, cont, exc)

    def n_Block(self, node: ir.Block, state: S) -> Outcome:
        return self.block(node, state)

    def n_If(self, node: ir.If, state: S) -> Outcome:
        test = self.block(node.test, state)
        out: Outcome = Outcome()
        self.merge_abrupt(out, test)
        if test.normal is None:
            return out
        body = self.block(node.body, test.normal)
        orelse = self.block(node.orelse, test.normal)
        self.merge_abrupt(out, body)
        self.merge_abrupt(out, orelse)
        out.normal = self.join(body.normal, orelse.normal)
        return out

    def n_Match(self, node: ir.Match, state: S) -> Outcome:
        subject = self.block(node.subject, state)
        out: Outcome = Outcome()
        self.merge_abrupt(out, subject)
        if subject.normal is None:
            return out
        normal = None if node.exhaustive else subject.normal
        for case in node.cases:
            res = self.block(case, subject.normal)
            self.merge_abrupt(out, res)
            normal = self.join(normal, res.normal)
        out.normal = normal
        return out

    def n_Loop(self, node: ir.Loop, state: S) -> Outcome:
        join = self.join
        out: Outcome = Outcome()
        head_in: Optional[S] = state
        exits: Optional[S] = None
        breaks: Optional[S] = None
        if node.at_least_once:
            # The first pass starts from the entry state and cannot leave the loop; only the
            # states coming round the back edge reach the loop's head again.
            head = self.block(node.head, state)
            body = self.block(node.body, head.normal)
            out.ret = join(head.ret, body.ret)
            out.exc = join(head.exc, body.exc)
            breaks = join(head.brk, body.brk)
            head_in = join(body.normal, body.cont)
            if head_in is None:
                out.normal = breaks
                return out
        for _ in range(LOOP_LIMIT):
            head = self.block(node.head, head_in)
            body = self.block(node.body, head.normal)
            out.ret = join(out.ret, join(head.ret, body.ret))
            out.exc = join(out.exc, join(head.exc, body.exc))
            breaks = join(breaks, join(head.brk, body.brk))
            exits = join(exits, head.normal)
            again = join(head_in, join(body.normal, body.cont))
            if again == head_in:
                break
            head_in = again
        after = None
        if not node.infinite and exits is not None:
            orelse = self.block(node.orelse, exits)
            out.ret = join(out.ret, orelse.ret)
            out.exc = join(out.exc, orelse.exc)
            # break/continue in a loop's else belong to the enclosing loop
            out.brk = orelse.brk
            out.cont = orelse.cont
            after = orelse.normal
        out.normal = join(after, breaks)
        return out

    def n_Try(self, node: ir.Try, state: S) -> Outcome:
        body = self.block(node.body, state)
        raised = self.join(state, body.exc)
        res: Outcome = Outcome(ret=body.ret, brk=body.brk, cont=body.cont)
        normal = None
        if body.normal is not None:
            orelse = self.block(node.orelse, body.normal)
            self.merge_abrupt(res, orelse)
            normal = orelse.normal
        for handler in node.handlers:
            h = self.block(handler, raised)
            self.merge_abrupt(res, h)
            normal = self.join(normal, h.normal)
        # An exception no handler matches keeps propagating (may-analysis: any may be).
        res.exc = self.join(res.exc, raised)
        res.normal = normal
        if not node.final.items:
            return res
        return self.through_final(node.final, res)

    def through_final(self, final: ir.Block, res: Outcome) -> Outcome:
        """Runs ``final`` on every way out of ``res`` (the ``finally`` clause, a ``with`` exit)."""
        out: Outcome = Outcome()
        leaving = self.leaving
        for kind in ("normal", "ret", "brk", "cont", "exc"):
            st = getattr(res, kind)
            if st is None:
                continue
            self.leaving = kind
            fin = self.block(final, st)
            self.leaving = leaving
            self.merge_abrupt(out, Outcome(ret=fin.ret, brk=fin.brk, cont=fin.cont, exc=fin.exc))
            if fin.normal is not None:
                setattr(out, kind, self.join(getattr(out, kind), fin.normal))
        return out

    def n_With(self, node: ir.With, state: S) -> Outcome:
        enter = self.block(node.enter, state)
        out: Outcome = Outcome()
        self.merge_abrupt(out, enter)
        if enter.normal is None:
            return out
        body = self.block(node.body, enter.normal)
        left = self.through_final(node.exit, body)
        self.merge_abrupt(left, out)
        return left

    def n_Return(self, node: ir.Return, state: S) -> Outcome:
        value = self.block(node.value, state)
        return Outcome(ret=value.normal, exc=value.exc)

    def n_Raise(self, node: ir.Raise, state: S) -> Outcome:
        value = self.block(node.value, state)
        return Outcome(exc=self.join(value.normal, value.exc))

    def n_Break(self, node: ir.Break, state: S) -> Outcome:
        return Outcome(brk=state)

    def n_Continue(self, node: ir.Continue, state: S) -> Outcome:
        return Outcome(cont=state)
