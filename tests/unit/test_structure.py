"""The package's shape: no import cycle, no module too big, one list of rule sources."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import lwsyslog
from lwsyslog.categories import CATEGORIES
from lwsyslog.detection.sources import SOURCES

PACKAGE = Path(lwsyslog.__file__).resolve().parent
DOCS = PACKAGE.parent / "docs"
MAX_LINES = 600
# Third-party modules of optional extras: importing them at module level would make the extra
# mandatory, so a function may import a module that needs them (and nothing else may).
OPTIONAL_TOP_LEVEL = frozenset({"sigma", "yaml"})
# Dependencies that only a feature off by default needs and that cost every run's start
# (dnspython and asyncio: ~40 ms of `lwsyslog scan`; pyparsing, ~25 ms, only for a LogFormat
# that is not built in): imported where the feature starts.
DEFERRED_TOP_LEVEL = frozenset({"dns", "pyparsing"})


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    package = base if MODULES[module].name == "__init__.py" else base[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join([*package, node.module] if node.module else package)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = _resolve(module, node)
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        yield candidate if candidate in MODULES else base


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> tuple[set[str], set[str]]:
    """(module-level imports, imports inside functions) of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top: set[str] = set()
    inner: set[str] = set()

    def walk(nodes: list[ast.stmt], inside: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                (inner if inside else top).update(_targets(module, node))
            elif isinstance(node, ast.If) and _is_type_checking(node):
                continue
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                walk(node.body, True)
            else:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        walk([child], inside)

    walk(tree.body, False)
    return top, inner


def _package_parents(name: str) -> list[str]:
    # Importing a.b.c runs a/__init__ and a/b/__init__ first.
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


def _edges(name: str, imported: set[str]) -> set[str]:
    # A package's __init__ runs before its submodules, so a module inside a package never
    # waits on that package's own __init__: only other packages' __init__ count as edges.
    own = set(_package_parents(name + ".x"))
    return {
        target
        for found in imported
        for target in [found, *_package_parents(found)]
        if target in MODULES and target != name and (target == found or target not in own)
    }


GRAPH: dict[str, set[str]] = {}
INNER: dict[str, set[str]] = {}
for _name in MODULES:
    _top, _inner = _imports(_name)
    GRAPH[_name] = _edges(_name, _top)
    INNER[_name] = _inner


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of ``graph`` with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _closure(module: str, *, inner: bool = False) -> set[str]:
    """The modules ``module`` imports at its top, and theirs (with ``inner``, also what they
    import inside functions)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(GRAPH.get(current, ()))
        if inner:
            todo.extend(target for target in INNER.get(current, ()) if target in MODULES)
    return seen


def test_the_walk_sees_the_imports_it_must() -> None:
    # The checks below mean something only if the walk finds real edges.
    assert "lwsyslog.settings" in GRAPH["lwsyslog.config"]
    assert "lwsyslog.detection.sources" in GRAPH["lwsyslog.config"]
    assert "lwsyslog.sigma.ruleset" in INNER["lwsyslog.sigma.source"]


def test_the_cycle_finder_finds_a_cycle_like_the_old_config_one() -> None:
    graph = {"config": {"registry"}, "registry": {"rules"}, "rules": {"config"}, "x": {"config"}}
    assert _cycles(graph) == [["config", "registry", "rules"]]


def test_no_import_cycle_among_lwsyslog_modules() -> None:
    assert _cycles(GRAPH) == []


def test_a_function_level_import_is_only_for_an_optional_or_deferred_dependency() -> None:
    # A module counts as needing the dependency when it or what it imports needs it, at
    # import or when a function runs: the Sigma rule set imports pySigma only to read rule
    # files its stored description does not cover, and is itself imported only when Sigma
    # rules are configured (its import is ~9 ms that a start without them should not pay).
    dodges = []
    for module, targets in INNER.items():
        for target in targets:
            top = target.split(".")[0]
            if top == "lwsyslog":
                needs = {
                    name.split(".")[0]
                    for dependency in _closure(target, inner=True)
                    for name in _imports(dependency)[0]
                }
                if not needs & (OPTIONAL_TOP_LEVEL | DEFERRED_TOP_LEVEL):
                    dodges.append(f"{module} imports {target} inside a function")
    assert dodges == []


def test_no_module_is_over_600_lines() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_the_docs_taxonomy_is_the_one_the_code_enforces() -> None:
    text = (DOCS / "taxonomy.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| ([a-z0-9-]+) \|", text, re.MULTILINE)) - {"id"} == set(CATEGORIES)


def test_every_rule_source_module_is_in_the_one_list() -> None:
    listed = {type(source).__module__ for source in SOURCES}
    defined = {
        name
        for name, path in MODULES.items()
        if re.search(r"^[A-Z]\w*_SOURCE = \w+\(\)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    }
    assert defined == listed
