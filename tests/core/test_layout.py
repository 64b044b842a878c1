"""The rooms' layout (docs/architecture.md): no import circles among SIKESAL's modules, and the inner rooms
never reach out to the doors or the integrations.

Read from the source (ast), not from Python's import machinery: an import inside a function counts as much
as one at the top, because it ties the two modules together just the same; it only hides it until run.
"""

import ast
from pathlib import Path

import sikesal

ROOT = Path(sikesal.__file__).resolve().parent

# Which rooms a room must not import. The inner rooms (reports and their rules, people, the catalogue,
# routing) know nothing of the ways in (web pages, back office, REST/Open311) or of the integrations:
# these call them, and what an event causes outside is named in complaints/effects.py's registry.
DOORS = {"api", "backoffice", "portal"}
FORBIDDEN = {
    "complaints": DOORS | {"integrations"},
    "accounts": DOORS | {"integrations"},
    "catalogue": DOORS | {"integrations"},
    "routing": DOORS | {"integrations"},
}


def _modules():
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _nearest(name, modules):
    """The module `name` lives in: itself, or the nearest package or module above it we have."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules=None):
    """{module: the sikesal modules it imports anywhere in its text}."""
    modules = modules or _modules()
    graph = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(_nearest(alias.name, modules) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package[: len(package) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                for alias in node.names:  # `from package import module` imports the module
                    targets.add(_nearest(f"{base}.{alias.name}", modules))
        graph[name] = {t for t in targets if t and t != name}
    return graph


def cycles(graph):
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _room(module):
    return module.split(".")[1] if module.count(".") else module


def test_the_finder_sees_a_circle_through_a_function_level_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back():
    graph = import_graph()
    assert "sikesal.complaints.models" in graph["sikesal.complaints.submission"]  # the imports are read
    assert "sikesal.complaints.sweep" in graph["sikesal.complaints.tasks"]  # those inside functions too
    circles = cycles(graph)
    described = [" -> ".join(group) for group in circles]
    assert not circles, "import circles:\n" + "\n".join(described)


def test_inner_rooms_do_not_import_doors_or_integrations():
    wrong = [
        f"{module} imports {target}"
        for module, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if _room(target) in FORBIDDEN.get(_room(module), ())
    ]
    assert not wrong, "\n".join(wrong)
