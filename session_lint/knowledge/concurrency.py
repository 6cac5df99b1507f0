"""asyncio, anyio and Starlette's thread pool: what awaits the work it is given (``gather``), runs
a function in a worker thread (``to_thread``), schedules a coroutine (``create_task``), or waits
on nothing but this process (``sleep``, locks, queues)."""

from __future__ import annotations

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARIES = (
    Library(
        name="asyncio",
        category=Category.CONCURRENCY,
        summary="wrappers, tasks and threads; sleep, locks and queues wait on nothing remote",
        calls=(
            # Explicit non-sinks first: the first match wins.
            ("asyncio.sleep", Kind.NOT_SINK),
            ("asyncio.Lock*", Kind.NOT_SINK),
            ("asyncio.Semaphore*", Kind.NOT_SINK),
            ("asyncio.BoundedSemaphore*", Kind.NOT_SINK),
            ("asyncio.Event*", Kind.NOT_SINK),
            ("asyncio.Condition*", Kind.NOT_SINK),
            ("asyncio.Queue*", Kind.NOT_SINK),
            ("asyncio.gather", Kind.WRAPPER),
            ("asyncio.wait_for", Kind.WRAPPER),
            ("asyncio.shield", Kind.WRAPPER),
            ("asyncio.wait", Kind.WRAPPER),
            ("asyncio.to_thread", Kind.THREAD),
            ("asyncio.AbstractEventLoop.run_in_executor", Kind.THREAD),
            ("asyncio.create_task", Kind.TASK),
            ("asyncio.ensure_future", Kind.TASK),
            ("asyncio.AbstractEventLoop.create_task", Kind.TASK),
            ("asyncio.TaskGroup.create_task", Kind.TASK),
            ("asyncio.TaskGroup", Kind.TASK_GROUP),
        ),
        classes=("asyncio.TaskGroup", "asyncio.Lock", "asyncio.Semaphore", "asyncio.Event", "asyncio.Queue"),
        aliases={
            "asyncio.tasks": "asyncio",
            "asyncio.locks": "asyncio",
            "asyncio.queues": "asyncio",
            "asyncio.events.AbstractEventLoop": "asyncio.AbstractEventLoop",
        },
        returns={
            "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
            "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
            "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
        },
    ),
    Library(
        name="anyio",
        category=Category.CONCURRENCY,
        summary="task groups and worker threads",
        calls=(
            ("anyio.sleep", Kind.NOT_SINK),
            ("anyio.to_thread.run_sync", Kind.THREAD),
            ("anyio.abc.TaskGroup.start_soon", Kind.TASK),
            ("anyio.create_task_group", Kind.TASK_GROUP),
        ),
        aliases={"anyio.abc._tasks.TaskGroup": "anyio.abc.TaskGroup"},
        returns={"anyio.create_task_group": "anyio.abc.TaskGroup"},
    ),
    Library(
        name="starlette",
        category=Category.CONCURRENCY,
        summary="run_in_threadpool (also as fastapi.concurrency)",
        calls=(
            ("starlette.concurrency.run_in_threadpool", Kind.THREAD),
            ("fastapi.concurrency.run_in_threadpool", Kind.THREAD),
        ),
    ),
    Library(
        name="logging",
        category=Category.LOCAL,
        summary="loggers (what they are, so that their calls are known)",
        returns={"logging.getLogger": "logging.Logger"},
    ),
)
