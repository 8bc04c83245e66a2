"""No two modules of the package import each other, directly or through others.

The layering contract (pyproject.toml) sees packages only; this check sees modules. It
counts every import that runs: at the top of a module and inside a function alike, since a
cycle through a function-level import still means neither module can be read, tested or
moved without the other. Imports under ``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _describe(graph: grimp.ImportGraph, component: list[str]) -> str:
    edges = []
    for importer in component:
        for imported in component:
            if graph.direct_import_exists(importer=importer, imported=imported):
                lines = sorted({d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)})
                edges.append(f"{importer} -> {imported} (line {', '.join(map(str, lines))})")
    return "; ".join(edges)


def test_the_package_has_no_import_cycle() -> None:
    graph = grimp.build_graph("xtd10", exclude_type_checking_imports=True, cache_dir=None)
    cycles = [_describe(graph, component) for component in _cycles(graph)]
    assert cycles == [], "import cycles: " + " | ".join(cycles)


def test_the_check_finds_a_cycle_through_a_function_level_import(tmp_path, monkeypatch) -> None:
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("from cyclic.b import g\n\ndef f():\n    return g()\n", encoding="utf-8")
    (package / "b.py").write_text("def g():\n    from cyclic.a import f\n    return f\n", encoding="utf-8")
    (package / "c.py").write_text("import cyclic.d\n", encoding="utf-8")
    (package / "d.py").write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import cyclic.c\n",
                                  encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclic", exclude_type_checking_imports=True, cache_dir=None)
    assert _cycles(graph) == [["cyclic.a", "cyclic.b"]]
    assert "cyclic.b -> cyclic.a (line 2)" in _describe(graph, ["cyclic.a", "cyclic.b"])
