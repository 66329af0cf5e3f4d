"""The XES reader: equal to pm4py on real logs, the fast reader equal to the general one on
every layout, the general one taking over what the fast one does not read, and the same
messages for bad files (``extractors/files/xes.py``)."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.files import ReadOptions, read_flat_log, xes
from models.errors import InputError
from models.schema import XES_NAMES
from tests.pm4py_reference import read_xes_with_pm4py
from tests.shared_data import shared_file

REAL_LOGS = (
    "pm4py-examples/running-example.xes",
    "pm4py-examples/receipt.xes.gz",
    "bpic2013-incidents/BPI_Challenge_2013_incidents.xes.gz",
)
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<log xmlns="http://www.xes-standard.org/">\n'
PLAIN_LOG = (
    HEAD
    + '<trace><string key="concept:name" value="c1"/>'
    + '<event><string key="concept:name" value="A"/>'
    + '<date key="time:timestamp" value="2024-01-01T10:00:00+01:00"/></event>'
    + '<event><string key="concept:name" value="B"/>'
    + '<date key="time:timestamp" value="2024-01-01T11:00:00+01:00"/></event>'
    + "</trace>\n</log>\n"
)


def write(tmp_path: Path, text: str, name: str = "log.xes", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    data = text.encode(encoding)
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def same_raw(first: xes._RawLog, second: xes._RawLog) -> None:
    assert first.rows == second.rows
    assert list(first.columns) == list(second.columns)
    assert first.types == second.types
    for name, values in second.columns.items():
        assert first.columns[name].to_list() == values.to_list(), name


def read_both(path: Path) -> tuple[xes._RawLog, xes._RawLog]:
    """The fast reader's result (which must not hand over) and the general reader's."""
    return xes._read_fast(path), xes._read_general(path)


def hands_over(path: Path) -> bool:
    try:
        xes._read_fast(path)
    except xes._NotFlat:
        return True
    return False


# -- real logs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", REAL_LOGS[:2])
def test_real_logs_are_read_by_the_fast_reader_as_the_general_one_reads_them(
    relative: str,
) -> None:
    same_raw(*read_both(shared_file(relative)))


def _pm4py_as_ours(path: Path) -> pl.DataFrame:
    theirs = pl.from_pandas(read_xes_with_pm4py(str(path)))
    canonical = {xes_name: ours for ours, xes_name in XES_NAMES.items()}
    return theirs.rename({c: canonical[c] for c in theirs.columns if c in canonical})


def _general_reader_not_used(path: Path) -> xes._RawLog:
    raise AssertionError(f"the general reader read {path}")


@pytest.mark.parametrize(
    ("relative", "events", "cases"),
    [(REAL_LOGS[0], 42, 6), (REAL_LOGS[1], 8577, 1434), (REAL_LOGS[2], 65533, 7554)],
)
def test_real_logs_equal_pm4py_read_xes(
    monkeypatch: pytest.MonkeyPatch, relative: str, events: int, cases: int
) -> None:
    path = shared_file(relative)
    monkeypatch.setattr(xes, "_read_general", _general_reader_not_used)
    frame = read_flat_log(path, ReadOptions(lifecycle="keep")).frame
    assert (frame.height, frame["case_id"].n_unique()) == (events, cases)
    assert frame["event_order"].to_list() == list(range(events))
    ours = frame.drop("event_order")
    theirs = _pm4py_as_ours(path)
    assert sorted(ours.columns) == sorted(theirs.columns)
    assert ours.height == theirs.height
    for column in ours.columns:
        mine, pm4py = ours[column], theirs[column]
        if isinstance(pm4py.dtype, pl.Datetime):
            pm4py = pm4py.dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC"))
        elif mine.dtype != pm4py.dtype:
            pm4py = pm4py.cast(mine.dtype)
        assert mine.to_list() == pm4py.to_list(), column


# -- layouts: the fast reader reads them, equal to the general reader -----------------------------


def test_pieces_of_a_few_bytes_give_the_same_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every read ends mid-tag, so pieces are cut after each </trace> as reads come in.
    monkeypatch.setattr(xes, "_READ_BYTES", 37)
    path = shared_file("pm4py-examples/running-example.xes")
    fast, general = read_both(path)
    same_raw(fast, general)
    assert fast.rows == 42


def test_values_with_references_white_space_and_other_scripts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + '<trace><string key="concept:name" value="sag &amp; co"/>'
        + '<event><string key="concept:name" '
        + 'value="Godkend &lt;x&gt; &quot;y&quot; &apos;z&apos;"/>'
        + '<string key="note" value="a\tb\r\nc\nd &#10;e&#x9;f &#229;"/>'
        + '<string key="k&amp;v" value="Ærø Ålborg 東京 €"/>'
        + '<date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event>'
        + "</trace></log>",
    )
    fast, general = read_both(path)
    same_raw(fast, general)
    assert fast.columns["activity"].to_list() == ["Godkend <x> \"y\" 'z'"]
    assert fast.columns["note"].to_list() == ["a b c d \ne\tf å"]
    assert fast.columns["k&v"].to_list() == ["Ærø Ålborg 東京 €"]
    assert fast.columns["case_id"].to_list() == ["sag & co"]


def test_sparse_repeated_and_typed_attributes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + '<trace><event><string key="concept:name" value="A"/></event>'
        + '<string key="concept:name" value="c1"/><int key="size" value="3"/></trace>'
        + "<trace>"
        + '<string key="concept:name" value="empty"/><string key="only" value="x"/></trace>'
        + '<trace><string key="concept:name" value="c2"/><float key="size" value="2.5"/>'
        + '<event><string key="concept:name" value="B"/><int key="n" value="1"/>'
        + '<int key="n" value="7"/><boolean key="ok" value="TRUE" /></event>'
        + "<event></event>"
        + '<event><string key="concept:name" value="C"/><float key="n" value="1e3"/>'
        + '<id key="ref" value="x-1"/><date key="time:timestamp" value="2024-01-01"/></event>'
        + "</trace>\n"
        + '<string key="log attribute after the traces" value="ignored"/>\n</log>',
    )
    fast, general = read_both(path)
    same_raw(fast, general)
    assert fast.rows == 4
    # Per event the case columns come first, then the event's own, as each first occurs.
    assert list(fast.columns) == [
        "case_id", "case:size", "activity", "n", "ok", "ref", "timestamp",
    ]  # fmt: skip
    assert fast.types["n"] == {"int", "float"}
    assert fast.columns["n"].to_list() == [None, "7", None, "1e3"]
    assert fast.columns["case:size"].to_list() == ["3", "2.5", "2.5", "2.5"]
    frame = read_flat_log(path, ReadOptions()).frame
    assert frame["n"].to_list() == [None, 7.0, None, 1000.0]
    assert frame["ok"].to_list() == [None, True, None, None]


def test_long_indents_and_crlf_line_ends(tmp_path: Path) -> None:
    # White space between tags is checked 8 bytes at a time: indents longer than that too.
    indented = PLAIN_LOG.replace("<event>", "\r\n\r\n" + " " * 37 + "\t" * 9 + "<event>")
    fast, general = read_both(write(tmp_path, indented))
    same_raw(fast, general)
    assert fast.rows == 2


def test_text_after_a_long_indent_is_left_to_the_general_reader(tmp_path: Path) -> None:
    path = write(tmp_path, PLAIN_LOG.replace("<event>", " " * 21 + "x<event>", 1))
    assert hands_over(path)
    assert read_flat_log(path, ReadOptions()).frame.height == 2


@pytest.mark.parametrize("name", ["log.xes", "log.xes.gz"])
def test_plain_and_gzipped(tmp_path: Path, name: str) -> None:
    fast, general = read_both(write(tmp_path, PLAIN_LOG, name))
    same_raw(fast, general)
    assert fast.columns["activity"].to_list() == ["A", "B"]


# -- layouts the general reader takes over ---------------------------------------------------------

HANDED_OVER = {
    "a DTD with an entity": (
        '<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY who "Kim">]>\n<log><trace>'
        '<string key="concept:name" value="c1"/><event><string key="concept:name" value="A"/>'
        '<string key="org:resource" value="&who;"/></event></trace></log>'
    ),
    "a comment between traces": PLAIN_LOG.replace("</trace>", "</trace><!-- <trace> -->"),
    "a processing instruction": PLAIN_LOG.replace("<event>", "<?pi x?><event>", 1),
    "nested attributes": PLAIN_LOG.replace(
        "</event>", '<list key="items"><string key="i" value="1"/></list></event>', 1
    ),
    "single quotes": PLAIN_LOG.replace('value="A"', "value='A'"),
    "a prefixed tag": PLAIN_LOG.replace(
        '<log xmlns="http://www.xes-standard.org/">', '<log xmlns:x="http://www.xes-standard.org/">'
    )
    .replace("<event>", "<x:event>", 1)
    .replace("</event>", "</x:event>", 1),
    "a > in a value": PLAIN_LOG.replace('value="A"', 'value="A>B"'),
    "an event attribute named like a case one": PLAIN_LOG.replace(
        'value="A"/>', 'value="A"/><string key="case:x" value="1"/>', 1
    ),
    "two keys for one column": PLAIN_LOG.replace(
        'value="A"/>', 'value="A"/><string key="activity" value="Z"/>', 1
    ),
    "an event outside a trace": PLAIN_LOG.replace(
        "<trace>", '<event><string key="concept:name" value="X"/></event><trace>', 1
    ),
    "an event in an event": PLAIN_LOG.replace(
        "</event>", '<event><string key="concept:name" value="Y"/></event></event>', 1
    ),
    "attributes on a trace tag": PLAIN_LOG.replace("<trace>", '<trace id="1">', 1),
    "no trace at all": HEAD + "</log>",
    "text between tags": PLAIN_LOG.replace("<event>", "text<event>", 1),
}


@pytest.mark.parametrize("layout", sorted(HANDED_OVER))
def test_layouts_beyond_the_fast_reader_are_read_by_the_general_one(
    tmp_path: Path, layout: str
) -> None:
    path = write(tmp_path, HANDED_OVER[layout])
    assert hands_over(path)
    read = lambda: read_flat_log(path, ReadOptions(lifecycle="keep")).frame  # noqa: E731
    if layout == "no trace at all":
        with pytest.raises(InputError, match="holds no events"):
            read()
        return
    general = xes._read_general(path)
    frame = read()
    assert frame.height == general.rows
    assert [c for c in frame.columns if c != "event_order"][: len(general.columns)] == list(
        general.columns
    )


def test_an_internal_entity_is_expanded_as_before(tmp_path: Path) -> None:
    path = write(tmp_path, HANDED_OVER["a DTD with an entity"])
    assert read_flat_log(path, ReadOptions()).frame["resource"].to_list() == ["Kim"]


def test_latin_1_file_is_read_by_the_general_reader(tmp_path: Path) -> None:
    text = PLAIN_LOG.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("c1", "sag æøå")
    path = write(tmp_path, text, encoding="latin-1")
    assert hands_over(path)
    assert read_flat_log(path, ReadOptions()).frame["case_id"].to_list() == ["sag æøå"] * 2


# -- bad files: the general reader's message ------------------------------------------------------

BROKEN = {
    "truncated": PLAIN_LOG[: PLAIN_LOG.index("</trace>")],
    "mismatched end tag": PLAIN_LOG.replace("</event>", "</evnt>", 1),
    "undefined entity": PLAIN_LOG.replace('value="A"', 'value="&nbsp;"'),
    "content after the root": PLAIN_LOG + "<log/>",
    "a second attribute of the same name": PLAIN_LOG.replace(
        'key="concept:name" value="A"', 'key="concept:name" key="x" value="A"'
    ),
    "not XML": "case,activity,timestamp\nc1,A,2024-01-01\n",
}


@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_bad_files_get_the_general_readers_message(tmp_path: Path, fault: str) -> None:
    path = write(tmp_path, BROKEN[fault])
    with pytest.raises(InputError) as general:
        xes._read_general(path)
    with pytest.raises(InputError) as read:
        read_flat_log(path, ReadOptions())
    assert str(read.value) == str(general.value)
    assert str(read.value).startswith(f"{path} is not a well-formed XES file (")


def test_invalid_utf8_gets_the_general_readers_message(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_bytes(PLAIN_LOG.encode().replace(b'value="A"', b'value="\xff\xfe"'))
    with pytest.raises(InputError) as general:
        xes._read_general(path)
    with pytest.raises(InputError) as read:
        read_flat_log(path, ReadOptions())
    assert str(read.value) == str(general.value)


def test_deep_nesting_before_any_trace_is_left_to_the_general_reader(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "<a>" * 5000 + "</a>" * 5000 + "</log>")
    assert hands_over(path)
    with pytest.raises(InputError) as general:
        xes._read_general(path)
    with pytest.raises(InputError) as read:
        read_flat_log(path, ReadOptions())
    assert str(read.value) == str(general.value)


def test_the_row_limit_applies_to_the_fast_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_MAX_ROWS", "1")
    path = write(tmp_path, PLAIN_LOG)
    with pytest.raises(InputError) as refused:
        xes._read_fast(path)
    assert str(refused.value).startswith(f"{path}: it holds more than 1 events, the limit.")


# -- generated layouts ----------------------------------------------------------------------------

TYPES = st.sampled_from(["string", "date", "int", "float", "boolean", "id"])
KEYS = st.sampled_from(["concept:name", "org:resource", "time:timestamp", "a", "b", "c&d"])
VALUES = st.lists(
    st.sampled_from([*"ab 1æ東\t\n", "\r\n", "&amp;", "&lt;", "&#10;", "&quot;"]), max_size=6
).map("".join)
ATTRIBUTE = st.builds(
    lambda tag, key, value, space: (
        f'<{tag} key="{key.replace("&", "&amp;")}" value="{value}"' + (" />" if space else "/>")
    ),
    TYPES,
    KEYS,
    VALUES,
    st.booleans(),
)
EVENT = st.lists(ATTRIBUTE, max_size=4).map(lambda a: "<event>" + "".join(a) + "</event>")
TRACE = st.tuples(st.lists(ATTRIBUTE, max_size=3), st.lists(EVENT, max_size=4)).map(
    lambda t: "<trace>\n" + "".join(t[0][:1] + t[1] + t[0][1:]) + "</trace>\n"
)
LOGS = st.lists(TRACE, min_size=1, max_size=6).map(lambda traces: HEAD + "".join(traces) + "</log>")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=LOGS, read_bytes=st.sampled_from([29, 101, 1 << 20]))
def test_generated_logs_read_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, read_bytes: int
) -> None:
    monkeypatch.setattr(xes, "_READ_BYTES", read_bytes)
    path = write(tmp_path, text)
    general = xes._read_general(path)
    try:
        fast = xes._read_fast(path)
    except xes._NotFlat:
        # Only two keys for one column ('concept:name' and 'a' never collide) or a case:
        # column may send a generated log to the general reader; neither is generated.
        pytest.fail("a generated flat log was handed over")
    same_raw(fast, general)
