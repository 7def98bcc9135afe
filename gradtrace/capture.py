"""User code → a named graph with gradients: one path for the CLI, the docs fence and notebooks.

`capture_file("expr.py")`, `capture_code(source)` and `capture_namespace(globals())`
all end in the same steps:

1. **Run** the code (files and code strings only) the way `python FILE.py` would, with
   a small rewrite that records each value as the code binds it to a name (below).
   Nothing the code computes changes; the working directory, `sys.path`, `sys.argv`,
   the standard streams and the recursion limit are put back afterwards.
2. **Find the values**: the module-level variables that hold a `Value` (anything with
   `data`, `grad` and `_prev`, so micrograd's `Value` counts too).
3. **Choose the output**: the values that feed no other are the *roots*. `root=` names
   the ones to export; otherwise the only root, or, when there are several, the one the
   code made last (and `Capture.notes` says which others there were).
4. **Name the values** after the code (below); explicit labels always win.
5. **Run `backward()`** on the output, unless the code already computed gradients (any
   value of the graph has a non-zero gradient) or `backward=False`.
6. **Trace** the graph into a `Graph` (`gradtrace.graph`), which every exporter reads.

**How values are named.** The code is parsed and, after every statement that binds a
name (`=`, `+=`, `for`, `with ... as`), a call records the value now bound to it. So a
value is named after what the code bound it to *when it was bound*:

- a module-level variable: `w1` (written `w₁`: digits after a letter become subscripts,
  unless `plain_labels=True`);
- an element of a module-level list, tuple or dict, or an attribute of a module-level
  object, at any depth: `xs[0]`, `W[2][1]`, `params["w"]`, `model.layers[0].w[1][0]`;
- a loop variable, or a variable inside a function: `a`, `act`.

When several values of one graph got the same name (a loop binds `a` on every pass), they
are told apart by the order the code bound them, counting from 0 like Python's indices:
`a⁽⁰⁾`, `a⁽¹⁾`, `a⁽²⁾`. A value bound to several names takes the first of these, in this
order of preference: a module-level variable, then an element or attribute path, then a
loop or function variable; among equals, the first binding. Values no name ever held stay
unlabelled and are written out or get generated names (`gradtrace.notation.Naming`).
Objects with a `parameters()` method (a `Module`) mark their values as parameters.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import itertools
import linecache
import os
import sys
import traceback
import types
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradtrace.errors import GradtraceError
from gradtrace.graph import Graph, check_values, trace
from gradtrace.notation import pretty_name

__all__ = [
    "Capture",
    "CaptureError",
    "capture_code",
    "capture_file",
    "capture_namespace",
    "is_value",
    "pretty_name",
]

#: The name of the recording function inside the user's namespace.
_HOOK = "__gradtrace_bind__"

# Preference of a name, lower wins (see the module docs).
_VARIABLE, _PATH, _LOCAL = 0, 1, 2

#: How deep element and attribute paths are followed (`model.layers[0].w[1][0]` is 5).
_MAX_DEPTH = 6
#: How many objects one scan of a container or object visits at most.
_MAX_VISITS = 100_000

_PACKAGE_DIR = Path(__file__).resolve().parent


class CaptureError(GradtraceError):
    """The user's code could not be run, or built nothing to export.

    Attributes:
        line: The line of the user's code the error points at (1-based), if known.
        user_traceback: For an exception raised by the user's code, its traceback
            trimmed to the user's own frames (ready to print); otherwise `""`.
        exception: For an exception raised by the user's code, its type and
            message on one line (`"ZeroDivisionError: division by zero"`).
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        user_traceback: str = "",
        exception: str = "",
    ) -> None:
        super().__init__(message)
        self.line = line
        self.user_traceback = user_traceback
        self.exception = exception


@dataclass(frozen=True)
class Capture:
    """What `capture_*` found: the graph to export and how it was chosen.

    Attributes:
        graph: The named graph, with gradients, ready for any exporter.
        roots: The variable names of the exported outputs, in graph order.
        candidates: Every root the code left (values no other value was computed
            from), by variable name, in the order the code made them.
        backward_run: True if capture ran `backward()` itself.
        notes: Sentences a caller may show the user (e.g. which other roots there were).
        namespace: The code's module namespace after it ran.
    """

    graph: Graph
    roots: tuple[str, ...]
    candidates: tuple[str, ...]
    backward_run: bool
    notes: tuple[str, ...]
    namespace: Mapping[str, Any]


