"""Bad input gets a clear error, and unusable rows are quarantined with their reason."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from extractors.files import ColumnMapping, ReadOptions
from models.errors import InputError, LogNotFoundError
from models.store import LogStore
from services.imports import import_log


@pytest.fixture
def store(tmp_path: Path) -> LogStore:
    return LogStore(tmp_path / "data")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "case,activity,timestamp\nA,register,2024-03-01 09:00\nA,close,2024-03-01 10:30\n"


def test_unknown_column_lists_the_columns_that_exist(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", GOOD)
    options = ReadOptions(columns=ColumnMapping(case="case", activity="action"))
    with pytest.raises(InputError) as caught:
        import_log(store, path, name="bad", options=options)
    assert str(caught.value) == (
        "column 'action' (given with --activity) is not in log.csv. "
        "Its columns are: 'case', 'activity', 'timestamp'."
    )


def test_unrecognised_columns_name_the_flags_to_use(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", "id,step,when\n1,a,2024-01-01\n")
    with pytest.raises(
        InputError,
        match=r"no column recognised as case_id, activity, timestamp; "
        r"name it with --case, --activity, --timestamp",
    ):
        import_log(store, path, name="bad", options=ReadOptions())


def test_unparseable_timestamps_show_rows_and_suggest_the_flag(
    store: LogStore, tmp_path: Path
) -> None:
    rows = "".join(f"C{i},act,{i + 13}/03/2024 09:00\n" for i in range(8))
    path = write(tmp_path, "log.csv", "case,activity,timestamp\n" + rows)
    with pytest.raises(InputError) as caught:
        import_log(store, path, name="bad", options=ReadOptions())
    message = str(caught.value)
    assert message.startswith("8 value(s) in timestamp column 'timestamp' could not be parsed")
    assert "  row 1: '13/03/2024 09:00'\n  row 2: '14/03/2024 09:00'" in message
    assert "row 6:" not in message  # only the first five are shown
    assert "--timestamp-format" in message and "--dayfirst" in message


def test_dayfirst_reads_what_failed_before(store: LogStore, tmp_path: Path) -> None:
    rows = "".join(f"C{i},act,{i + 13}/03/2024 09:00\n" for i in range(8))
    path = write(tmp_path, "log.csv", "case,activity,timestamp\n" + rows)
    report = import_log(store, path, name="ok", options=ReadOptions(dayfirst=True))
    assert report.entry.events == 8
    assert sorted(store.read("ok")["timestamp"].dt.day().to_list()) == list(range(13, 21))


def test_month_first_reading_is_pointed_out(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", "case,activity,timestamp\nA,a,03/04/2024 10:00\n")
    report = import_log(store, path, name="mf", options=ReadOptions())
    assert str(store.read("mf")["timestamp"][0]) == "2024-03-04 10:00:00+00:00"
    assert report.notes == (
        "dates in 'timestamp' were read month first (03/04/2024 = 4 March); "
        "if they are day first, as Danish dates are, import again with --dayfirst.",
    )


def test_explicit_format_and_time_zone(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", "case,activity,timestamp\nA,a,2024.07.01-12.00\n")
    options = ReadOptions(timestamp_format="%Y.%m.%d-%H.%M", timezone="Europe/Copenhagen")
    import_log(store, path, name="tz", options=options)
    # 12:00 Copenhagen summer time is 10:00 UTC.
    assert str(store.read("tz")["timestamp"][0]) == "2024-07-01 10:00:00+00:00"


def test_dst_gap_rows_are_quarantined_not_dropped(store: LogStore, tmp_path: Path) -> None:
    # 02:30 on 31 March 2024 never happened in Copenhagen: clocks jumped from 02:00 to 03:00.
    text = (
        "case,activity,timestamp\n"
        "A,a,2024-03-31 01:30\nA,b,2024-03-31 02:30\nA,c,2024-03-31 03:30\n"
    )
    path = write(tmp_path, "log.csv", text)
    report = import_log(store, path, name="dst", options=ReadOptions(timezone="Europe/Copenhagen"))
    assert (report.entry.events, report.quarantined) == (2, 1)
    assert report.quarantine_path is not None
    quarantine = pl.read_csv(report.quarantine_path)
    assert quarantine["row_number"].to_list() == [2]
    assert "does not exist in Europe/Copenhagen" in quarantine["reason"][0]


def test_empty_file(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "empty.csv", "")
    with pytest.raises(InputError, match=r"empty.csv is empty: there is nothing to import"):
        import_log(store, path, name="e", options=ReadOptions())


def test_header_without_rows(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "head.csv", "case,activity,timestamp\n")
    with pytest.raises(InputError, match=r"has a header but no rows"):
        import_log(store, path, name="e", options=ReadOptions())


def test_wrong_format_xes_that_is_not_xml(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "log.xes", GOOD)
    with pytest.raises(InputError, match=r"log.xes is not a well-formed XES file"):
        import_log(store, path, name="e", options=ReadOptions())


def test_unknown_file_ending(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "log.txt", GOOD)
    with pytest.raises(InputError, match=r"cannot tell the format of log.txt.*--format"):
        import_log(store, path, name="e", options=ReadOptions())


def test_missing_case_and_timestamp_are_quarantined_with_reasons(
    store: LogStore, tmp_path: Path
) -> None:
    text = (
        "case,activity,timestamp\n"
        "A,register,2024-03-01 09:00\n"
        ",register,2024-03-01 09:05\n"
        "B,register,?\n"
        "B,,2024-03-01 09:10\n"
        "B,close,2024-03-01 09:20\n"
    )
    path = write(tmp_path, "log.csv", text)
    report = import_log(store, path, name="q", options=ReadOptions(null_values=("?",)))
    assert (report.entry.events, report.entry.cases, report.quarantined) == (2, 2, 3)
    assert report.quarantine_path == store.data_dir / "03_primary" / "q" / "quarantine.csv"
    quarantine = pl.read_csv(report.quarantine_path)
    assert quarantine.select("row_number", "reason").rows() == [
        (2, "missing case id"),
        (3, "missing timestamp"),
        (4, "missing activity"),
    ]


def test_nothing_usable_is_an_error_that_names_the_reasons(store: LogStore, tmp_path: Path) -> None:
    path = write(
        tmp_path, "codes.csv", "case,activity,timestamp\nA,10,2024-01-01\nA,20,2024-01-02\n"
    )
    with pytest.raises(InputError) as caught:
        import_log(store, path, name="codes", options=ReadOptions())
    assert "2 rows: activity has no letters" in str(caught.value)
    assert "--keep-numeric-activities" in str(caught.value)
    report = import_log(
        store, path, name="codes", options=ReadOptions(keep_numeric_activities=True)
    )
    assert report.entry.events == 2


def test_name_taken_unless_replace(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", GOOD)
    import_log(store, path, name="one", options=ReadOptions())
    with pytest.raises(InputError, match=r"a log named 'one' is stored already.*--replace"):
        import_log(store, path, name="one", options=ReadOptions())
    report = import_log(store, path, name="one", options=ReadOptions(), replace=True)
    assert report.entry.events == 2


def test_bad_log_name(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", GOOD)
    with pytest.raises(InputError, match=r"the log name '../x' cannot be used"):
        import_log(store, path, name="../x", options=ReadOptions())


def test_unknown_log_lists_stored_names(store: LogStore, tmp_path: Path) -> None:
    import_log(store, write(tmp_path, "log.csv", GOOD), name="known", options=ReadOptions())
    with pytest.raises(LogNotFoundError, match=r"no stored log is named 'nope' \(stored: known\)"):
        store.entry("nope")


def test_unknown_time_zone(store: LogStore, tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", GOOD)
    with pytest.raises(InputError, match=r"unknown time zone 'Mars/Olympus'"):
        import_log(store, path, name="tz", options=ReadOptions(timezone="Mars/Olympus"))
