"""The toolkit's shape, as its map (src/mlcheckup/README.md) promises it.

Imports are read from the source (module level and inside functions alike), so a cycle hidden in a
function-local import counts. The rules: no import cycle inside the package; no module takes another
module's private name; every public module declares ``__all__`` and exports only what it defines or
re-exports on purpose; importing the pure layers loads no Azure SDK.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mlcheckup"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[str, str | None]]:
    """(imported module, name taken from it or None) for every import in ``module``'s source."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node)
            for alias in node.names:
                child = f"{target}.{alias.name}"
                found.append((child, None) if child in MODULES else (target, alias.name))
    return [(target, name) for target, name in found if target.split(".")[0] == "mlcheckup"]


def graph() -> dict[str, set[str]]:
    """Module → modules of the package it imports (a package's ``__init__`` is its own node)."""
    edges = {}
    for module in MODULES:
        edges[module] = {target for target, _ in imports(module) if target in MODULES and target != module}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _is_package_face(importer: str, target: str) -> bool:
    """A package's ``__init__`` re-exports names of its own private modules."""
    return MODULES[importer].name == "__init__.py" and target.startswith(importer + ".")


def test_no_import_cycles():
    found = cycles(graph())
    assert not found, "import cycles inside mlcheckup (break each with a module below both):\n" + "\n".join(
        " <-> ".join(c) for c in found)


def test_no_module_takes_another_modules_private_name():
    taken = [f"{module} takes {name} from {target}"
             for module in MODULES for target, name in imports(module)
             if name and name.startswith("_") and not name.startswith("__") and target != module
             and not _is_package_face(module, target)]
    assert not taken, "private names used across modules (make them public in a shared module):\n" + "\n".join(taken)


#: Files of the package that are not modules of it: scoring scripts (``*_score.py``) copied into a deployment.
PUBLIC = sorted(m for m in MODULES if not m.endswith("_score") and not any(p.startswith("_") for p in m.split(".")))


@pytest.mark.parametrize("module", PUBLIC)
def test_every_public_module_declares_what_it_exports(module):
    tree = ast.parse(MODULES[module].read_text())
    declared = [node for node in tree.body if isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) == "__all__" for t in node.targets)]
    assert declared, f"{module} has no __all__: list its public names"
    names = ast.literal_eval(declared[0].value)
    imported = __import__(module, fromlist=["*"])
    missing = [name for name in names if not hasattr(imported, name)]
    assert not missing, f"{module}.__all__ names what it does not have: {missing}"


def test_the_pure_layers_load_no_azure_sdk():
    """Drift, alerts, scenarios, grading and the local services import in seconds without azure.ai.ml."""
    pure = ["mlcheckup", "mlcheckup.drift", "mlcheckup.alerts", "mlcheckup.scenarios", "mlcheckup.grading",
            "mlcheckup.appinsights", "mlcheckup.datacollector", "mlcheckup.serving"]
    code = ("import sys; " + "; ".join(f"import {m}" for m in pure)
            + "; print(sorted({n.split('.')[0] + '.' + n.split('.')[1] for n in sys.modules"
              " if n.startswith('azure.ai.') or n.startswith('azure.mgmt.')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"importing {pure} loaded the Azure SDK: {out.strip()} (import it inside the function)"


def longest_chain(edges: dict[str, set[str]]) -> list[str]:
    """The longest import chain (for the map and the report; the graph has no cycle)."""
    best: dict[str, list[str]] = {}

    def chain(node, seen=()):
        if node in best:
            return best[node]
        tails = [chain(n, (*seen, node)) for n in edges[node] if n not in seen]
        best[node] = [node, *max(tails, key=len, default=[])]
        return best[node]

    return max((chain(n) for n in sorted(edges)), key=len)


if __name__ == "__main__":  # a report: python tests/test_architecture.py
    edges = graph()
    print("cycles:", cycles(edges))
    print("longest chain:", " -> ".join(longest_chain(edges)))
    for module in PUBLIC:
        imported = __import__(module, fromlist=["*"])
        names = getattr(imported, "__all__", None) or [n for n in vars(imported) if not n.startswith("_")]
        print(f"{module}: {len(names)} public names{'' if hasattr(imported, '__all__') else ' (no __all__)'}")
