"""CSV cells a spreadsheet would run as formulas are escaped, numbers stay numbers, and an
exported log imported again is the same log (``models/spreadsheet.py``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.files import ReadOptions
from extractors.pseudonym import KEY_ENV
from models.spreadsheet import escape_formula, escape_formula_cells, unescape_formula_cells
from models.store import LogStore
from services.imports import export_log, import_log
from services.ingestion import TimeSource, ingest

# (cell as stored, cell as written): the rule, one case per line.
ESCAPED = [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://evil.example","Klik")', '\'=HYPERLINK("http://evil.example","Klik")'),
    ("+45 33 66 33 66", "'+45 33 66 33 66"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("-2+3", "'-2+3"),
    ("-", "'-"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("'=1+1", "''=1+1"),  # one more apostrophe, so reading back removes exactly one
    ("''@x", "'''@x"),
    ("-100", "-100"),  # plain numbers are read as numbers, not formulas
    ("+4.5", "+4.5"),
    ("-1,5", "-1,5"),
    ("-1e5", "-1e5"),
    ("'-5", "'-5"),
    ("'abc", "'abc"),
    ("a=b", "a=b"),
    ("Registrer", "Registrer"),
    ("", ""),
]


def test_text_cells_are_escaped_by_the_rule() -> None:
    frame = pl.DataFrame({"text": [stored for stored, _ in ESCAPED] + [None]})
    written = escape_formula_cells(frame)["text"].to_list()
    assert written == [expected for _, expected in ESCAPED] + [None]
    assert [escape_formula(stored) for stored, _ in ESCAPED] == written[:-1]
    back = unescape_formula_cells(escape_formula_cells(frame))
    assert back.equals(frame)


def test_numbers_and_times_are_left_as_they_are() -> None:
    frame = pl.DataFrame(
        {
            "amount": [-3, 4],
            "ratio": [-0.5, 1.25],
            "when": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * 2,
            "activity": pl.Series(["=cmd", "Luk"], dtype=pl.Categorical),
        }
    )
    written = escape_formula_cells(frame)
    assert written.drop("activity").equals(frame.drop("activity"))
    assert written["activity"].to_list() == ["'=cmd", "Luk"]
    assert written.write_csv() == (
        "amount,ratio,when,activity\n"
        "-3,-0.5,2024-01-01T00:00:00.000000+0000,'=cmd\n"
        "4,1.25,2024-01-01T00:00:00.000000+0000,Luk\n"
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="'=+-@\t\r0123456789.,eE xa"))))
def test_reading_back_undoes_escaping_and_no_formula_is_left(cells: list[str | None]) -> None:
    frame = pl.DataFrame({"text": cells}, schema={"text": pl.String})
    written = escape_formula_cells(frame)
    assert unescape_formula_cells(written).equals(frame)
    for cell in written["text"].drop_nulls():
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or _is_number(cell)
    assert [escape_formula(c) if c is not None else None for c in cells] == written[
        "text"
    ].to_list()


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return not any(word in text.lower() for word in ("inf", "nan"))


HOSTILE_LOG = pl.DataFrame(
    {
        "case_id": ["+45 1234 5678", "+45 1234 5678", "c2"],
        "activity": ['=HYPERLINK("http://evil.example","Klik")', "Luk", "@SUM(A1)"],
        "timestamp": [dt.datetime(2024, 1, 1, 8, m, tzinfo=dt.UTC) for m in (0, 5, 10)],
        "resource": ["-2+3", "'=x", "-100"],
        "amount": [-3, 4, -1],
    }
)


@pytest.fixture
def store(tmp_path: Path) -> LogStore:
    source = tmp_path / "hostile.parquet"
    HOSTILE_LOG.write_parquet(source)
    store = LogStore(tmp_path / "data")
    # A log of formula-like text, not of people: imported in clear to see every cell escaped.
    import_log(store, source, name="hostile", options=ReadOptions(pseudonymise=False))
    return store


def test_kitflow_export_csv_escapes_text_and_keeps_numbers(store: LogStore, tmp_path: Path) -> None:
    out = export_log(store, "hostile", file_format="csv", out=tmp_path / "out.csv")
    assert out.read_text("utf-8").splitlines() == [
        "case_id,activity,timestamp,resource,amount",
        '\'+45 1234 5678,"\'=HYPERLINK(""http://evil.example"",""Klik"")",'
        "2024-01-01T08:00:00.000000+00:00,'-2+3,-3",
        "'+45 1234 5678,Luk,2024-01-01T08:05:00.000000+00:00,''=x,4",
        "c2,'@SUM(A1),2024-01-01T08:10:00.000000+00:00,-100,-1",
    ]


def test_an_exported_csv_imports_as_the_same_log(store: LogStore, tmp_path: Path) -> None:
    out = export_log(store, "hostile", file_format="csv", out=tmp_path / "out.csv")
    import_log(store, out, name="again", options=ReadOptions(pseudonymise=False))
    first = (
        store.read("hostile")
        .drop("event_order")
        .with_columns(pl.col("activity").cast(pl.String), pl.col("amount").cast(pl.String))
    )
    second = (
        store.read("again").drop("event_order").with_columns(pl.col("activity").cast(pl.String))
    )
    assert first.columns == second.columns
    assert first.equals(second)
    assert second["resource"].to_list() == ["-2+3", "'=x", "-100"]


def test_a_csv_from_elsewhere_reads_the_spreadsheet_text_mark_as_text(
    store: LogStore, tmp_path: Path
) -> None:
    source = tmp_path / "excel.csv"
    source.write_text(
        "case_id,activity,timestamp\n"
        "c1,'=Registrer,2024-01-01T08:00:00Z\n"
        "c1,'Luk,2024-01-01T09:00:00Z\n"
    )
    import_log(store, source, name="excel", options=ReadOptions())
    assert store.read("excel")["activity"].cast(pl.String).to_list() == ["=Registrer", "'Luk"]


def test_quarantine_files_escape_text_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The export's file name is the first cell of its quarantined rows.
    monkeypatch.setenv(KEY_ENV, "formula-test-key-0123456789")
    export = tmp_path / "=1+1.csv"
    export.write_text("Dato;Medarbejder;Serviceområde;Aktivitet;Timer\n2024-01-02;ab;S;A;-1\n")
    report = ingest(LogStore(tmp_path / "data"), TimeSource(), exports=[export])
    [quarantine] = report.quarantine_files
    assert quarantine.read_text("utf-8").splitlines()[1].startswith("'=1+1.csv,")