# -- the public entry points ----------------------------------------------------------------


def capture_file(
    path: str | os.PathLike[str],
    *,
    root: str | Sequence[str] | None = None,
    all_roots: bool = False,
    backward: bool = True,
    plain_labels: bool = False,
) -> Capture:
    """Run a Python file like `python FILE.py` and capture the graph it builds.

    The file runs as `__main__`, its folder first on `sys.path`, `sys.argv == [FILE]`.

    Args:
        path: The `.py` file.
        root: The variable(s) to export (default: the only root, or the last one made).
        all_roots: Export every root in one graph (gradients as the code left them).
        backward: Run `backward()` on the output if the code did not compute gradients.
        plain_labels: Label values with their names as written (`w1`, not `w₁`).

    Raises:
        CaptureError: A syntax error, an exception in the file (with its traceback),
            an early exit, or no value to export.

    Example:
        >>> import pathlib, tempfile
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "expr.py"
        >>> _ = file.write_text("from gradtrace import Value\\nw1 = Value(2.0)\\nf = w1 * w1\\n")
        >>> [(n.label, n.grad) for n in capture_file(file).graph]
        [('w₁', 4.0), ('f', 1.0)]
    """
    source = Path(path)
    try:
        code = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CaptureError(f"cannot read {source}: {error}") from None
    runner = _Runner(code, str(source), module_name="__main__")
    with _process_state(folder=source.resolve().parent, argv=[str(source)]):
        namespace = runner.run()
    return _finish(runner.recorder, namespace, str(source), root, all_roots, backward, plain_labels)


def capture_code(
    code: str,
    *,
    filename: str = "<gradtrace code>",
    root: str | Sequence[str] | None = None,
    all_roots: bool = False,
    backward: bool = True,
    plain_labels: bool = False,
    stdin: bool = True,
) -> Capture:
    """Run Python source in a fresh namespace and capture the graph it builds.

    Args:
        code: The source.
        filename: Its name in tracebacks and messages.
        root: As for `capture_file`.
        all_roots: As for `capture_file`.
        backward: As for `capture_file`.
        plain_labels: As for `capture_file`.
        stdin: Let the code read standard input (False: it reads an empty stream,
            so `input()` fails at once instead of waiting).

    Raises:
        CaptureError: As for `capture_file`.

    Example:
        >>> capture = capture_code("from gradtrace import Value\\nx = Value(3.0)\\ny = x * x + 1")
        >>> capture.roots, [(n.label, n.data, n.grad) for n in capture.graph if n.label]
        (('y',), [('x', 3.0, 6.0), ('y', 10.0, 1.0)])
    """
    runner = _Runner(code, filename, module_name="__main__")
    with _process_state(folder=None, argv=[filename], stdin=stdin):
        namespace = runner.run()
    return _finish(runner.recorder, namespace, filename, root, all_roots, backward, plain_labels)


def capture_namespace(
    namespace: Mapping[str, Any],
    *,
    root: str | Sequence[str] | None = None,
    all_roots: bool = False,
    backward: bool = True,
    plain_labels: bool = False,
) -> Capture:
    """Capture the graph held by an existing namespace (a notebook's `globals()`).

    Nothing is run, so names come from the namespace as it is now: variables, and
    elements and attributes of the objects in it (not loop iterations).

    Raises:
        CaptureError: No value to export, or `root` names no value.
    """
    return _finish(_Recorder(), namespace, "the namespace", root, all_roots, backward, plain_labels)


def is_value(obj: object) -> bool:
    """True for a `Value`, or anything shaped like one (`data`, `grad` and a `_prev` collection)."""
    return (
        not isinstance(obj, type)
        and hasattr(obj, "data")
        and hasattr(obj, "grad")
        and isinstance(getattr(obj, "_prev", None), (tuple, list, set, frozenset))
    )


_SUPERSCRIPTS = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


# -- recording bindings ---------------------------------------------------------------------


