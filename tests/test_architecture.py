"""The rules of the house, read from the imports (docs/architecture.md): each arrow points one way.

server/ -> schema/ -> models/, and inside models/: ledger/ -> tables/ -> rules/ -> values. A rule is
pure (values, other rules and pure parts of the standard library only; no clock), a table module
holds Tortoise models only (with the constants and enums they need) and never calls an operation,
and nothing runs back up a layer. Every import counts, including those inside
functions and under TYPE_CHECKING: a type-only import still ties the two modules together.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

VALUES = {"models.money", "models.enums", "models.errors", "models.digits", "models.global_ids"}
PURE_LIBRARIES = {"stdnum", "schwifty", "text_unidecode"}  # validators and tables of facts: no I/O
IMPURE_STDLIB = {"asyncio", "os", "socket", "sqlite3", "subprocess", "threading", "time", "random", "secrets"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(node: ast.Import | ast.ImportFrom, path: Path) -> Iterator[tuple[int, str]]:
    if isinstance(node, ast.Import):
        yield from ((node.lineno, alias.name) for alias in node.names)
        return
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
    for alias in node.names:
        submodule = ROOT / base.replace(".", "/") / alias.name
        is_module = submodule.with_suffix(".py").exists() or submodule.is_dir()
        yield node.lineno, f"{base}.{alias.name}" if is_module else base


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import of the file; `from models.ledger import booking` names models.ledger.booking."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield from imports_of(node, path)


def files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)


def within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def rule_import_allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top == "models":
        return within(module, "models.rules", *VALUES) or module == "models"
    if top in sys.stdlib_module_names:
        return top not in IMPURE_STDLIB
    return top in PURE_LIBRARIES or top == "__future__"


def wrong_arrows() -> list[str]:
    """Every import that breaks a rule of the house, as `file:line imports module (the rule)`."""
    found: list[str] = []

    def check(folder: str, bad: Callable[[str], bool], rule: str) -> None:
        for path in files(folder):
            for line, module in imports(path):
                if bad(module):
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {module} ({rule})")

    check("models/rules", lambda m: not rule_import_allowed(m), "a rule imports only values and other rules")
    check("models/tables", lambda m: within(m, "models.ledger"), "a table calls no operation")
    check("models", lambda m: within(m, "schema", "server"), "models/ imports neither schema/ nor server/")
    check("schema", lambda m: within(m, "server"), "schema/ never imports server/")
    for path in files("models"):
        if path.parent == ROOT / "models":
            found += [
                f"{path.relative_to(ROOT)}:{line} imports {module} (values and infrastructure call no operation)"
                for line, module in imports(path)
                if within(module, "models.ledger")
            ]
    return found


def clock_reads() -> list[str]:
    """Calls like datetime.now() or time.time() inside models/rules/: a rule is handed `now`."""
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} calls .{node.func.attr}()"
        for path in files("models/rules")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS
    ]


def table_module_code(path: Path) -> Iterator[str]:
    """What a module of models/tables/ defines besides Model classes, enums, constants and imports."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import | ast.ImportFrom | ast.Assign | ast.AnnAssign):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # the docstring
            continue
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            continue
        if isinstance(node, ast.ClassDef) and {ast.unparse(b) for b in node.bases} & {"Model", "Enum"}:
            continue
        name = getattr(node, "name", type(node).__name__)
        yield f"{path.relative_to(ROOT)}:{node.lineno} defines {name}"


def non_model_code() -> list[str]:
    return [found for path in files("models/tables") for found in table_module_code(path)]


def loaded_on_import(path: Path) -> set[str]:
    """The project modules a module's own top level imports: not under TYPE_CHECKING, not inside functions."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found |= {module for line, module in imports_of(node, path)}
    return {m for m in found if m.split(".")[0] in ("models", "schema", "server")}


def test_every_import_follows_the_rules_of_the_house() -> None:
    found = wrong_arrows()
    assert not found, "wrong arrows (docs/architecture.md):\n" + "\n".join(found)


def test_no_rule_reads_a_clock() -> None:
    found = clock_reads()
    assert not found, "a rule is handed `now`:\n" + "\n".join(found)


def test_tables_hold_models_only() -> None:
    """A query or a value function lives in its room: ledger/ (reads and writes), rules/ or the values."""
    found = non_model_code()
    assert not found, "models/tables/ holds Tortoise models only:\n" + "\n".join(found)


def test_no_import_circle_when_modules_load() -> None:
    """GraphQL types that name each other do it lazily (strawberry.lazy, TYPE_CHECKING): loading is a tree."""
    graph = {module_name(p): loaded_on_import(p) for folder in ("models", "schema", "server") for p in files(folder)}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as e:
        pytest.fail(f"import circle: {' -> '.join(e.args[1])}")


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("models.money", True),
        ("models.rules.commission", True),
        ("decimal", True),
        ("stdnum.iban", True),
        ("tortoise", False),
        ("models.tables.sales", False),
        ("models.ledger.balances", False),
        ("models.transactions", False),
        ("asyncio", False),
        ("httpx", False),
    ],
)
def test_what_a_rule_may_import(module: str, allowed: bool) -> None:
    """The checker itself: what a rule may import, and what it may not."""
    assert rule_import_allowed(module) is allowed
