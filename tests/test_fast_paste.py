"""The input parser takes a bracketed paste whole and otherwise reads exactly what Textual's own
parser reads: the same events for keys, escape sequences and pastes, however the terminal's
bytes are split into reads (a paste marker may be cut in two)."""

from __future__ import annotations

import pytest
from textual import events
from textual._xterm_parser import XTermParser

from rtchat.ui.fast_paste import FastPasteParser, install

INPUTS = {
    "keys only": "hello\x1b[A\x1b[Bq\r",
    "a paste between keys": "ab\x1b[200~pasted\nline two\twith tab\x1b[201~cd\r",
    "two pastes and arrows": "\x1b[200~one\x1b[201~\x1b[D\x1b[200~two\x00 nul\x1b[201~x",
    "a paste holding near end markers": "\x1b[200~a[20b 1c[201~ ~\x1b[201~z",
    "an empty paste": "\x1b[200~\x1b[201~k",
}


def events_of(parser_class, data: str, chunk: int) -> list[tuple]:
    parser = parser_class()
    found = []
    for start in range(0, len(data), chunk):
        found += parser.feed(data[start : start + chunk])
    found += parser.feed("")
    return [(type(e).__name__, getattr(e, "key", None), getattr(e, "text", None)) for e in found]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 4096])
@pytest.mark.parametrize("name", list(INPUTS))
def test_the_same_events_as_textuals_parser_however_the_reads_are_cut(name, chunk):
    data = INPUTS[name]
    assert events_of(FastPasteParser, data, chunk) == events_of(XTermParser, data, chunk)


def test_a_5_mb_paste_in_terminal_sized_reads_is_one_paste_event_then_the_keys():
    pasted = "lorem ipsum dolor sit amet\n" * 200_000
    found = events_of(FastPasteParser, f"a\x1b[200~{pasted}\x1b[201~bc", 4096)
    assert found == [("Key", "a", None), ("Paste", None, pasted), ("Key", "b", None), ("Key", "c", None)]


def test_an_end_marker_cut_anywhere_by_the_reads_still_ends_the_paste():
    data = "\x1b[200~one [201 two\x1b[201~xy"
    expected = [("Paste", None, "one [201 two"), ("Key", "x", None), ("Key", "y", None)]
    for cut in range(len("\x1b[200~"), len(data)):
        parser = FastPasteParser()
        found = [*parser.feed(data[:cut]), *parser.feed(data[cut:]), *parser.feed("")]
        assert [(type(e).__name__, getattr(e, "key", None), getattr(e, "text", None)) for e in found] == expected, cut


def test_an_escape_sequence_inside_a_paste_is_inert_text_not_keys():
    found = events_of(FastPasteParser, "\x1b[200~a\x1b]0;PWNED\x07\x1b[2Jb\x1b[201~z", 4096)
    assert found == [("Paste", None, "a␛]0;PWNED\x07␛[2Jb"), ("Key", "z", None)]


def test_the_terminal_drivers_create_the_fast_parser():
    from textual.drivers import linux_driver, linux_inline_driver

    install()
    assert linux_driver.XTermParser is FastPasteParser and linux_inline_driver.XTermParser is FastPasteParser
    assert issubclass(FastPasteParser, XTermParser) and isinstance(events.Paste("x"), events.Paste)
