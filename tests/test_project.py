"""Across modules: the flake8 plugin sees what the CLI sees, the on-disk cache changes nothing
but time, and calls that cannot be followed are listed on request."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import FIXTURES
from session_lint.cli import main
from session_lint.run.check import check_paths
from session_lint.config import Settings

SHAPE = FIXTURES / "check" / "project_gateway_shape"
REPO = Path(__file__).parents[1]


def copy_shape(tmp_path: Path) -> Path:
    target = tmp_path / "shape"
    shutil.copytree(SHAPE, target, ignore=shutil.ignore_patterns("expected.txt", ".session-lint-cache"))
    (target / "setup.cfg").write_text("[flake8]\nmax-line-length = 200\n")
    return target


def test_flake8_reports_the_cross_module_findings_of_the_cli(tmp_path: Path):
    root = copy_shape(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "SL", "app"], cwd=root,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1, proc.stderr
    expected = (SHAPE / "expected.txt").read_text().splitlines()
    assert proc.stdout.splitlines() == expected


def test_cache_changes_nothing_but_work(tmp_path: Path, monkeypatch):
    root = copy_shape(tmp_path)
    monkeypatch.chdir(root)
    cache = tmp_path / "cache"
    fresh = check_paths(["app"], Settings(), cache_dir=None)
    cold = check_paths(["app"], Settings(), cache_dir=cache)
    warm = check_paths(["app"], Settings(), cache_dir=cache)
    assert fresh.findings == cold.findings == warm.findings
    assert len(fresh.findings) == 6
    assert cold.prepared == fresh.prepared > 0
    assert warm.prepared == 0

    # One edited file: only it is read again, and the findings follow the edit.
    service = root / "app" / "services" / "tool_service.py"
    text = service.read_text()
    service.write_text(text.replace(
        "        tool = db.get(Tool, tool_id)\n        return await backend_client.post(tool.url, args)",
        "        url = db.get(Tool, tool_id).url\n        db.commit()\n        return await backend_client.post(url, args)",
    ))
    edited = check_paths(["app"], Settings(), cache_dir=cache)
    assert edited.prepared == 1
    assert [f.line for f in edited.findings] == [26, 32, 43, 50, 61]
    assert edited.findings == check_paths(["app"], Settings(), cache_dir=None).findings


def test_cache_entry_follows_the_files_its_lowering_read(tmp_path: Path, monkeypatch):
    # routes.py's session parameter comes from an alias in deps.py: editing deps.py must
    # invalidate routes.py's entry, though routes.py itself did not change.
    case = FIXTURES / "check" / "declare_imported_alias"
    root = tmp_path / "alias"
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("expected.txt"))
    monkeypatch.chdir(root)
    cache = tmp_path / "cache"
    assert len(check_paths(["app"], Settings(), cache_dir=cache).findings) == 1
    deps = root / "app" / "deps.py"
    deps.write_text(deps.read_text().replace("Depends(get_db)", "Depends(get_settings)"))
    again = check_paths(["app"], Settings(), cache_dir=cache)
    assert again.findings == []


def test_settings_are_part_of_the_cache_key(tmp_path: Path, monkeypatch):
    root = copy_shape(tmp_path)
    monkeypatch.chdir(root)
    cache = tmp_path / "cache"
    assert len(check_paths(["app"], Settings(), cache_dir=cache).findings) == 6
    other = Settings(session_dependencies=("something_else",))
    assert check_paths(["app"], other, cache_dir=cache).findings == []


def test_explain_unresolved_lists_calls_it_could_not_follow(tmp_path: Path, monkeypatch):
    (tmp_path / "h.py").write_text(
        "from fastapi import APIRouter, Depends\n"
        "from thirdparty import sdk\n"
        "from app.db import get_db\n"
        "router = APIRouter()\n\n"
        "@router.get('/a')\n"
        "async def h(db=Depends(get_db)):\n"
        "    db.query(Tool).all()\n"
        "    return await sdk.fetch('x')\n"
    )
    monkeypatch.chdir(tmp_path)
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2 keeps stderr apart only when asked
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(main, ["check", "--no-cache", "--explain-unresolved", "h.py"])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[1:] == ["h.py:9:12: sdk.fetch"]


def test_explain_unresolved_leaves_out_what_is_known_not_to_wait_on_another_host(tmp_path: Path, monkeypatch):
    # Found on open-webui, prefect and langflow: the list held the session's own awaited
    # methods, asyncio.sleep, the constructors of tracked clients, and calls in functions
    # with no session at all (an SL201-only run guesses its parameters are sessions).
    (tmp_path / "j.py").write_text(
        "import asyncio\n"
        "import httpx\n"
        "from sqlalchemy.ext.asyncio import async_sessionmaker\n"
        "from thirdparty import sdk\n"
        "AsyncSessionLocal = async_sessionmaker()\n\n"
        "class P:\n"
        "    async def aformat(self):\n"
        "        return 1\n\n"
        "async def no_session(x):\n"
        "    p = P(x)\n"
        "    await p.aformat()\n"
        "    await sdk.other()\n\n"
        "async def job():\n"
        "    async with AsyncSessionLocal() as s:\n"
        "        await s.execute('select 1')\n"
        "        await asyncio.sleep(1)\n"
        "        async with httpx.AsyncClient() as client:\n"
        "            pass\n"
        "        await sdk.fetch('x')\n"
    )
    monkeypatch.chdir(tmp_path)
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(main, ["check", "--no-cache", "--explain-unresolved", "j.py"])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[1:] == ["j.py:22:9: sdk.fetch"]


def test_explain_unresolved_follows_chains_into_the_functions_it_followed(tmp_path: Path, monkeypatch):
    # Found on lnbits: a handler's session was open while a callee awaited a dynamic call, and
    # the list said nothing, as only the handler's own awaits were listed.
    (tmp_path / "k.py").write_text(
        "from sqlalchemy.orm import sessionmaker\n"
        "from thirdparty import sdk\n"
        "SessionLocal = sessionmaker()\n\n"
        "async def helper(x):\n"
        "    return await sdk.remote(x)\n\n"
        "async def releases_first(db):\n"
        "    db.commit()\n"
        "    await sdk.after()\n\n"
        "async def own_method(conn=None):\n"
        "    return await (conn or sdk.default).execute('select 2')\n\n"
        "async def job():\n"
        "    async with SessionLocal() as s:\n"
        "        s.execute('select 1')\n"
        "        await helper(1)\n"
        "        await releases_first(s)\n"
        "        await own_method(s)\n"
    )
    monkeypatch.chdir(tmp_path)
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(main, ["check", "--no-cache", "--explain-unresolved", "k.py"])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[1:] == ["k.py:18:9: helper -> sdk.remote"]


def test_interface_digest_ignores_bodies_and_sees_signatures():
    from session_lint.index.interface import interface_digest
    from session_lint.source.parse import parse

    base = (
        "import httpx\n"
        "class Service:\n"
        "    timeout: int = 3\n"
        "    def __init__(self, db):\n"
        "        self.http: httpx.AsyncClient = httpx.AsyncClient()\n"
        "        self.db = db\n"
        "    async def call(self, url) -> dict:\n"
        "        return await self.http.get(url)\n"
        "def helper(x):\n"
        "    return x + 1\n"
        "def client(url):\n"
        "    return make_client(url) if url else None\n"
    )
    digest = interface_digest(parse(base))
    body_edit = (base.replace("return x + 1", "return x + 2").replace("await self.http.get(url)", "await self.http.post(url)")
                 .replace("make_client(url)", "make_client(url, timeout=3)"))
    assert interface_digest(parse(body_edit)) == digest
    for changed in (
        base.replace("def helper(x):", "def helper(x, y=0):"),
        # An unannotated function's return type is what its returns give.
        base.replace("make_client(url) if", "make_other(url) if"),
        base.replace("else None", "else 0"),
        base.replace("-> dict:", "-> list:"),
        base.replace("self.db = db", "self.session = db"),
        base.replace("timeout: int = 3", "timeout: int = 4"),
    ):
        assert interface_digest(parse(changed)) != digest


def test_cache_folder_ignores_itself(tmp_path: Path, monkeypatch):
    root = copy_shape(tmp_path)
    monkeypatch.chdir(root)
    check_paths(["app"], Settings(), cache_dir=root / ".session-lint-cache")
    assert (root / ".session-lint-cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_one_file_of_a_namespace_subpackage_finds_the_same_chains(tmp_path: Path, monkeypatch):
    # The gateway's mcpgateway/routers has no __init__.py: it is a namespace portion of the
    # mcpgateway package, and checking one router alone (the pre-commit case) must still follow
    # its imports into mcpgateway.services.
    root = copy_shape(tmp_path)
    (root / "app" / "routers" / "__init__.py").unlink()
    monkeypatch.chdir(root)
    alone = check_paths(["app/routers/tools.py"], Settings())
    everything = check_paths(["app"], Settings())
    assert [f.text() for f in alone.findings] == [f.text() for f in everything.findings]
    assert len(alone.findings) == 6


CYCLE_SERVICE = """\
import httpx

