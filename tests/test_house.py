"""The shape of the code, checked on every run: no import cycles between the app's
modules, and no private name (_x) taken from another area's package.

Read from the source (ast), not by importing it. Every import counts, a lazy one inside
a function too: it defers a cycle to run time, it does not remove it, and the next move
of that import to the top of its file would bring the cycle back."""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "cpoms"
# The core every area builds on: it imports nothing else of the app (models owns its labels).
CORE = {"cpoms.append_only", "cpoms.common", "cpoms.extensions", "cpoms.models", "cpoms.timefmt"}
# The record kernel in cpoms/models.py: an area's own tables live in its package's models.py.
CORE_MODELS = {
    "UTCDateTime",
    "Role",
    "Source",
    "Kind",
    "PupilRole",
    "Trust",
    "School",
    "User",
    "RoleAssignment",
    "Pupil",
    "Category",
    "Entry",
    "EntryPupil",
    "EntryState",
    "FollowUp",
    "Alert",
}


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package at root."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def area(module: str) -> str:
    """cpoms.entries.routes -> entries; cpoms.audit -> audit; cpoms -> cpoms."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imported_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a `from X import ...` names: `from . import x` in a package's
    __init__ is the package itself; in a module, its package."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    keep = len(base) - node.level + (1 if is_package else 0)
    return ".".join(base[:keep] + ([node.module] if node.module else []))


def dependencies(mods: dict[str, Path]) -> tuple[dict[str, set[str]], list[str]]:
    """Each module's imports of other modules of the app, and every private name one
    area takes from another (imported, or read off a module imported from it)."""
    edges: dict[str, set[str]] = {}
    private: list[str] = []
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        out = edges.setdefault(name, set())
        module_names: dict[str, str] = {}  # a local name bound to a module of the app -> that module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = imported_from(name, is_package, node)
                for alias in node.names:
                    whole = f"{source}.{alias.name}"
                    target = whole if whole in mods else source
                    if target in mods and target != name:
                        out.add(target)
                    if whole in mods:
                        module_names[alias.asname or alias.name] = whole
                    elif _private(alias.name) and target in mods and area(target) != area(name):
                        private.append(f"{name} imports {alias.name} from {target}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in mods and alias.name != name:
                        out.add(alias.name)
                        if alias.asname:
                            module_names[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and _private(node.attr)
                and node.value.id in module_names
                and area(module_names[node.value.id]) != area(name)
            ):
                private.append(f"{name} uses {node.value.id}.{node.attr} from {module_names[node.value.id]}")
    return edges, private


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    edges, _ = dependencies(modules(APP))
    found = [" <-> ".join(c) for c in cycles(edges)]
    assert not found, "import cycles (dependencies run one way: app -> areas -> core): " + "; ".join(found)


def test_no_private_name_crosses_an_area():
    _, private = dependencies(modules(APP))
    assert not private, "make it public in its area, or move it to cpoms/common.py: " + "; ".join(private)


def test_the_core_imports_no_area():
    edges, _ = dependencies(modules(APP))
    upward = [
        f"{module} imports {target}" for module in sorted(CORE) for target in sorted(edges.get(module, set()) - CORE)
    ]
    assert not upward, "the core must not depend on an area: " + "; ".join(upward)


def test_the_core_models_are_the_record_kernel_alone():
    tree = ast.parse((APP / "models.py").read_text(encoding="utf-8"))
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    assert classes == CORE_MODELS, (
        f"cpoms/models.py is the core; an area's tables go in its package's models.py "
        f"(added: {sorted(classes - CORE_MODELS)}, gone: {sorted(CORE_MODELS - classes)})"
    )


def _defines_tables(path: Path) -> bool:
    return any(
        isinstance(node, ast.ClassDef) and any(ast.unparse(base) == "db.Model" for base in node.bases)
        for node in ast.parse(path.read_text(encoding="utf-8")).body
    )


def test_the_schema_imports_every_table():
    """create_all, Alembic and the mappers see a table only once its module is imported:
    cpoms/schema.py (imported by the app factory) imports each module that defines one."""
    mods = modules(APP)
    edges, _ = dependencies(mods)
    defining = {name for name, path in mods.items() if _defines_tables(path)}
    assert defining, "no tables found: the check no longer reads the models"
    assert defining - edges["cpoms.schema"] == set(), "import them in cpoms/schema.py"


def test_area_rules_build_on_the_core_policy_alone():
    """An area's policy.py asks the core's public functions (access, holders, the record
    rule); the core asks no area's rules, and no area's rules ask another's."""
    edges, _ = dependencies(modules(APP))
    rules = {m for m in edges if m.endswith(".policy")}
    assert {"cpoms.policy", "cpoms.transfers.policy"} <= rules
    found = [f"{m} imports {t}" for m in sorted(rules) for t in sorted(edges[m] & rules) if t != "cpoms.policy"]
    assert not found, "; ".join(found)


def test_the_app_does_not_depend_on_its_benchmarks_or_tests():
    found = []
    for name, path in modules(APP).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            imported = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            found += [f"{name} imports {m}" for m in imported if m.split(".")[0] in ("bench", "tests")]
    assert not found, "app.py wires bench/ in, the app does not import it: " + "; ".join(found)


def test_the_check_sees_relative_lazy_and_private_imports(tmp_path):
    """The check itself: a cycle made of relative and lazy imports, and private names taken
    from another area, are found; the same within one area are not private crossings."""
    app = tmp_path / "app"
    files = {
        "__init__.py": "",
        "core.py": "def _helper():\n    pass\n",
        "one/__init__.py": "",
        "one/routes.py": "from . import pages\nfrom .pages import _local\n",
        "one/pages.py": "def _local():\n    pass\n\ndef later():\n    from .routes import later  # lazy: counts\n",
        "two/__init__.py": "from .. import core\n\nx = core._helper\n",
        "two/views.py": "from ..core import _helper\nfrom ..one import pages\n",
    }
    for name, text in files.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text)
    edges, private = dependencies(modules(app))
    assert cycles(edges) == [["app.one.pages", "app.one.routes"]]
    assert edges["app.two.views"] == {"app.core", "app.one.pages"} and edges["app.two"] == {"app.core"}
    assert sorted(private) == ["app.two uses core._helper from app.core", "app.two.views imports _helper from app.core"]


ROOT = APP.parent


def test_every_picture_the_docs_show_is_kept_and_every_kept_one_is_shown():
    """docs/screenshots/ holds what the README and docs/ show, and nothing else: `make
    screenshots` rewrites them (the tests marked docs_screenshots); a picture no page shows
    would go stale unseen."""
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    shown = {
        name for doc in docs for name in re.findall(r"\]\((?:docs/)?screenshots/([\w.-]+\.png)\)", doc.read_text())
    }
    kept = {path.name for path in (ROOT / "docs" / "screenshots").glob("*.png")}
    assert shown - kept == set(), "shown but missing"
    assert kept - shown == set(), "kept but shown nowhere"