class _Ref(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that knows the key it is filed under."""

    __slots__ = ("key",)
    key: int


class _Recorder:
    """The names the code bound values to, by value, without keeping any value alive.

    It runs after every binding of the user's code, so it is kept cheap: whether a
    type is a value type is decided once per type, and one callback forgets the
    entry of a value that is freed.
    """

    def __init__(self, hooked: bool = False) -> None:
        self.hooked = hooked  # True when the code runs with the binding hooks
        self.counter = itertools.count()
        # id(value) -> (reference, (preference, binding number), name)
        self.names: dict[int, tuple[Callable[[], Any], tuple[int, int], str]] = {}
        self.parameters: set[int] = set()
        self.value_types: dict[type, bool] = {}

    def bind(self, name: str, value: Any, local: int) -> None:
        """The hook the rewritten code calls after it binds `name` (never raises)."""
        try:
            kind = self.value_types.get(type(value))
            if kind is None:
                kind = self.value_types[type(value)] = is_value(value)
            if kind:
                self.record(value, name, _LOCAL if local else _VARIABLE)
            elif not local:
                self.scan(name, value)
        except Exception:
            pass

    def record(self, value: Any, name: str, preference: int) -> None:
        key = id(value)
        known = self.names.get(key)
        if known is not None and known[1][0] <= preference and known[0]() is value:
            return
        try:
            ref: Callable[[], Any] = _Ref(value, self._forget)
            ref.key = key  # type: ignore[attr-defined]
        except TypeError:  # a value type without weak references: keep it alive
            ref = _strong(value)
        self.names[key] = (ref, (preference, next(self.counter)), name)

    def _forget(self, ref: _Ref) -> None:
        entry = self.names.get(ref.key)
        if entry is not None and entry[0] is ref:
            del self.names[ref.key]

    def scan(self, name: str, obj: Any) -> None:
        """Record the values inside a container or object under their paths (`xs[0]`)."""
        budget = [_MAX_VISITS]
        seen: set[int] = set()
        self._scan(name, obj, 0, seen, budget)

    def _scan(self, path: str, obj: Any, depth: int, seen: set[int], budget: list[int]) -> None:
        if budget[0] <= 0 or id(obj) in seen:
            return
        budget[0] -= 1
        if is_value(obj):
            self.record(obj, path, _PATH)
            return
        if depth >= _MAX_DEPTH or isinstance(obj, (str, bytes, int, float, complex, type)):
            return
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            for i, item in enumerate(obj):
                self._scan(f"{path}[{i}]", item, depth + 1, seen, budget)
        elif isinstance(obj, dict):
            for key, item in list(obj.items()):
                if isinstance(key, (str, int)) and not isinstance(key, bool):
                    self._scan(f"{path}[{_key_text(key)}]", item, depth + 1, seen, budget)
        elif _is_plain_object(obj):
            self._mark_parameters(obj)
            for attr, item in list(vars(obj).items()):
                if not attr.startswith("_"):
                    self._scan(f"{path}.{attr}", item, depth + 1, seen, budget)

    def _mark_parameters(self, obj: Any) -> None:
        method = getattr(type(obj), "parameters", None)
        if callable(method) and callable(getattr(type(obj), "zero_grad", None)):
            with contextlib.suppress(Exception):
                for p in obj.parameters():
                    if is_value(p):
                        self.parameters.add(id(p))

    def name_of(self, value: Any) -> tuple[tuple[int, int], str] | None:
        entry = self.names.get(id(value))
        if entry is None or entry[0]() is not value:
            return None
        return entry[1], entry[2]


def _strong(value: Any) -> Callable[[], Any]:
    return lambda: value


def _key_text(key: str | int) -> str:
    """A dict key as the code would write it, in double quotes: `params["w"]`."""
    if isinstance(key, str) and '"' not in key and "\\" not in key:
        return f'"{key}"'
    return repr(key)


def _is_plain_object(obj: Any) -> bool:
    """An instance of an ordinary class (not a module, function, class or C type)."""
    return (
        hasattr(obj, "__dict__")
        and not isinstance(obj, (types.ModuleType, types.FunctionType, types.MethodType, type))
        and not callable(getattr(obj, "__get__", None))
    )


class _BindingRewriter(ast.NodeTransformer):
    """Adds `__gradtrace_bind__("name", name, local)` after every statement that binds a name."""

    def __init__(self) -> None:
        self.local = 0  # inside how many function or class bodies

    def _body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for statement in body:
            new = self.visit(statement)
            out.extend(new if isinstance(new, list) else [new])
        return out

    def generic_visit(self, node: ast.AST) -> Any:
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(node, field, self._body(block))
        for part in [*getattr(node, "handlers", ()), *getattr(node, "cases", ())]:  # try, match
            part.body = self._body(part.body)
        return node

    def _scoped(self, node: ast.AST) -> ast.AST:
        self.local += 1
        try:
            visited: ast.AST = self.generic_visit(node)
            return visited
        finally:
            self.local -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def _after(self, node: ast.stmt, targets: Sequence[ast.expr]) -> list[ast.stmt]:
        hooks = [self._hook(name, node) for t in targets for name in _target_names(t)]
        return [node, *hooks]

    def _hook(self, name: str, where: ast.stmt, local: int | None = None) -> ast.stmt:
        call = ast.Expr(
            ast.Call(
                func=ast.Name(_HOOK, ast.Load()),
                args=[
                    ast.Constant(name),
                    ast.Name(name, ast.Load()),
                    ast.Constant(self.local if local is None else local),
                ],
                keywords=[],
            )
        )
        return ast.fix_missing_locations(ast.copy_location(call, where))

    def visit_Assign(self, node: ast.Assign) -> Any:
        return self._after(node, node.targets)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        return self._after(node, [node.target])

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        return self._after(node, [node.target]) if node.value is not None else node

    def _loop(self, node: ast.For | ast.AsyncFor) -> Any:
        self.generic_visit(node)
        # A loop variable names values less firmly than an assignment (see the module docs).
        hooks = [self._hook(n, node, local=1) for n in _target_names(node.target)]
        node.body = [*hooks, *node.body]
        return node

    visit_For = visit_AsyncFor = _loop

    def _with(self, node: ast.With | ast.AsyncWith) -> Any:
        self.generic_visit(node)
        names = [
            n
            for item in node.items
            if item.optional_vars
            for n in _target_names(item.optional_vars)
        ]
        node.body = [*(self._hook(n, node) for n in names), *node.body]
        return node

    visit_With = visit_AsyncWith = _with


def _target_names(target: ast.expr) -> list[str]:
    """The plain names an assignment target binds (`a`, `a, (b, *c)`), in order."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _target_names(element)]
    return []


# -- running the code -------------------------------------------------------------------------


class _Exited(BaseException):
    """`os._exit()` called by the user's code (it would end gradtrace too)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Runner:
    """Compiles the user's code with the binding hooks and runs it in its own module."""

    def __init__(self, code: str, filename: str, module_name: str) -> None:
        self.code = code
        self.filename = filename
        self.module_name = module_name
        self.recorder = _Recorder(hooked=True)

    def run(self) -> dict[str, Any]:
        compiled = self._compile()
        module = types.ModuleType(self.module_name)
        namespace = module.__dict__
        namespace.update(
            {
                "__file__": self.filename,
                "__builtins__": builtins,
                _HOOK: self.recorder.bind,
            }
        )
        saved_main = sys.modules.get(self.module_name)
        sys.modules[self.module_name] = module
        real_exit = os._exit

        def refuse_exit(status: int) -> None:
            raise _Exited(status)

        os._exit = refuse_exit  # type: ignore[assignment]
        try:
            exec(compiled, namespace)
        except SystemExit as error:
            code = "" if error.code is None else repr(error.code)
            raise CaptureError(
                f"{self.filename} called sys.exit({code}) before it finished; remove the call "
                "so gradtrace can read the values it built"
            ) from None
        except _Exited as error:
            raise CaptureError(
                f"{self.filename} called os._exit({error.status}) before it finished; remove "
                "the call so gradtrace can read the values it built"
            ) from None
        except KeyboardInterrupt:
            raise
        except BaseException as error:
            exception = f"{type(error).__name__}: {_one_line(error)}"
            raise CaptureError(
                f"{self.filename} raised {exception}; fix the error and run again",
                line=_user_line(error, self.filename),
                user_traceback=_user_traceback(error, self.filename),
                exception=exception,
            ) from None
        finally:
            os._exit = real_exit
            if saved_main is None:
                sys.modules.pop(self.module_name, None)
            else:
                sys.modules[self.module_name] = saved_main
        namespace.pop(_HOOK, None)
        return namespace

    def _compile(self) -> types.CodeType:
        lines = self.code.splitlines(keepends=True)
        linecache.cache[self.filename] = (len(self.code), None, lines, self.filename)
        try:
            tree = ast.parse(self.code, self.filename)
            tree = _BindingRewriter().visit(tree)
            return compile(tree, self.filename, "exec", dont_inherit=True)
        except SyntaxError as error:
            where = f"{error.filename or self.filename}:{error.lineno or '?'}"
            if error.offset:
                where += f":{error.offset}"
            raise CaptureError(
                f"{where}: syntax error: {error.msg}; fix that line and run again",
                line=error.lineno,
            ) from None
        except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes, absurd nesting
            raise CaptureError(f"{self.filename} cannot be compiled: {error}") from None


@contextlib.contextmanager
def _process_state(folder: Path | None, argv: list[str], stdin: bool = True) -> Iterator[None]:
    """Run the user's code like a script, then put back what it may have changed."""
    saved_path, saved_argv = sys.path[:], sys.argv[:]
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_limit = sys.getrecursionlimit()
    try:
        saved_cwd: str | None = os.getcwd()
    except OSError:
        saved_cwd = None
    if folder is not None:
        sys.path.insert(0, str(folder))
    sys.argv = argv
    if not stdin:
        sys.stdin = io.StringIO()
    try:
        yield
    finally:
        sys.path[:] = saved_path
        sys.argv = saved_argv
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.setrecursionlimit(saved_limit)
        if saved_cwd is not None:
            with contextlib.suppress(OSError):
                os.chdir(saved_cwd)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:200] + "…" if len(text) > 200 else text or "(no message)"


