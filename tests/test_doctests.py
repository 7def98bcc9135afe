"""Docstring examples are part of the suite: pytest runs them as doctests (pyproject.toml)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gradtrace


def test_pytest_collects_the_package_doctests(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.getoption("doctestmodules")
    assert "gradtrace" in pytestconfig.getini("testpaths")


def test_no_docstring_example_is_skipped_and_there_are_some() -> None:
    finder = doctest.DocTestFinder()
    examples = 0
    for info in pkgutil.walk_packages(gradtrace.__path__, "gradtrace."):
        if info.name == "gradtrace.__main__":
            continue
        module = importlib.import_module(info.name)
        for test in finder.find(module):
            examples += len(test.examples)
            for example in test.examples:
                assert not example.options.get(doctest.SKIP), f"{test.name}: {example.source}"
    assert examples >= 30