from app.importer import Importer


class GatewayService:
    def __init__(self):
        self.http = httpx.AsyncClient()

    async def register(self, db, url):
        db.query(Gateway).all()
        return await self.http.post(url)


def make_importer():
    return Importer()


def __getattr__(name):
    if name == "gateway_service":
        return GatewayService()
    raise AttributeError(name)
"""

CYCLE_IMPORTER = """\
from fastapi import APIRouter, Depends

from app import service
from app.db import get_db

router = APIRouter()


class Importer:
    def __init__(self):
        from app.service import gateway_service

        self.gateway_service = gateway_service

    async def run(self, db, url):
        return await self.gateway_service.register(db, url)


importer = Importer()


@router.post("/import")
async def do_import(url: str, db=Depends(get_db)):
    return await importer.run(db, url)
"""


def test_findings_do_not_depend_on_the_order_files_are_checked_in(tmp_path: Path, monkeypatch):
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "service.py").write_text(CYCLE_SERVICE)
    (app / "importer.py").write_text(CYCLE_IMPORTER)
    monkeypatch.chdir(tmp_path)
    one = check_paths(["app/service.py", "app/importer.py"], Settings()).findings
    other = check_paths(["app/importer.py", "app/service.py"], Settings()).findings
    assert [f.text() for f in one] == [f.text() for f in other]
    assert [f.chain for f in one] == [("run", "register", "httpx.AsyncClient.post")]


def _texts(result):
    return [(f.text(), f.chain, f.fingerprint) for f in result.findings]


def test_findings_are_the_same_for_any_jobs_and_with_or_without_the_cache(tmp_path: Path, monkeypatch):
    root = copy_shape(tmp_path)
    monkeypatch.chdir(root)
    cache = tmp_path / "cache"
    serial = check_paths(["app"], Settings(), jobs=1)
    parallel = check_paths(["app"], Settings(), jobs=2)
    three = check_paths(["app"], Settings(), jobs=3)
    cold = check_paths(["app"], Settings(), cache_dir=cache, jobs=2)
    warm = check_paths(["app"], Settings(), cache_dir=cache, jobs=2)
    warm_serial = check_paths(["app"], Settings(), cache_dir=cache, jobs=1)
    assert len(serial.findings) == 6 and {f.code for f in serial.findings} == {"SL102", "SL105"}
    assert _texts(serial) == _texts(parallel) == _texts(three) == _texts(cold) == _texts(warm) == _texts(warm_serial)
    assert serial.unresolved == parallel.unresolved == warm.unresolved
    assert cold.prepared > 0 and warm.prepared == 0


FOLDER_CASES = sorted(p for p in (FIXTURES / "check").iterdir() if p.is_dir() and p.name != "flake8_config")


def test_every_folder_case_gives_the_same_output_for_any_jobs_cold_or_warm(tmp_path: Path, monkeypatch):
    for case in FOLDER_CASES:
        root = tmp_path / case.name
        shutil.copytree(case, root, ignore=shutil.ignore_patterns(".session-lint-cache"))
        monkeypatch.chdir(root)
        outputs = []
        for args in (["--no-cache", "--jobs", "1"], ["--no-cache", "--jobs", "2"],
                     ["--cache-dir", str(tmp_path / "cache"), "--jobs", "2"],
                     ["--cache-dir", str(tmp_path / "cache"), "--jobs", "1"]):
            result = CliRunner().invoke(main, ["check", "-q", *args, "."])
            assert result.exit_code in (0, 1), result.output
            outputs.append(result.output)
        assert len(set(outputs)) == 1, case.name
        assert outputs[0] == (case / "expected.txt").read_text(), case.name


def test_a_warm_run_redoes_the_work_when_a_module_it_followed_changed(tmp_path: Path, monkeypatch):
    # Only the router is checked; the service it calls into lies outside the given path, and
    # editing it must still change the router's findings on the next run with the cache.
    root = copy_shape(tmp_path)
    monkeypatch.chdir(root)
    cache = tmp_path / "cache"
    before = check_paths(["app/routers/tools.py"], Settings(), cache_dir=cache)
    assert len(before.findings) == 6
    assert _texts(check_paths(["app/routers/tools.py"], Settings(), cache_dir=cache)) == _texts(before)
    service = root / "app" / "services" / "tool_service.py"
    service.write_text(service.read_text().replace(
        "        tool = db.get(Tool, tool_id)\n        return await backend_client.post(tool.url, args)",
        "        url = db.get(Tool, tool_id).url\n        db.commit()\n        return await backend_client.post(url, args)",
    ))
    after = check_paths(["app/routers/tools.py"], Settings(), cache_dir=cache)
    assert [f.line for f in after.findings] == [26, 32, 43, 50, 61]
    assert _texts(after) == _texts(check_paths(["app/routers/tools.py"], Settings()))


EXPIRED_TWO_WAYS = """\
from app.db import ExpiringSession
from app.models import Tool