#: A traceback keeps at most this many frames at each end (a runaway recursion has 10⁶).
_TRACEBACK_FRAMES = 12


def _frames(error: BaseException) -> list[tuple[types.FrameType, int]]:
    return list(traceback.walk_tb(error.__traceback__))


def _user_line(error: BaseException, filename: str) -> int | None:
    line = None
    for frame, lineno in _frames(error):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def _user_traceback(error: BaseException, filename: str) -> str:
    """The traceback from the user's file on, without gradtrace's frames, long ones shortened."""
    frames = _frames(error)
    start = next((i for i, (f, _) in enumerate(frames) if f.f_code.co_filename == filename), 0)
    kept = [(f, n) for f, n in frames[start:] if not _inside_gradtrace(f.f_code.co_filename)]
    left_out = 0
    if len(kept) > 2 * _TRACEBACK_FRAMES:
        left_out = len(kept) - 2 * _TRACEBACK_FRAMES
        kept = kept[:_TRACEBACK_FRAMES] + kept[-_TRACEBACK_FRAMES:]
    summary = traceback.StackSummary.extract(iter(kept), capture_locals=False)
    lines = ["Traceback (most recent call last):\n", *summary.format()]
    if left_out:
        lines.insert(1 + _TRACEBACK_FRAMES, f"  [... {left_out} more frames ...]\n")
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)


