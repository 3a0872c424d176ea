"""The house's layers, checked: import-linter's contracts (.importlinter) and, for names that
import-linter cannot see (flask's request-bound globals), an ast check of the domain modules."""

import ast
import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "refusal_site"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# Flask names bound to a request: the domain takes what it needs as arguments instead.
REQUEST_BOUND = frozenset({"request", "session", "g", "after_this_request"})
# Top-level modules of the web layer, which may read the request; every other one is the domain.
WEB_LAYER = {
    "__init__.py": "the app factory",
    "http.py": "headers, errors, limits, CSRF and hosts for every blueprint",
    "mail_http.py": "delivers queued mail after the response",
    "params.py": "query-string parameters of the audiences",
    "page_cache.py": "public pages kept per public revision, with their ETags",
    "forms.py": "the base form and the letter's field checks, shared by the audiences",
    "i18n.py": "picks the visitor's language from the request",
}


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def request_bound_imports(source: str) -> list[str]:
    """Each request-bound flask name the source imports or reads off `flask`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "flask":
            found += [alias.name for alias in node.names if alias.name in REQUEST_BOUND]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "flask":
            found += [node.attr] if node.attr in REQUEST_BOUND else []
    return found


def test_import_contracts_hold():
    result = lint_imports(ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_audience_is_excused_an_import_of_another():
    """What two audiences share lives below them (page_cache, forms, i18n): none is excused from standing alone."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    contract = config["importlinter:contract:audiences"]
    audiences = tuple(contract["modules"].split())
    assert "refusal_site.moderate" in audiences
    excused = [line.strip() for line in contract.get("ignore_imports", "").splitlines() if line.strip() and not line.strip().startswith("#")]
    assert [line for line in excused if line.startswith(audiences)] == []


def test_import_contracts_catch_a_domain_module_importing_the_factory(tmp_path):
    """The contracts, run on a copy of the package whose PDF worker imports the app factory (as it once
    did), must fail: the worker gets the factory from the app instead."""
    shutil.copytree(PACKAGE, tmp_path / "refusal_site", ignore=shutil.ignore_patterns("static", "templates", "translations", "__pycache__"))
    worker = tmp_path / "refusal_site" / "compilation" / "worker.py"
    worker.write_text(worker.read_text() + "\nfrom refusal_site import create_app  # noqa: E402\n")
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)})  # fmt: skip
    assert result.returncode != 0
    assert "The domain never imports the app factory BROKEN" in result.stdout
    assert "refusal_site.compilation.worker -> refusal_site" in result.stdout


def test_no_module_takes_part_in_an_import_cycle():
    """Not even through an import inside a function: the graph import-linter reads (grimp) counts those too."""
    graph = grimp.build_graph("refusal_site", cache_dir=None)
    cycles = [
        (module, other)
        for module in graph.modules
        for other in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=other, imported=module)
    ]
    assert cycles == []


def test_domain_modules_read_no_request():
    domain = [path for path in sorted(PACKAGE.glob("*.py")) if path.name not in WEB_LAYER] + sorted(PACKAGE.glob("compilation/*.py"))
    assert {path.name for path in domain} >= {"letters.py", "signatures.py", "mail.py", "notify.py", "tokens.py", "downloads.py", "worker.py"}
    offenders = {str(path.relative_to(PACKAGE)): names for path in domain if (names := request_bound_imports(path.read_text()))}
    assert offenders == {}


def test_the_request_check_sees_each_spelling():
    assert request_bound_imports("from flask import current_app, request, g\n") == ["request", "g"]
    assert request_bound_imports("from flask.globals import session\n") == ["session"]
    assert request_bound_imports("import flask\nflask.after_this_request(lambda r: r)\n") == ["after_this_request"]
    assert request_bound_imports("from flask import current_app, render_template\n") == []
