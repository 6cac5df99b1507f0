"""Pydantic AI: running an ``Agent`` calls its model (and its tools) until it has an answer:
``await agent.run(...)``; ``async with agent.run_stream(...)`` and ``agent.iter(...)`` are
entered, ``run_stream_events`` iterated; ``run_sync`` and ``run_stream_sync`` block. Defining
the agent, its tools and instructions is local."""

from session_lint.knowledge.declarations import Category, Kind, Library

AGENT = "pydantic_ai.Agent"

LIBRARY = Library(
    name="pydantic-ai",
    category=Category.LLM,
    summary="Agent.run (awaited), run_stream/iter (entered), run_sync (blocking)",
    calls=(
        (f"{AGENT}.run", Kind.AWAIT),
        (f"{AGENT}.run_stream", Kind.CONTEXT),
        (f"{AGENT}.iter", Kind.CONTEXT),
        (f"{AGENT}.run_stream_events", Kind.ITERATE),
        (f"{AGENT}.run_sync", Kind.BLOCKING),
        (f"{AGENT}.run_stream_sync", Kind.BLOCKING),
    ),
    classes=(AGENT,),
    aliases={"pydantic_ai.agent.Agent": AGENT},
)
