"""Find the agents of a Python file by static analysis: the file is parsed, never imported.

Every call of ``hexr_agent`` counts, as a decorator (``@hexr_agent(...)``,
``@hexr.hexr_agent(...)``, an alias from ``from hexr import hexr_agent as agent``) or applied
by hand (``hexr_agent(...)(func)``), on functions, methods of crew classes and nested
functions alike. Arguments must be string literals or module-level string constants, so the
identity a file will run under is known before it runs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from hexr.errors import HexrError

__all__ = ["AgentRole", "BuildError", "find_agents"]

_MAX_SOURCE_BYTES = 2 * 1024 * 1024
_PARAMS = ("name", "tenant", "framework", "role")


class BuildError(HexrError):
    """The source cannot be analysed, or an ``@hexr_agent`` call is not static."""


@dataclass(frozen=True, slots=True)
class AgentRole:
    """One ``@hexr_agent`` occurrence: a process role of an agent."""

    name: str
    tenant: str
    role: str
    framework: str
    function: str
    """Qualified name of the decorated function (``Crew.research``), or ``<call>``."""
    line: int


def _aliases(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Local names bound to ``hexr_agent`` and to the ``hexr`` module."""
    funcs: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "hexr":
            funcs.update(a.asname or a.name for a in node.names if a.name == "hexr_agent")
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name == "hexr")
    return funcs, modules


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "literal"`` assignments (so ``tenant=TENANT`` resolves)."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            if isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        out[target.id] = node.value.value
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            out[node.target.id] = node.value.value
    return out


class _Finder(ast.NodeVisitor):
    def __init__(self, funcs: set[str], modules: set[str], consts: dict[str, str]) -> None:
        self._funcs = funcs
        self._modules = modules
        self._consts = consts
        self._scope: list[str] = []
        self._decorators: dict[int, str] = {}
        self.found: list[AgentRole] = []

    def _is_hexr_agent(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id in self._funcs
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "hexr_agent"
            and isinstance(func.value, ast.Name)
            and func.value.id in self._modules
        )

    def _value(self, node: ast.expr, param: str, line: int) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self._consts:
            return self._consts[node.id]
        raise BuildError(
            f"line {line}: hexr_agent({param}=...) must be a string literal or a module-level "
            "string constant (the identity is decided before the code runs)"
        )

    def _visit_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        qualname = ".".join([*self._scope, node.name])
        for deco in node.decorator_list:
            self._decorators[id(deco)] = qualname
        self._scope.append(node.name)
        self.generic_visit(node)
        self._scope.pop()

    visit_FunctionDef = _visit_def
    visit_AsyncFunctionDef = _visit_def
    visit_ClassDef = _visit_def

    def visit_Call(self, node: ast.Call) -> None:
        """Record a ``hexr_agent(...)`` call."""
        if self._is_hexr_agent(node.func):
            self.found.append(self._role(node))
        elif (
            isinstance(node.func, ast.Call)
            and self._is_hexr_agent(node.func.func)
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            # hexr_agent(...)(func): the function is the outer call's argument.
            self._decorators[id(node.func)] = node.args[0].id
        self.generic_visit(node)

    def _role(self, node: ast.Call) -> AgentRole:
        line = node.lineno
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise BuildError(f"line {line}: hexr_agent(*args/**kwargs) cannot be analysed")
        if len(node.args) > len(_PARAMS):
            raise BuildError(f"line {line}: hexr_agent takes at most {len(_PARAMS)} arguments")
        values: dict[str, str] = {}
        for param, arg in zip(_PARAMS, node.args, strict=False):
            values[param] = self._value(arg, param, line)
        for kw in node.keywords:
            if kw.arg not in _PARAMS:
                raise BuildError(f"line {line}: hexr_agent has no parameter {kw.arg!r}")
            if kw.arg in values:
                raise BuildError(f"line {line}: hexr_agent got {kw.arg!r} twice")
            if not (isinstance(kw.value, ast.Constant) and kw.value.value is None):
                values[kw.arg] = self._value(kw.value, kw.arg, line)
        if not values.get("name") or not values.get("tenant"):
            raise BuildError(f"line {line}: hexr_agent needs a non-empty name and tenant")
        return AgentRole(
            name=values["name"],
            tenant=values["tenant"],
            role=values.get("role", "main"),
            framework=values.get("framework", "none"),
            function=self._decorators.get(id(node), "<call>"),
            line=line,
        )


def find_agents(path: Path) -> list[AgentRole]:
    """Every ``hexr_agent`` occurrence in ``path``, in source order.

    Raises:
        BuildError: unreadable or too large file, syntax error, non-static arguments, or
            two occurrences claiming the same (tenant, agent, role).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BuildError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > _MAX_SOURCE_BYTES:
        raise BuildError(f"{path} is larger than {_MAX_SOURCE_BYTES // 1024} KiB")
    try:
        tree = ast.parse(data, filename=str(path))
    except (SyntaxError, ValueError) as exc:
        raise BuildError(f"{path}: not valid Python: {exc}") from None
    funcs, modules = _aliases(tree)
    finder = _Finder(funcs, modules, _constants(tree))
    finder.visit(tree)
    seen: dict[tuple[str, str, str], AgentRole] = {}
    for role in finder.found:
        key = (role.tenant, role.name, role.role)
        if key in seen:
            raise BuildError(
                f"line {role.line}: agent {role.name!r} role {role.role!r} is already declared "
                f"on line {seen[key].line} (one process per role)"
            )
        seen[key] = role
    return finder.found
