"""The shape ARCHITECTURE.md describes: genmodels' packages import only from the packages above them,
nothing imports in a cycle, and only the `python -m` entry points run code as __main__."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# genmodels' layers, lowest first (ARCHITECTURE.md); a module may import from its own layer or lower ones.
LAYERS = [["errors", "checks", "text"], ["imaging"], ["models"], ["data"], ["storage"], ["generation"],
          ["explore", "evaluation"], ["training"], ["api"], ["hub"], ["cli"]]
# The command lines, and the studio's low-priority edit worker (a child process the studio starts itself).
ENTRY_POINTS = {"genmodels/train.py", "genmodels/sample.py", "genmodels/hub/__main__.py", "studio/edit_worker.py",
                "genmodels/training/__main__.py"}


def _imports(path: Path, package: str) -> set[str]:
    """Modules of `package` that the file imports (relative imports resolved), at any depth of the file."""
    here = list(path.relative_to(ROOT).with_suffix("").parts)[:-1]  # the package the file belongs to
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                names = ([".".join(base + [node.module])] if node.module
                         else [".".join(base + [a.name]) for a in node.names])
            else:
                names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n == package or n.startswith(package + ".")}
    return found


def _layer(module: str) -> int | None:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else None
    return next((k for k, names in enumerate(LAYERS) if top in names), None)


def test_genmodels_packages_import_only_downwards():
    upward = []
    for path in sorted((ROOT / "genmodels").rglob("*.py")):
        if str(path.relative_to(ROOT)) in ENTRY_POINTS:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        mine = _layer(module)
        for target in _imports(path, "genmodels"):
            theirs = _layer(target)
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_no_import_cycles():
    graph = {}
    for package in ("genmodels", "studio", "postprocess"):
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            graph[module] = _imports(path, package)
    modules = set(graph)
    # "from pkg import name" names a module or an attribute: keep the longest known module prefix
    graph = {m: {next((t[:i] for i in range(len(t), 0, -1) if t[:i] in modules and (i == len(t) or t[i] == ".")), t)
                 for t in ts} & modules - {m} for m, ts in graph.items()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, path: list[str]) -> bool:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycle.extend(path[path.index(d):] + [m, d] if d in path else [m, d])
                return True
            if d not in state and visit(d, path + [m]):
                return True
        state[m] = 2
        return False

    assert not any(visit(m, []) for m in sorted(graph) if m not in state), " -> ".join(cycle)


def test_only_entry_points_run_as_main():
    mains = {str(p.relative_to(ROOT)) for package in ("genmodels", "studio", "postprocess")
             for p in (ROOT / package).rglob("*.py") if '__name__ == "__main__"' in p.read_text()}
    assert mains <= ENTRY_POINTS