def _inside_gradtrace(filename: str) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(_PACKAGE_DIR)
    except (OSError, ValueError):
        return False


# -- from a namespace to a named graph --------------------------------------------------------


def _finish(
    recorder: _Recorder,
    namespace: Mapping[str, Any],
    where: str,
    root: str | Sequence[str] | None,
    all_roots: bool,
    backward: bool,
    plain_labels: bool,
) -> Capture:
    values = _module_values(namespace)
    # What the code left, under its final names. In code that ran with the binding hooks
    # a variable's last value was recorded when it was bound; a loop variable still
    # holding the last element must not outrank that element's path.
    variable = _LOCAL if recorder.hooked else _VARIABLE
    for name, obj in list(namespace.items()):
        if _visible(name):
            if is_value(obj):
                recorder.record(obj, name, variable)
            elif not isinstance(obj, types.ModuleType | type | types.FunctionType):
                recorder.scan(name, obj)
    if not values:
        raise CaptureError(
            f"no Value found in {where}; bind your expression to a module-level variable, "
            "e.g. f = (w * x).tanh()"
        )
    candidates = _roots(values)
    notes: list[str] = []
    if root is not None:
        wanted = [root] if isinstance(root, str) else list(root)
        for name in wanted:
            if name not in namespace:
                raise CaptureError(
                    f"{where} has no module-level Value called {name!r}; choose one of "
                    f"{', '.join(values)}"
                )
            if not is_value(namespace[name]):
                raise CaptureError(
                    f"{name!r} in {where} is a {type(namespace[name]).__name__}, not a Value; "
                    f"choose one of {', '.join(values)}"
                )
        chosen = {name: namespace[name] for name in wanted}
    elif all_roots or len(candidates) == 1:
        chosen = candidates
    else:
        last = max(candidates, key=lambda n: _made(candidates[n], list(candidates).index(n)))
        chosen = {last: candidates[last]}
        others = ", ".join(n for n in candidates if n != last)
        notes.append(
            f"{where} leaves {len(candidates)} values that feed no other ({others} and {last}); "
            f"exported {last}, the last one made"
        )
    outputs = list(chosen.values())
    ran = False
    if backward and len(outputs) == 1 and not all_roots and not _has_gradients(outputs):
        run = getattr(outputs[0], "backward", None)
        if callable(run):
            run()
            ran = True
        else:
            notes.append(f"{type(outputs[0]).__name__} has no backward(); gradients not computed")
    labels = _labels(recorder, outputs, plain_labels)
    parameters = [v for v in _walk(outputs) if id(v) in recorder.parameters]
    try:
        graph = trace(*outputs, parameters=parameters, names=labels)
    except GradtraceError:
        raise
    except Exception as error:  # a value whose fields are not numbers, ...
        raise CaptureError(f"cannot read the graph of {where}: {error}") from None
    names_by_value = {id(v): n for n, v in chosen.items()}
    roots = tuple(dict.fromkeys(names_by_value[id(v)] for v in outputs))
    return Capture(
        graph=graph,
        roots=roots,
        candidates=tuple(candidates),
        backward_run=ran,
        notes=tuple(notes),
        namespace=namespace,
    )


