"""The built-in LogFormats parsed ahead of time are what the grammar gives today."""

from __future__ import annotations

from lwsyslog.formats import directives, items_build
from lwsyslog.formats.logformat import BUILTIN_FORMATS


def test_every_stored_format_is_what_the_grammar_gives_now() -> None:
    stored = directives.stored_items()
    assert stored, "the table is missing or unreadable"
    for fmt, items in stored.items():
        assert list(items) == directives.parse_with_grammar(fmt), fmt


def test_the_table_holds_every_built_in_format() -> None:
    missing = set(BUILTIN_FORMATS.values()) - directives.stored_items().keys()
    assert not missing, f"run python -m lwsyslog.formats.items_build ({sorted(missing)})"


def test_the_table_as_written_now_is_the_one_shipped() -> None:
    shipped = {
        fmt: directives.table_entry(list(items)) for fmt, items in directives.stored_items().items()
    }
    assert shipped == items_build.current()


def test_a_format_of_ones_own_is_parsed_by_the_grammar() -> None:
    fmt = '%a "%{X-Request-Id}i" %>s'
    assert fmt not in directives.stored_items()
    assert directives.parse_logformat(fmt) == directives.parse_with_grammar(fmt)
    assert [getattr(item, "letter", item) for item in directives.parse_logformat(fmt)] == [
        "a",
        ' "',
        "i",
        '" ',
        "s",
    ]
