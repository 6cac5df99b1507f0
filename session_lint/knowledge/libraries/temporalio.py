"""Temporal's Python SDK: connecting (``await Client.connect(...)``), starting or executing a
workflow or activity, counting, listing, and everything a workflow or schedule handle does
(``result``, ``signal``, ``query``, ``cancel``, ``terminate``, ``describe``, ``execute_update``
...) are awaited RPCs to the Temporal server. Getting a handle (``get_workflow_handle``,
``get_schedule_handle``) is local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "temporalio.client.Client"
WORKFLOW = "temporalio.client.WorkflowHandle"
SCHEDULE = "temporalio.client.ScheduleHandle"
CLIENT_LOCAL = ("config", "rpc_metadata", "api_key", "get_*_handle", "get_*_handle_for", "create_nexus_client")
ITERATED = ("list_workflows", "list_activities", "list_nexus_operations", "fetch_history_events")

LIBRARY = Library(
    name="temporalio",
    category=Category.RPC,
    summary="Client.connect, start/execute_workflow, list/count; workflow and schedule handle RPCs (awaited)",
    calls=(
        *((f"{CLIENT}.{method}", Kind.NOT_SINK) for method in CLIENT_LOCAL),
        *((f"{CLIENT}.{method}", Kind.ITERATE) for method in ITERATED),
        (f"{CLIENT}.*", Kind.AWAIT),
        (f"{WORKFLOW}.get_update_handle*", Kind.NOT_SINK),
        (f"{WORKFLOW}.fetch_history_events", Kind.ITERATE),
        (f"{WORKFLOW}.*", Kind.AWAIT),
        (f"{SCHEDULE}.*", Kind.AWAIT),
    ),
    classes=(CLIENT,),
    aliases={
        "temporalio.client._client.Client": CLIENT,
        "temporalio.client._workflow.WorkflowHandle": WORKFLOW,
        "temporalio.client._schedule.ScheduleHandle": SCHEDULE,
    },
    returns={
        f"{CLIENT}.connect": CLIENT,
        f"{CLIENT}.get_workflow_handle": WORKFLOW,
        f"{CLIENT}.get_workflow_handle_for": WORKFLOW,
        f"{CLIENT}.start_workflow": WORKFLOW,
        f"{CLIENT}.get_schedule_handle": SCHEDULE,
        f"{CLIENT}.create_schedule": SCHEDULE,
    },
)
