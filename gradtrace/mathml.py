"""LaTeX to MathML at build time, so formulas render with no script and no network.

Browsers display MathML natively (Chromium since version 109, Firefox and
Safari for much longer), so a page carries its formulas as markup and needs
no JavaScript renderer fetched from a CDN. The conversion uses
latex2mathml (from PyPI), imported only here.
"""

from __future__ import annotations

import html
import re

from gradtrace.errors import GradtraceError

__all__ = ["MathError", "to_mathml"]


_SUPERSCRIPT_PRIME = re.compile(r"<msup>(<mi>[^<]*</mi>)<mi>((?:&#x02032;)+)</mi></msup>")
# A function name (ln a, tanh² a) and what sits next to it get TeX's thin space.
_NAMES = "ln|log|exp|tanh|sinh|cosh|sin|cos|tan"
_FUNCTION = rf"(?:<mi>(?:{_NAMES})</mi>|<msup><mi>(?:{_NAMES})</mi><mn>\d+</mn></msup>)"
_OPERAND = r"<(?:mi|mn|msub|msup|mrow|mfrac)\b"
_THIN = '<mspace width="0.1667em"></mspace>'
_FUNCTION_THEN_OPERAND = re.compile(rf"({_FUNCTION})(?={_OPERAND})")
_OPERAND_THEN_FUNCTION = re.compile(rf"(</(?:mi|mn|msub|msup|mrow)>)(?={_FUNCTION})")
# A minus right after another operator (= −0.1, (−a) is a sign, not a subtraction.
# \mathrel{+=} comes out as an <mo> holding an <mrow> of operators, which MathML does not
# allow (Chromium draws "+ ="): one <mo> with their text, spaced as one relation.
_COMPOUND_OPERATOR = re.compile(r"<mo><mrow>((?:<mo>[^<]*</mo>)+)</mrow></mo>")
_SIGN = re.compile(
    r"(<mo(?: [^>]*)?>(?!&#x00029;|&#x0005D;|&#x0007D;)[^<]*</mo>)<mo>&#x02212;</mo>"
)


class MathError(GradtraceError, ValueError):
    """A formula that latex2mathml cannot convert (the message says which)."""


def to_mathml(latex: str, *, display: bool = False) -> str:
    """Convert one LaTeX formula to a `<math>` element.

    Args:
        latex: The formula without its dollar signs, e.g. `\\sigma'(s)\\,x_1`.
        display: A block formula (centred, full size) rather than one in a line of text.

    Returns:
        The MathML markup, on one line, with the LaTeX source in its `alttext`
        attribute (an attribute rather than an `<annotation>`, whose text search
        indexes and tables of contents would show next to the formula's own).

    Raises:
        MathError: The formula is not valid LaTeX, or latex2mathml is missing.

    Example:
        >>> to_mathml("x^2").startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
        True
    """
    try:
        from latex2mathml.converter import convert
    except ImportError:  # pragma: no cover - the docs extra installs it
        raise MathError(
            "rendering math needs latex2mathml: pip install 'gradtrace[docs]'"
        ) from None
    source = latex.strip()
    if not source:
        raise MathError("empty formula: put LaTeX between the dollar signs")
    try:
        markup = convert(source, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many types for bad input
        raise MathError(f"cannot render ${source}$: {error}") from None
    if "<mi>&</mi>" in markup:
        raise MathError(
            f"cannot render ${source}$: alignment (&) is not supported; "
            "write one formula per $$ block"
        )
    if "\\" in _text_of(markup):
        # latex2mathml passes unknown commands through as text (\foo → "\").
        raise MathError(f"cannot render ${source}$: unknown LaTeX command")
    # A prime as a superscript (σ′) is tiny without a math font: set it inline instead.
    markup = _SUPERSCRIPT_PRIME.sub(r"<mrow>\1<mo>\2</mo></mrow>", markup)
    markup = _FUNCTION_THEN_OPERAND.sub(rf"\1{_THIN}", markup)
    markup = _OPERAND_THEN_FUNCTION.sub(rf"\1{_THIN}", markup)
    markup = _COMPOUND_OPERATOR.sub(lambda m: f"<mo>{_text_of(m[1])}</mo>", markup)
    markup = _SIGN.sub(r'\1<mo form="prefix">&#x02212;</mo>', markup)
    head, _, rest = markup.replace("\n", "").partition(">")
    return f'{head} alttext="{html.escape(source)}">{rest}'


def _text_of(markup: str) -> str:
    """The character data of an XML fragment (the text between its tags)."""
    return "".join(re.findall(r">([^<]*)<", markup))