def _visible(name: str) -> bool:
    return not name.startswith("__") and name != _HOOK


def _module_values(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The module-level values, by variable name, each once (under its first name)."""
    found: dict[str, Any] = {}
    seen: set[int] = set()
    for name, obj in namespace.items():
        if _visible(name) and is_value(obj) and id(obj) not in seen:
            seen.add(id(obj))
            found[name] = obj
    return found


def _roots(values: dict[str, Any]) -> dict[str, Any]:
    """The values (by name) that no other value in `values` was computed from."""
    below: set[int] = set()
    try:
        stack: list[Any] = [child for v in values.values() for child in v._prev]
        while stack:
            node = stack.pop()
            if id(node) not in below:
                below.add(id(node))
                stack.extend(node._prev)
    except (AttributeError, TypeError):  # a _prev holds something that is not a value
        check_values(values.values())  # trace()'s one-line TraceError, naming it
        raise
    return {name: v for name, v in values.items() if id(v) not in below}


def _made(value: Any, position: int) -> tuple[int, int]:
    """When a value was made: its creation number if it has one, else its binding position."""
    order = getattr(value, "_order", None)
    return (order, position) if type(order) is int else (-1, position)


def _walk(roots: Sequence[Any]) -> Iterator[Any]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            yield node
            stack.extend(node._prev)


def _has_gradients(roots: Sequence[Any]) -> bool:
    return any(_nonzero(v.grad) for v in _walk(roots))


def _nonzero(x: Any) -> bool:
    try:
        return bool(x != 0)
    except Exception:
        return False


def _labels(recorder: _Recorder, outputs: Sequence[Any], plain: bool) -> Callable[[Any], str]:
    """A label for each unlabelled value of the graph from the names the code gave it."""
    by_name: dict[str, list[tuple[int, int]]] = {}
    for value in _walk(outputs):
        if getattr(value, "label", ""):
            continue
        entry = recorder.name_of(value)
        if entry is None:
            continue
        rank, name = entry
        shown = name if plain else pretty_name(name)
        by_name.setdefault(shown, []).append((rank[1], id(value)))
    labels: dict[int, str] = {}
    for name, holders in by_name.items():
        if len(holders) == 1:
            labels[holders[0][1]] = name
            continue
        for k, (_, key) in enumerate(sorted(holders)):
            labels[key] = name + f"({k})".translate(_SUPERSCRIPTS)

    def label(value: Any) -> str:
        return labels.get(id(value), "")

    return label
