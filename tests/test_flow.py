"""The flow machinery, the engine and the lowering, each on its own.

The machine is run over a toy lattice that knows nothing of sessions (a state is the set of
events seen on some path), the engine over hand-built intermediate form, and the front end is
asked for the intermediate form of small functions.
"""

from typing import FrozenSet, Optional

from session_lint.config import Settings
from session_lint.flow import ir
from session_lint.flow.engine import Engine, EntrySession
from session_lint.flow.facts import Mark, OpenedBy, SessionKey
from session_lint.flow.machine import FlowMachine, Outcome
from session_lint.run.analysis import Analysis

P = [ir.Pos(line, 4) for line in range(100)]


def use(name: str, method: str, line: int) -> ir.Use:
    return ir.Use(name, method, P[line])


def block(*items) -> ir.Block:
    return ir.Block(tuple(items))


# ---------------------------------------------------------------- the machine, on a toy lattice

Seen = FrozenSet[str]


class Seeing(FlowMachine[Seen]):
    """A state is every ``Use`` met on some path to here: the machine's joins, loops and exits
    are all that decide what reaches where."""

    @staticmethod
    def join(a: Optional[Seen], b: Optional[Seen]) -> Optional[Seen]:
        if a is None:
            return b
        if b is None:
            return a
        return a | b

    def n_Use(self, node: ir.Use, state: Seen) -> Outcome:
        return self.event(state, state | {node.method})

    def run(self, body: ir.Block) -> Outcome:
        return self.block(body, frozenset())


def test_branches_join_where_they_meet():
    out = Seeing().run(block(ir.If(block(), block(use("x", "a", 1)), block(use("x", "b", 2))), use("x", "c", 3)))
    assert out.normal == {"a", "b", "c"}


def test_a_loop_carries_what_its_body_did_round_the_back_edge():
    seen_at_head = []

    class Watching(Seeing):
        def n_Use(self, node: ir.Use, state: Seen) -> Outcome:
            if node.method == "head":
                seen_at_head.append(state)
            return super().n_Use(node, state)

    out = Watching().run(block(ir.Loop(block(use("x", "head", 1)), block(use("x", "body", 2)), block(), False)))
    assert frozenset({"head", "body"}) in seen_at_head  # the second pass sees the first's body
    assert out.normal == {"head", "body"}


def test_an_infinite_loop_is_left_only_by_break():
    loop = ir.Loop(block(), block(use("x", "a", 1), ir.If(block(), block(ir.Break()), block()), use("x", "b", 2)),
                   block(use("x", "else", 3)), True)
    out = Seeing().run(block(loop, use("x", "after", 4)))
    assert out.normal == {"a", "b", "after"}


def test_an_exception_in_a_try_body_reaches_the_handler_from_every_event():
    body = block(use("x", "a", 1), use("x", "b", 2))
    out = Seeing().run(block(ir.Try(body, (block(use("x", "handled", 3)),), block(), block())))
    assert out.normal == {"a", "b", "handled"}
    # An exception no handler matched keeps going, and so does one the handler raises.
    assert out.exc == {"a", "b", "handled"}


def test_finally_runs_on_the_way_out_of_a_return():
    out = Seeing().run(block(ir.Try(block(ir.Return(block()), use("x", "dead", 1)), (), block(),
                                    block(use("x", "finally", 2)))))
    assert out.normal is None
    assert out.ret == {"finally"}


def test_a_with_exit_runs_on_every_way_out():
    out = Seeing().run(block(ir.With(block(use("x", "enter", 1)), block(ir.Raise(block())), block(use("x", "exit", 2)))))
    assert out.exc == {"enter", "exit"}
    assert out.normal is None


# ---------------------------------------------------------------- the engine, on hand-built IR

def function(*items, params=("db",)) -> ir.FunctionIR:
    return ir.FunctionIR(key="m.f", name="f", is_async=True, params=params, pos=P[0], body=block(*items))


def interpret(fn: ir.FunctionIR):
    return Engine(fn, None).interpret([EntrySession("db", SessionKey.param("db"))])


def test_a_query_then_a_sink_is_a_hold_opened_by_the_query():
    run = interpret(function(use("db", "query", 1), ir.Sink("httpx.AsyncClient.get", P[2], False)))
    (hold,) = run.holds.values()
    assert (hold.pos.line, hold.site.line, hold.site.opener.kind, hold.site.opener.detail) == (
        2, 1, OpenedBy.OPERATION, "query")


