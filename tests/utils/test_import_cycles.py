"""No import cycle between the package's folders (and its top-level
modules), counting every import: at module level and inside functions."""
import ast
from pathlib import Path

import tipsy_gan

PACKAGE = Path(tipsy_gan.__file__).parent


def _unit(module):
    """'tipsy_gan.engine.hooks' -> 'engine'; 'tipsy_gan.paths' -> 'paths'."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 and parts[0] == 'tipsy_gan' else None


def _imported(path, module):
    """Every tipsy_gan module that ``path`` (module ``module``) imports."""
    is_package = path.name == '__init__.py'
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if not node.level:
                yield node.module
                continue
            base = module.split('.')
            if not is_package:
                base = base[:-1]
            base = base[:len(base) - (node.level - 1)]
            if node.module:
                yield '.'.join(base + [node.module])
            else:
                yield from ('.'.join(base + [a.name]) for a in node.names)


def import_graph():
    edges = {}
    for path in PACKAGE.rglob('*.py'):
        parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
        module = '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)
        source = _unit(module)
        if source is None:
            continue
        for imported in _imported(path, module):
            target = _unit(imported or '')
            if target and target != source:
                edges.setdefault(source, set()).add(target)
    return edges


def cycles(edges):
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
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

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_a_cycle_through_a_function_level_import():
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [
        ['a', 'b', 'c']]


def test_no_import_cycle_between_the_package_folders():
    edges = import_graph()
    assert 'engine' in edges and 'evaluation' in edges['engine']
    assert cycles(edges) == [], {k: sorted(v) for k, v in edges.items()}


def test_evaluation_only_measures():
    """The metrics package builds and runs no model: it imports neither
    the models nor the registration module."""
    assert not {'models', 'mmpose_modules', 'apis'} & \
        import_graph().get('evaluation', set())
