"""Output people read, as ruff prints it: the full format on a terminal (the finding, its source
line with a caret under it, where the transaction opened, a help line, ``[*]`` for a rule ``fix``
resolves, colour unless NO_COLOR, FORCE_COLOR forcing it), the concise one-liners when piped, a
closing summary, a progress line that shows at once and is erased, messages that never say
"since line N" on line N, and one finding per statement."""

import os
import pty
import select
import subprocess
import sys
from pathlib import Path
from typing import Dict, Tuple

from click.testing import CliRunner

from session_lint.cli import main
from conftest import HELD

REPO = Path(__file__).parents[1]


FULL = """\
SL101 [*] slow await httpx.AsyncClient.get while session 'db' open since line 11 (db.get)
  --> held.py:12:12
   |
11 |     tool = db.get(Tool, 1)
   |            ------ transaction opened here
12 |     return await client.get(tool.url)
   |            ^^^^^^^^^^^^^^^^^^^^^^^^^^
   |
help: end the transaction before the slow call: read what it needs in a short-lived session \
(`with fresh_db_session() as db:`) and copy values into locals, or `db.commit()` first

Found 1 finding (1 fixable with session-lint fix).
"""

CONCISE = """\
held.py:12:12: SL101 slow await httpx.AsyncClient.get while session 'db' open since line 11 (db.get)
Found 1 finding (1 fixable with session-lint fix).
"""


def invoke(tmp_path: Path, monkeypatch, *args: str):
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, ["check", *args])


def _env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def in_terminal(args, cwd: Path, **env: str) -> Tuple[int, bytes, bytes]:
    """Runs ``session-lint`` with stdout and stderr each on a terminal of its own."""
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "session_lint", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=out_slave, stderr=err_slave, env=_env(**env))
    os.close(out_slave)
    os.close(err_slave)
    data = {out_master: b"", err_master: b""}
    open_fds = set(data)
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 60)
        if not ready:
            break
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if chunk:
                data[fd] += chunk
            else:
                open_fds.discard(fd)
    code = proc.wait(timeout=60)
    os.close(out_master)
    os.close(err_master)
    # A terminal turns "\n" into "\r\n".
    return code, data[out_master].replace(b"\r\n", b"\n"), data[err_master]


def piped(args, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "session_lint", *args], cwd=cwd, capture_output=True, text=True,
                          env=_env(**env))


def test_full_format_shows_the_source_a_caret_the_opening_and_help(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    result = invoke(tmp_path, monkeypatch, "--format", "full", "held.py")
    assert (result.exit_code, result.stdout) == (1, FULL)


def test_full_is_the_default_on_a_terminal_with_colour_unless_no_color(tmp_path):
    (tmp_path / "held.py").write_text(HELD)
    code, out, _ = in_terminal(["check", "held.py"], tmp_path)
    assert code == 1
    assert b"\x1b[" in out
    plain = click_unstyle(out.decode())
    assert plain == FULL
    code, out, _ = in_terminal(["check", "held.py"], tmp_path, NO_COLOR="1")
    assert out.decode() == FULL


def click_unstyle(text: str) -> str:
    import click

    return click.unstyle(text)


def test_concise_is_the_default_when_piped_and_force_color_colours_it(tmp_path):
    (tmp_path / "held.py").write_text(HELD)
    done = piped(["check", "held.py"], tmp_path)
    assert (done.returncode, done.stdout) == (1, CONCISE)
    forced = piped(["check", "--format", "full", "held.py"], tmp_path, FORCE_COLOR="1")
    assert "\x1b[" in forced.stdout
    assert click_unstyle(forced.stdout) == FULL


def test_a_clean_run_says_so(tmp_path, monkeypatch):
    (tmp_path / "clean.py").write_text("x = 1\n")
    result = invoke(tmp_path, monkeypatch, "clean.py")
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")


def test_the_summary_counts_findings_and_fixable_ones(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    (tmp_path / "broken.py").write_text("def f(:\n")
    result = invoke(tmp_path, monkeypatch, ".")
    assert result.stdout.splitlines()[-1] == "Found 2 findings (1 fixable with session-lint fix)."


def test_the_progress_line_shows_at_once_and_is_erased(tmp_path):
    for n in range(3):
        (tmp_path / f"m{n}.py").write_text("x = 1\n")
    code, out, err = in_terminal(["check", "--no-cache", "."], tmp_path)
    assert code == 0
    assert err.startswith(b"\r\x1b[Ksession-lint: finding files...")
    assert b"session-lint: 3/3 files" in err
    assert err.endswith(b"\r\x1b[K")
    assert click_unstyle(out.decode()) == "All checks passed!\n"


def test_an_opening_on_the_reported_line_is_called_this_line(tmp_path, monkeypatch):
    (tmp_path / "same.py").write_text(
        "import httpx\n"
        "from fastapi import APIRouter, Depends\n"
        "from app.db import get_db\n"
        "\n"
        "router = APIRouter()\n"
        "client = httpx.AsyncClient()\n"
        "\n"
        "\n"
        "async def post_all(db):\n"
        "    db.query(Tool).all()\n"
        "    return await client.post('https://example.com')\n"
        "\n"
        "\n"
        "@router.post('/a')\n"
        "async def handler(db=Depends(get_db)):\n"
        "    return await post_all(db)\n"
    )
    result = invoke(tmp_path, monkeypatch, "-q", "same.py")
    assert result.stdout == ("same.py:16:12: SL102 slow await post_all -> httpx.AsyncClient.post while session "
                             "'db' open, opened on this line (post_all uses db)\n")
    assert "since line 16" not in result.stdout


def test_one_finding_for_a_slow_async_with_and_the_slow_calls_in_it(tmp_path, monkeypatch):
    (tmp_path / "mcp_call.py").write_text(
        "from fastapi import APIRouter, Depends\n"
        "from mcp import ClientSession\n"
        "from mcp.client.sse import sse_client\n"
        "from app.db import get_db\n"
        "\n"
        "router = APIRouter()\n"
        "\n"
        "\n"
        "@router.post('/tools/{tool_id}/call')\n"
        "async def call(tool_id: int, db=Depends(get_db)):\n"
        "    tool = db.get(Tool, tool_id)\n"
        "    async with sse_client(tool.url) as streams:\n"
        "        async with ClientSession(*streams) as session:\n"
        "            await session.initialize()\n"
        "            return await session.call_tool(tool.name, {})\n"
    )
    result = invoke(tmp_path, monkeypatch, "-q", "mcp_call.py")
    assert result.stdout == ("mcp_call.py:12:5: SL101 slow await mcp.client.sse.sse_client while session 'db' "
                             "open since line 11 (db.get)\n")


def test_two_slow_statements_side_by_side_stay_two_findings(tmp_path, monkeypatch):
    (tmp_path / "two.py").write_text(HELD + "\n\n@router.get('/b')\nasync def both(db=Depends(get_db)):\n"
                                     "    db.get(Tool, 1)\n"
                                     "    async with httpx.AsyncClient() as http:\n"
                                     "        await http.get('https://a.example')\n"
                                     "        await http.get('https://b.example')\n")
    result = invoke(tmp_path, monkeypatch, "-q", "two.py")
    assert [line.split(":")[1] for line in result.stdout.splitlines()] == ["12", "19", "20"]