def rename(tool_id):
    db = ExpiringSession()
    tool = db.get(Tool, tool_id)
    try:
        db.commit()
    except Exception:
        db.rollback()
    name = tool.name  # expect: SL201
    db.close()
    return name
"""


def test_a_finding_reads_the_same_whatever_the_hash_seed(tmp_path: Path):
    # The object is expired by the commit on one path and by the rollback on the other: which
    # of the two the message names must not depend on how the process hashes strings.
    root = tmp_path / "orm"
    shutil.copytree(FIXTURES / "check" / "orm_after_session", root, ignore=shutil.ignore_patterns("expected.txt"))
    (root / "app" / "rename.py").write_text(EXPIRED_TWO_WAYS)
    outputs = set()
    for seed in range(8):
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": str(seed)}
        proc = subprocess.run([sys.executable, "-m", "session_lint", "check", "--no-cache", "app/rename.py"],
                              cwd=root, capture_output=True, text=True, env=env)
        outputs.add(proc.stdout)
    assert len(outputs) == 1, outputs
    assert "app/rename.py:12:12: SL201 'tool.name' reloads an expired object" in outputs.pop()


RECURSION_THEN_REUSE = '''\
import httpx
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.db import get_db

router = APIRouter()
client = httpx.AsyncClient()


async def fetch(url):
    return await client.get(url)


async def ping(url, n):
    return await pong(url, n - 1) if n else await fetch(url)


async def pong(url, n):
    return await ping(url, n - 1)


@router.get("/a")
async def first(db: Session = Depends(get_db)):
    tool = db.get(Tool, 1)
    await fetch(tool.url)  # expect: SL102
    return await ping(tool.url, 3)  # expect: SL102


@router.get("/b")
async def second(db: Session = Depends(get_db)):
    tool = db.get(Tool, 1)
    return await fetch(tool.url)  # expect: SL102
'''


def test_a_summary_finished_before_a_recursive_cluster_is_not_computed_again(tmp_path: Path, monkeypatch):
    # Iterating ping/pong to a fixed point once threw away every memoised summary, so each
    # later caller of ``fetch`` computed it again: on the gateway, 34,555 computations for
    # 3,197 distinct summaries.
    from session_lint.flow.summaries import Summaries
    from session_lint.run.analysis import Analysis, analyze

    (tmp_path / "routes.py").write_text(RECURSION_THEN_REUSE)
    computed = []
    real = Summaries._compute

    def counting(self, fn, entry, ident):
        computed.append(fn.name)
        return real(self, fn, entry, ident)

    monkeypatch.setattr(Summaries, "_compute", counting)
    found = analyze(RECURSION_THEN_REUSE, tmp_path / "routes.py", Settings(), Analysis(Settings(), [tmp_path]))
    assert [(f.line, f.code) for f in found] == [(26, "SL102"), (27, "SL102"), (33, "SL102")]
    assert computed.count("fetch") == 1
    assert computed.count("ping") > 1  # the cluster itself is iterated


def test_editing_a_context_manager_body_invalidates_the_modules_that_call_it(tmp_path: Path, monkeypatch):
    # Whether ``session_scope`` is a session factory is read from its body, so that body is
    # part of what db.py shows other modules: editing it must not leave jobs.py's entry stale.
    case = FIXTURES / "check" / "explicit_factory_from_another_module"
    root = tmp_path / "case"
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("expected.txt"))
    monkeypatch.chdir(root)
    cache = tmp_path / "cache"
    assert [f.line for f in check_paths(["app"], Settings(), cache_dir=cache).findings] == [13, 19, 25, 31, 38]
    db = root / "app" / "db.py"
    db.write_text(db.read_text().replace("        yield db\n        db.commit()", "        yield None\n        db.commit()"))
    again = check_paths(["app"], Settings(), cache_dir=cache)
    assert [f.line for f in again.findings] == [19, 31, 38]
    assert again.findings == check_paths(["app"], Settings(), cache_dir=None).findings


def test_a_top_level_folder_without_init_is_imported_by_its_name(tmp_path: Path, monkeypatch):
    # ``app/`` with no ``__init__.py`` (an implicit namespace package), its modules importing
    # ``from app.clients import fetch``: checking ``app`` alone must follow that import as
    # checking the folder above does.
    app = tmp_path / "app"
    app.mkdir()
    (app / "clients.py").write_text(
        "import httpx\n\nclient = httpx.AsyncClient()\n\n\n"
        "async def fetch(url):\n    return await client.get(url)\n"
    )
    (app / "routes.py").write_text(
        "from fastapi import APIRouter, Depends\n"
        "from app.clients import fetch\n"
        "from app.db import get_db\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/a')\n"
        "async def h(db=Depends(get_db)):\n"
        "    db.query(Tool).all()\n"
        "    return await fetch('http://backend')\n"
    )
    monkeypatch.chdir(tmp_path)
    whole = check_paths(["."], Settings()).findings
    alone = check_paths(["app"], Settings()).findings
    one_file = check_paths(["app/routes.py"], Settings()).findings
    assert [(f.path, f.line, f.code) for f in whole] == [("app/routes.py", 11, "SL102")]
    assert [(f.line, f.code, f.message) for f in alone] == [(f.line, f.code, f.message) for f in whole]
    assert [(f.line, f.code, f.message) for f in one_file] == [(f.line, f.code, f.message) for f in whole]


SHADOWING = '''\
from fastapi import APIRouter, Depends

from mypy.state import state
from app.db import get_db

router = APIRouter()


@router.get("/")
async def h(db=Depends(get_db)):
    db.query(Tool).all()
    await state.strict_optional_set()
'''


def test_a_module_named_like_the_package_it_imports_from_does_not_resolve_to_itself(tmp_path: Path, monkeypatch):
    # Found on pydantic/mypy.py (``from mypy.state import state`` inside package pydantic): the
    # package's own folder was searched for ``mypy``, found the module itself, and each step
    # of following ``mypy.state.state...`` grew the name until Python's stack ran out (SL000).
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mypy.py").write_text(SHADOWING)
    monkeypatch.chdir(tmp_path)
    for paths in (["pkg"], ["pkg/mypy.py"]):
        result = check_paths(paths, Settings())
        assert result.internal_errors == 0
        assert result.findings == []


def test_a_name_that_grows_as_it_is_followed_resolves_to_nothing(tmp_path: Path):
    # A script folder may import from itself (a script named mypy.py shadows the package), and
    # then following ``mypy.state.state.x`` asks for ``mypy.state.state.state.x``, and so on:
    # the nesting of lookups is bounded.
    from session_lint.run.analysis import Analysis

    (tmp_path / "mypy.py").write_text(SHADOWING)
    project = Analysis(Settings(), [tmp_path]).project
    project.index((tmp_path / "mypy.py").read_bytes(), tmp_path / "mypy.py")
    assert project.function("mypy.state.state.strict_optional_set") is None


def test_flake8_indexes_every_file_before_forking_its_workers(tmp_path: Path, monkeypatch):
    # flake8 forks its workers after parsing options: an index built then is shared by all of
    # them, where each would otherwise build most of it again (each file imports the rest).
    from flake8.options.parse_args import parse_args

    from session_lint.flake8_plugin import SessionLintChecker

    root = copy_shape(tmp_path)
    monkeypatch.chdir(root)
    monkeypatch.setattr(SessionLintChecker, "analyses", {})  # the class keeps what a run indexed
    monkeypatch.setattr(SessionLintChecker, "settings", None)
    parse_args(["--select", "SL", "app"])
    (analysis,) = SessionLintChecker.analyses.values()
    indexed = sorted(Path(m.path).as_posix() for m in analysis.project.modules())
    assert indexed == sorted(p.relative_to(root).as_posix() for p in (root / "app").rglob("*.py"))