def test_a_commit_before_the_sink_releases_it():
    run = interpret(function(use("db", "query", 1), use("db", "commit", 2), ir.Sink("x", P[3], False)))
    assert run.holds == {}


def test_a_release_on_one_branch_only_still_holds():
    branch = ir.If(block(), block(use("db", "commit", 2)), block())
    run = interpret(function(use("db", "query", 1), branch, ir.Sink("x", P[3], False)))
    assert [h.pos.line for h in run.holds.values()] == [3]


def test_a_query_after_the_sink_holds_on_the_next_iteration():
    loop = ir.Loop(block(), block(ir.Sink("x", P[1], False), use("db", "query", 2)), block(), False)
    run = interpret(function(loop))
    (hold,) = run.holds.values()
    assert (hold.pos.line, hold.site.line) == (1, 2)


def test_an_alias_is_the_same_session():
    run = interpret(function(ir.Bind("s", "db"), use("s", "query", 1), ir.Sink("x", P[2], False)))
    assert [h.key for h in run.holds.values()] == [SessionKey.param("db")]


def test_a_write_is_pending_until_the_commit():
    probe = P[3]
    fn = function(ir.Use("db", "add", P[1], writes=True), ir.Sink("x", probe, False), use("db", "commit", 4),
                  ir.Sink("y", P[5], False))
    run = Engine(fn, None, probes=frozenset({probe, P[5]})).interpret([EntrySession("db", SessionKey.param("db"))])
    assert [(m, s.line) for m, s in run.states_at[probe].marks_of(SessionKey.param("db"))] == [(Mark.WRITE, 1)]
    assert run.states_at[P[5]].marks_of(SessionKey.param("db")) == []


def test_an_explicit_session_begins_closed_and_its_block_end_closes_it():
    opened = ir.OpenSession("s", "SessionLocal", P[1], False)
    with_block = ir.With(block(opened), block(use("s", "get", 2)), block(ir.CloseSession("s", P[1])))
    run = Engine(function(with_block, ir.Sink("x", P[3], False), params=()), None).interpret([])
    assert run.holds == {}
    inside = ir.With(block(opened), block(use("s", "get", 2), ir.Sink("x", P[3], False)), block(ir.CloseSession("s", P[1])))
    run = Engine(function(inside, params=()), None).interpret([])
    assert [h.key.kind.name for h in run.holds.values()] == ["EXPLICIT"]


# ---------------------------------------------------------------- the front end

SOURCE = '''\
import httpx
from app.db import fresh_db_session
from app.models import Tool

client = httpx.AsyncClient()


async def f(tool_id):
    with fresh_db_session() as db:
        tool = db.get(Tool, tool_id)
        db.add(tool)
        tool.name = "x"
    await client.get(tool.url)
'''


def lowered(tmp_path) -> ir.FunctionIR:
    path = tmp_path / "m.py"
    path.write_text(SOURCE)
    index = Analysis(Settings(), [tmp_path]).project.index(path.read_bytes(), path)
    return index.functions["m.f"]


def test_the_front_end_lowers_a_with_block_to_open_events_close(tmp_path):
    fn = lowered(tmp_path)
    with_node, sink_stmt = fn.body.items[0], fn.body.items[1:]
    assert isinstance(with_node, ir.With)
    (opened,) = [n for n in with_node.enter.items if isinstance(n, ir.OpenSession)]
    assert (opened.name, opened.factory) == ("db", "fresh_db_session")
    assert [type(n).__name__ for n in with_node.exit.items] == ["CloseSession"]
    uses = [(n.name, n.method, n.writes) for n in ir.walk(with_node.body) if isinstance(n, ir.Use)]
    assert uses == [("db", "get", False), ("db", "add", True)]
    loads = [(n.target, n.session, n.model) for n in ir.walk(with_node.body) if isinstance(n, ir.Load)]
    assert loads[0] == ("tool", "db", "app.models.Tool")
    assert [(n.name, n.attrs) for n in ir.walk(with_node.body) if isinstance(n, ir.Store)] == [("tool", ("name",))]
    sinks = [n for node in sink_stmt for n in ir.walk(node) if isinstance(n, ir.Sink)]
    assert [(s.qualname, s.blocking) for s in sinks] == [("httpx.AsyncClient.get", False)]
    touches = [(n.name, n.attrs) for node in sink_stmt for n in ir.walk(node) if isinstance(n, ir.Touch)]
    assert touches == [("tool", ("url",))]
