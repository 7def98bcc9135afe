"""The options figures and tables take, checked in one place for every surface.

`gradtrace export` (its flags), the docs' ```` ```gradtrace ```` blocks (their
`key=value` options) and the Python API (keyword arguments) all go through the
functions here, so an option means the same thing and fails with the same one-line
message wherever it is given:

- `check(name, value)`: a value from Python, checked and normalised;
- `parse(name, text)`: the same from text (a flag or a block option).

| option | values | meaning |
|---|---|---|
| `precision` | 0 to 15 | digits shown: decimals (`fixed`, `scientific`) or significant figures |
| `number` | `fixed`, `significant`, `scientific` | how numbers are written (`format_number`) |
| `show_grad` | true, false | draw the gradients |
| `rankdir` | `LR`, `TB`, `RL`, `BT` | the direction of the flow |
| `theme` | `light`, `print`, `dark`, a `.toml` file | the colours (see `load_theme`) |
| `collapse` | scope names | draw each of these scopes as one box |
| `title` | text | a title drawn above the figure |
| `highlight` | a value's name | draw that value and every path from it to the output in bold |
| `wrap` | 0, 1, 2, ... | operations per row of a long figure (0: never wrap) |
| `dpi` | 10 to 2400 | resolution of a PNG (96 by default) |
| `scale` | above 0, at most 25 | the same as a factor: `scale=2` is 192 dpi |
| `max_nodes`, `max_edges` | 1, 2, ... | refuse drawings bigger than this |
| `timeout` | seconds above 0 | stop Graphviz after this long |
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradtrace.errors import GradtraceError, NumberError

if TYPE_CHECKING:
    from gradtrace.export.dot import Theme

__all__ = [
    "NUMBER_STYLES",
    "OPTIONS",
    "RANKDIRS",
    "Option",
    "OptionError",
    "check",
    "check_precision",
    "load_theme",
    "parse",
]

#: The directions a figure can flow in.
RANKDIRS = ("LR", "TB", "RL", "BT")
#: The ways `format_number` can write a number.
NUMBER_STYLES = ("fixed", "significant", "scientific")
#: The most digits any number style shows (beyond 17 a float has no more to show).
MAX_PRECISION = 15


class OptionError(GradtraceError, ValueError):
    """An option with a value it cannot take; the message names the option and the fix."""


@dataclass(frozen=True)
class Option:
    """One option: its name, what it takes, and how text becomes a value.

    Attributes:
        name: The keyword argument (`"precision"`); the flag is `--precision`.
        takes: What it takes, for messages and help (`"a whole number from 0 to 15"`).
        check: Checks a Python value; returns it normalised or raises `OptionError`.
        parse: Turns text (a flag's or a block option's value) into a Python value.
    """

    name: str
    takes: str
    check: Callable[[Any], Any]
    parse: Callable[[str], Any]


def _fail(name: str, value: object, takes: str) -> OptionError:
    return OptionError(f"{name} must be {takes}, got {value!r}")


def _whole(low: int, high: int | None) -> tuple[str, Callable[[str, Any], int]]:
    takes = (
        f"a whole number from {low} to {high}" if high is not None else f"a whole number ≥ {low}"
    )

    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise _fail(name, value, takes)
        if int(value) < low or (high is not None and int(value) > high):
            raise _fail(name, value, takes)
        return int(value)

    return takes, check


def _positive(high: float | None) -> tuple[str, Callable[[str, Any], float]]:
    takes = f"a number above 0 and at most {high:g}" if high else "a number of seconds above 0"

    def check(name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, Real):
            raise _fail(name, value, takes)
        number = float(value)
        if not (number > 0 and math.isfinite(number)) or (high is not None and number > high):
            raise _fail(name, value, takes)
        return number

    return takes, check


def _choice(choices: tuple[str, ...], *, upper: bool = False) -> tuple[str, Callable[..., str]]:
    takes = "one of " + ", ".join(choices)

    def check(name: str, value: Any) -> str:
        text = value.upper() if upper and isinstance(value, str) else value
        if text not in choices:
            raise _fail(name, value, takes)
        return str(text)

    return takes, check


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, value, "true or false")
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(name, value, "text")
    return value


def _names(name: str, value: Any) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else value
    try:
        out = tuple(names)
    except TypeError:
        raise _fail(name, value, "scope names") from None
    if not all(isinstance(n, str) for n in out):
        raise _fail(name, value, "scope names (text)")
    return out


def _theme(name: str, value: Any) -> Any:
    from gradtrace.export.dot import THEMES, Theme

    if isinstance(value, Theme):
        return value
    if isinstance(value, str) and value in THEMES:
        return value
    if isinstance(value, (str, Path)) and str(value).endswith(".toml"):
        return load_theme(value)
    raise _fail(name, value, f"one of {', '.join(THEMES)}, a Theme or a .toml file")


def _optional(check: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    def optional(name: str, value: Any) -> Any:
        return None if value is None else check(name, value)

    return optional


def _parse_int(text: str) -> Any:
    try:
        return int(text.strip())
    except ValueError:
        return text


def _parse_float(text: str) -> Any:
    try:
        return float(text.strip())
    except ValueError:
        return text


_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


def _parse_bool(text: str) -> Any:
    lowered = text.strip().lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else text


def _parse_names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _same(text: str) -> str:
    return text


def _option(
    name: str, spec: tuple[str, Callable[[str, Any], Any]], parse: Callable[[str], Any]
) -> Option:
    takes, check = spec

    def checked(value: Any) -> Any:
        return check(name, value)

    return Option(name, takes, checked, parse)


_PRECISION = _whole(0, MAX_PRECISION)
_NUMBER = _choice(NUMBER_STYLES)
_RANKDIR = _choice(RANKDIRS, upper=True)
_COUNT = _whole(1, None)
_WRAP = _whole(0, None)

#: Every option, by keyword.
OPTIONS: dict[str, Option] = {
    o.name: o
    for o in (
        _option("precision", _PRECISION, _parse_int),
        _option("number", _NUMBER, _same),
        _option("show_grad", ("true or false", _boolean), _parse_bool),
        _option("rankdir", _RANKDIR, _same),
        _option("theme", ("light, print, dark or a .toml file", _theme), _same),
        _option("collapse", ("scope names", _names), _parse_names),
        _option("title", ("text", _text), _same),
        _option("highlight", ("a value's name", _text), _same),
        _option("wrap", _WRAP, _parse_int),
        _option("dpi", _positive(2400.0), _parse_float),
        _option("scale", _positive(25.0), _parse_float),
        _option("max_nodes", (_COUNT[0], _optional(_COUNT[1])), _parse_int),
        _option("max_edges", (_COUNT[0], _optional(_COUNT[1])), _parse_int),
        _option("timeout", (_positive(None)[0], _optional(_positive(None)[1])), _parse_float),
    )
}


def check(name: str, value: Any) -> Any:
    """`value` checked and normalised for the option `name`.

    Example:
        >>> check("rankdir", "tb"), check("collapse", "σ")
        ('TB', ('σ',))
        >>> check("precision", 99)
        Traceback (most recent call last):
        ...
        gradtrace.options.OptionError: precision must be a whole number from 0 to 15, got 99
    """
    return OPTIONS[name].check(value)


def parse(name: str, text: str) -> Any:
    """The option `name` given as text (`"4"`, `"false"`, `"σ,neuron"`), checked.

    Raises:
        OptionError: The text is not a value the option takes.
    """
    return check(name, OPTIONS[name].parse(text))


def check_precision(precision: object) -> int:
    """`precision` itself if it is a number of digits gradtrace can show (0 to 15).

    Raises:
        NumberError: For anything else (`-1`, `2.5`, `"4"`, `True`).
    """
    try:
        return int(check("precision", precision))
    except OptionError as error:
        raise NumberError(f"{error}; use e.g. precision=4") from None


# -- themes from a file ----------------------------------------------------------------------

_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})")
#: Colour names a theme file may use besides #rrggbb and #rrggbbaa (every format can draw them).
COLOUR_NAMES = ("white", "black", "transparent")


def load_theme(path: str | Path) -> Theme:
    """A colour theme from a small TOML file, for a lecturer's house style.

    The file sets any of `Theme`'s colours, as `#rrggbb`, `#rrggbbaa`, `white`,
    `black` or `transparent`; the rest come from the built-in theme named by
    `base` (default `"light"`)::

        base = "print"
        value_fill = "#fff4d6"
        op_fill = "#1f77b4"

    Raises:
        OptionError: The file is missing or not TOML, or a key or a colour is not
            one a theme has (the message names it).
    """
    from gradtrace.export.dot import THEMES, Theme

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport
        import tomli as tomllib

    where = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise OptionError(
            f"theme file {where}: cannot read it ({error.strerror or error})"
        ) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise OptionError(f"theme file {where} is not TOML: {error}") from None
    base = data.pop("base", "light")
    if base not in THEMES:
        raise OptionError(f"theme file {where}: base = {base!r} is not one of {', '.join(THEMES)}")
    known = [f.name for f in fields(Theme)]
    for key, colour in data.items():
        if key not in known:
            raise OptionError(
                f"theme file {where}: unknown key {key!r}; the keys are base, {', '.join(known)}"
            )
        if not isinstance(colour, str) or not (_COLOUR.fullmatch(colour) or colour in COLOUR_NAMES):
            raise OptionError(
                f"theme file {where}: {key} = {colour!r} is not a colour; write #rrggbb, "
                f"#rrggbbaa or one of {', '.join(COLOUR_NAMES)}"
            )
    return replace(THEMES[base], **data)
