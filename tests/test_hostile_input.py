"""Hostile input files are refused fast, with little memory and a message that says what was too
big, where, the limit and how to raise it (``extractors/limits.py``).

The bombs are built here: a zip or gzip of 200 MB of one repeated row (about 200 KB packed), a
zip whose headers understate its sizes, JSON nested 100,000 deep, an OCEL SQLite file whose rows
compute a 10 MB value each, and one whose type map sends 2,000 types to one table. Memory is
measured in a fresh process (peak RSS, a generous bound: a refusal must not unpack the bomb);
time is not asserted.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from extractors.azure_devops import read_export_batches
from extractors.base import Cursor
from extractors.files import ReadOptions, read_flat_log
from extractors.files.ocel import read_ocel
from extractors.pseudonym import Pseudonymiser
from extractors.robots import ALL_STREAMS, read_robot_csv, read_saved_pages
from extractors.servicenow import (
    CsvExportOptions,
    SavedPagesStream,
    read_csv_export,
    read_table_json_export,
    saved_page_spec,
)
from extractors.time_registration import read_export
from models.errors import InputError
from tests.shared_data import shared_file

ROOT = Path(__file__).resolve().parents[1]
MB = 1 << 20
BOMB_MB = 200
PEAK_RSS_MB = 500
HEADER = b"case,activity,timestamp\n"
ROW = b"c1,Register,2024-01-01T00:00:00Z\n"
XES_HEAD = (
    b'<?xml version="1.0"?><log xmlns="http://www.xes-standard.org/"><trace>'
    b'<string key="concept:name" value="c1"/>'
)
XES_EVENT = (
    b'<event><string key="concept:name" value="Register"/>'
    b'<date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event>\n'
)
LIMIT_VARIABLES = (
    "KITFLOW_MAX_UNPACKED_MB",
    "KITFLOW_MAX_COMPRESSION_RATIO",
    "KITFLOW_MAX_ROWS",
    "KITFLOW_MAX_JSON_DEPTH",
    "KITFLOW_MAX_VALUE_MB",
)
RAISE_IT = "if it is genuine, raise the limit with the environment variable"
P = Pseudonymiser(b"hostile-input-test-key")


@pytest.fixture(autouse=True)
def default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in LIMIT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


# -- building the bombs ---------------------------------------------------------------------------


def repeated(line: bytes, unpacked_mb: int) -> list[bytes]:
    """``unpacked_mb`` blocks of about 1 MB of ``line`` repeated (one block object written again
    and again: never 200 MB in the test's own memory)."""
    return [line * (MB // len(line))] * unpacked_mb


def size_of(head: bytes, blocks: list[bytes]) -> int:
    return len(head) + sum(len(block) for block in blocks)


def write_zip(path: Path, member: str, head: bytes, blocks: list[bytes]) -> Path:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open(member, "w") as out,
    ):
        out.write(head)
        for block in blocks:
            out.write(block)
    return path


def write_gzip(path: Path, head: bytes, blocks: list[bytes]) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(head)
        for block in blocks:
            out.write(block)
    return path


def lie_in_central_directory(
    path: Path, member: str, *, packed: int | None = None, unpacked: int | None = None
) -> None:
    """Overwrite the sizes the central directory declares for ``member``."""
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + len(member)] != member.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    for offset, value in ((20, packed), (24, unpacked)):
        if value is not None:
            data[entry + offset : entry + offset + 4] = value.to_bytes(4, "little")
    path.write_bytes(bytes(data))


OCEL_CORE = """
    CREATE TABLE event_map_type (ocel_type TEXT, ocel_type_map TEXT);
    CREATE TABLE object_map_type (ocel_type TEXT, ocel_type_map TEXT);
    CREATE TABLE event (ocel_id TEXT, ocel_type TEXT);
    CREATE TABLE object (ocel_id TEXT, ocel_type TEXT);
    CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT);
    CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT);
    INSERT INTO event_map_type VALUES ('Pay', 'Pay');
    INSERT INTO object_map_type VALUES ('Invoice', 'Invoice');
    CREATE TABLE object_Invoice (ocel_id TEXT, ocel_time TEXT, ocel_changed_field TEXT);
"""


def write_ocel_sqlite(path: Path, schema: str, events: int = 3) -> Path:
    """A small OCEL SQLite file: the core tables, type Pay (its table per ``schema``), events."""
    with sqlite3.connect(path) as db:
        db.executescript(OCEL_CORE + schema)
        ids = [(f"e{i}",) for i in range(events)]
        db.executemany("INSERT INTO event VALUES (?, 'Pay')", ids)
        db.executemany("INSERT INTO event_Pay (ocel_id, ocel_time) VALUES (?, '2024-01-01')", ids)
    db.close()
    return path


GENERATED_BOMB = f"""CREATE TABLE event_Pay (ocel_id TEXT, ocel_time TEXT,
    note TEXT GENERATED ALWAYS AS (printf('%.*c', {10 * MB}, 'x')) VIRTUAL);"""
PLAIN_PAY = "CREATE TABLE event_Pay (ocel_id TEXT, ocel_time TEXT, note TEXT);"


def write_map_bomb(path: Path, types: int = 2000, objects: int = 1000) -> Path:
    """2,000 object types all mapped to one table of 1,000 objects with two values each: read
    once per type, 4 million values from 120 KB."""
    write_ocel_sqlite(path, PLAIN_PAY)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE object_Invoice ADD COLUMN amount TEXT")
        db.execute("ALTER TABLE object_Invoice ADD COLUMN status TEXT")
        types_ = [(f"T{i}",) for i in range(types)]
        db.executemany("INSERT INTO object_map_type VALUES (?, 'Invoice')", types_)
        rows = [(f"o{i}",) for i in range(objects)]
        db.executemany("INSERT INTO object VALUES (?, 'Invoice')", rows)
        db.executemany(
            "INSERT INTO object_Invoice VALUES (?, '1970-01-01', NULL, '100', 'open')", rows
        )
    db.close()
    return path


def deep_json(depth: int = 100_000) -> str:
    return '{"value": ' + "[" * depth + "]" * depth + "}"


def write_xlsx_bomb(path: Path) -> Path:
    """A workbook whose sheet is 200 MB of one repeated row."""
    book = openpyxl.Workbook()
    book.worksheets[0].append(["Dato", "Medarbejder", "Serviceområde", "Aktivitet", "Timer"])
    book.save(path.with_suffix(".seed.xlsx"))
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    with (
        zipfile.ZipFile(path.with_suffix(".seed.xlsx")) as seed,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
    ):
        for info in seed.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info, seed.read(info))
                continue
            # Without its dimension a sheet is read to its last row, as Excel writes big ones.
            sheet = re.sub(rb"<dimension [^>]*/>", b"", seed.read(info))
            start, end = sheet.split(b"</sheetData>")
            with archive.open(info.filename, "w") as out:
                out.write(start)
                for block in repeated(row, BOMB_MB):
                    out.write(block)
                out.write(b"</sheetData>" + end)
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    ado = folder / "ado.zip"
    write_zip(ado, "azure-devops/workitemrevisions/batch-00001.json", b'{"values": [',
              repeated(b'{"id": 1, "rev": 1},', BOMB_MB))  # fmt: skip
    return {
        "csv.zip": write_zip(folder / "log.zip", "log.csv", HEADER, repeated(ROW, BOMB_MB)),
        "csv.gz": write_gzip(folder / "log.csv.gz", HEADER, repeated(ROW, BOMB_MB)),
        "xes.gz": write_gzip(folder / "log.xes.gz", XES_HEAD, repeated(XES_EVENT, BOMB_MB)),
        "generated.sqlite": write_ocel_sqlite(folder / "gen.sqlite", GENERATED_BOMB, 300),
        "maps.sqlite": write_map_bomb(folder / "maps.sqlite"),
        "deep.jsonocel": _written(folder / "deep.jsonocel", deep_json()),
        "hours.xlsx": write_xlsx_bomb(folder / "hours.xlsx"),
        "ado.zip": ado,
    }


def _written(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


# -- archives -------------------------------------------------------------------------------------


def test_zip_bomb_is_refused_by_the_sizes_it_declares(bombs: dict[str, Path]) -> None:
    path = bombs["csv.zip"]
    packed = zipfile.ZipFile(path).getinfo("log.csv").compress_size
    with pytest.raises(InputError) as refused:
        read_flat_log(path, ReadOptions())
    unpacked = size_of(HEADER, repeated(ROW, BOMB_MB))
    assert str(refused.value) == (
        f"log.zip, member log.csv: {packed:,} packed bytes unpack to {unpacked:,} or more, "
        f"{unpacked / packed:,.0f} times, beyond the limit of 200 "
        "times. A file like this can exhaust the server's memory, so it is refused; if it is "
        "genuine, raise the limit with the environment variable KITFLOW_MAX_COMPRESSION_RATIO "
        "and import it again."
    )


def test_zip_whose_headers_understate_the_packed_size_is_counted_while_unpacking(
    tmp_path: Path,
) -> None:
    # The directory claims 2 MB packed (the bytes of the next member), so 200 MB look like 100
    # times: only the bytes counted while unpacking show the true ratio.
    path = write_zip(tmp_path / "log.zip", "log.csv", HEADER, repeated(ROW, BOMB_MB))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("padding.bin", os.urandom(3 * MB))
    lie_in_central_directory(path, "log.csv", packed=2 * MB)
    counted = r"[\d,]+ packed bytes unpack to [\d,]+ or more, [\d,]+ times, beyond the limit"
    with pytest.raises(InputError, match=rf"^log.zip, member log.csv: {counted} of 200 times") as e:
        read_flat_log(path, ReadOptions())
    assert "KITFLOW_MAX_COMPRESSION_RATIO" in str(e.value)


def test_zip_whose_headers_understate_the_unpacked_size_is_refused_as_damaged(
    tmp_path: Path,
) -> None:
    path = write_zip(tmp_path / "log.zip", "log.csv", HEADER, repeated(ROW, 20))
    lie_in_central_directory(path, "log.csv", unpacked=1000)
    with pytest.raises(InputError, match=r"^log.zip, member log.csv is damaged \(Bad CRC-32"):
        read_flat_log(path, ReadOptions())


def test_a_member_beyond_the_unpacked_limit_is_refused_with_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = b"".join(f"c{i},a{i % 7},2024-01-01T00:{i % 60:02}:00Z\n".encode() for i in range(60000))
    path = write_zip(tmp_path / "log.zip", "log.csv", HEADER, [rows])
    monkeypatch.setenv("KITFLOW_MAX_UNPACKED_MB", "1")
    with pytest.raises(InputError) as refused:
        read_flat_log(path, ReadOptions())
    assert str(refused.value).startswith(
        "log.zip, member log.csv: it unpacks to more than 1 MB, the limit. A file like this"
    )
    assert str(refused.value).endswith(f"{RAISE_IT} KITFLOW_MAX_UNPACKED_MB and import it again.")
    monkeypatch.setenv("KITFLOW_MAX_UNPACKED_MB", "3")
    assert read_flat_log(path, ReadOptions()).frame.height == 60000


def test_gzip_bomb_is_refused_while_unpacking(bombs: dict[str, Path]) -> None:
    for key in ("csv.gz", "xes.gz"):
        with pytest.raises(InputError, match=r"packed bytes unpack to [\d,]+ or more") as e:
            read_flat_log(bombs[key], ReadOptions())
        assert str(e.value).startswith(f"{bombs[key].name}: ")
        assert "KITFLOW_MAX_COMPRESSION_RATIO" in str(e.value)


def test_genuine_compressed_logs_are_within_the_limits() -> None:
    # 19 times (UCI's zip, pm4py's receipt.xes.gz) to 30 times (BPIC 2013): well below 200.
    receipt = read_flat_log(shared_file("pm4py-examples/receipt.xes.gz"), ReadOptions())
    assert receipt.frame.height == 8577
    uci = shared_file("servicenow-uci-incidents/incident_event_log.zip")
    read = read_csv_export(uci, options=CsvExportOptions(timezone="Europe/Copenhagen"), pseudonym=P)
    assert read.staged.height + read.quarantine.height == 141712


def test_servicenow_and_azure_devops_zips_are_checked(bombs: dict[str, Path]) -> None:
    options = CsvExportOptions(timezone="Europe/Copenhagen")
    with pytest.raises(InputError, match=r"^log.zip, member log.csv: .* 200 times"):
        read_csv_export(bombs["csv.zip"], options=options, pseudonym=P)
    member = "azure-devops/workitemrevisions/batch-00001.json"
    with pytest.raises(InputError, match=rf"^ado.zip, member {member}: .* 200 times"):
        list(read_export_batches(bombs["ado.zip"]))


def test_a_workbook_bomb_is_refused_before_openpyxl_unpacks_it(bombs: dict[str, Path]) -> None:
    with pytest.raises(InputError) as refused:
        read_export(bombs["hours.xlsx"])
    assert str(refused.value).startswith("hours.xlsx, member xl/worksheets/sheet1.xml: ")
    assert "KITFLOW_MAX_COMPRESSION_RATIO" in str(refused.value)


# -- rows -----------------------------------------------------------------------------------------


def test_every_reader_counts_rows_against_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_MAX_ROWS", "3")
    csv = tmp_path / "log.csv"
    csv.write_bytes(HEADER + ROW * 4)
    xes = tmp_path / "log.xes"
    xes.write_bytes(XES_HEAD + XES_EVENT * 4 + b"</trace></log>")
    parquet = tmp_path / "log.parquet"
    pl.read_csv(csv).write_parquet(parquet)
    robots = tmp_path / "runs.csv"
    robots.write_text("process,run_id,start,status\n" + "p,1,2024-01-01T08:00,success\n" * 4)
    hours = tmp_path / "hours.csv"
    hours.write_text(
        "Dato;Medarbejder;Serviceområde;Aktivitet;Timer\n" + "2024-01-02;ab;S;A;1\n" * 4
    )
    readers: list[tuple[Path, Callable[[], object], str]] = [
        (csv, lambda: read_flat_log(csv, ReadOptions()), "rows"),
        (xes, lambda: read_flat_log(xes, ReadOptions()), "events"),
        (parquet, lambda: read_flat_log(parquet, ReadOptions()), "rows"),
        (robots, lambda: read_robot_csv(robots, P), "rows"),
        (hours, lambda: read_export(hours), "rows"),
    ]
    for path, read, what in readers:
        with pytest.raises(InputError) as refused:
            read()
        assert str(refused.value) == (
            f"{path}: it holds more than 3 {what}, the limit. A file like this can exhaust the "
            f"server's memory, so it is refused; {RAISE_IT} KITFLOW_MAX_ROWS and import it again."
        )
    monkeypatch.setenv("KITFLOW_MAX_ROWS", "4")
    assert [len(read_robot_csv(robots, P)), len(read_export(hours).rows)] == [4, 4]
    assert read_flat_log(csv, ReadOptions()).frame.height == 4


def test_a_limit_that_is_not_a_number_is_refused_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "log.csv"
    csv.write_bytes(HEADER + ROW)
    monkeypatch.setenv("KITFLOW_MAX_ROWS", "many")
    with pytest.raises(InputError) as refused:
        read_flat_log(csv, ReadOptions())
    assert str(refused.value) == (
        "the environment variable KITFLOW_MAX_ROWS='many' is not a whole number of at least 1: "
        "set it to one (its default is 50000000)."
    )


# -- JSON -----------------------------------------------------------------------------------------


def depth_refusal(where: str) -> str:
    return (
        f"{where}: its JSON is nested 100,001 levels deep, beyond the limit of 64. A file like "
        f"this can exhaust the server's memory, so it is refused; {RAISE_IT} "
        "KITFLOW_MAX_JSON_DEPTH and import it again."
    )


def test_deeply_nested_json_is_refused_by_every_json_reader(tmp_path: Path) -> None:
    ocel = _written(tmp_path / "deep.jsonocel", deep_json())
    table = _written(tmp_path / "incident.json", deep_json())
    ado = tmp_path / "azure-devops" / "workitemrevisions" / "batch-00001.json"
    ado.parent.mkdir(parents=True)
    ado.write_text(deep_json())
    robot_page = tmp_path / "uipath" / "Jobs" / "page-00001.json"
    robot_page.parent.mkdir(parents=True)
    robot_page.write_text(deep_json())
    saved = tmp_path / "saved" / "incident" / "page-00001.json"
    saved.parent.mkdir(parents=True)
    saved.write_text(deep_json())
    stream = SavedPagesStream(saved.parent, saved_page_spec("incident"), P)
    readers: list[tuple[str, Callable[[], object]]] = [
        ("deep.jsonocel", lambda: read_ocel(ocel)),
        (str(table), lambda: read_table_json_export(table, table="incident", pseudonym=P)),
        ("azure-devops/workitemrevisions/batch-00001.json",
         lambda: list(read_export_batches(tmp_path))),
        (str(robot_page),
         lambda: list(read_saved_pages(robot_page.parent, ALL_STREAMS["uipath-Jobs"], P))),
        (str(saved), lambda: stream.fetch_page(Cursor(None))),
    ]  # fmt: skip
    for where, read in readers:
        with pytest.raises(InputError) as refused:
            read()
        assert str(refused.value) == depth_refusal(where)


def test_nesting_is_measured_outside_strings_only(tmp_path: Path) -> None:
    # Brackets and escaped quotes inside strings are text, not nesting.
    text = '{"value": [{"Title": "[[[[ \\" {{{{ \\\\", "n": [[1]]}]}'
    assert json.loads(text)["value"][0]["Title"] == '[[[[ " {{{{ \\'
    page = tmp_path / "uipath" / "Jobs" / "page-00001.json"
    page.parent.mkdir(parents=True)
    page.write_text(text)
    [(name, records)] = list(read_saved_pages(page.parent, ALL_STREAMS["uipath-Jobs"], P))
    assert (name, len(records)) == ("page-00001.json", 1)


# -- OCEL SQLite ----------------------------------------------------------------------------------


def test_sqlite_with_computed_values_is_refused_before_reading(tmp_path: Path) -> None:
    gen = write_ocel_sqlite(tmp_path / "gen.sqlite", GENERATED_BOMB)
    with pytest.raises(InputError) as refused:
        read_ocel(gen)
    assert str(refused.value) == (
        "gen.sqlite is not an OCEL 2.0 log as it is written: it holds generated column "
        "event_Pay.note, whose values are computed while they are read. An OCEL SQLite file "
        "holds plain tables only; export the log again from its source."
    )
    view = write_ocel_sqlite(tmp_path / "view.sqlite", PLAIN_PAY + """
        CREATE VIEW endless AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
            SELECT i FROM n;
        CREATE TRIGGER touch AFTER INSERT ON event BEGIN SELECT 1; END;""")  # fmt: skip
    with pytest.raises(InputError, match=r"it holds view endless, trigger touch, whose values"):
        read_ocel(view)


def test_sqlite_with_tables_that_are_not_ocel_s_is_refused(tmp_path: Path) -> None:
    path = write_ocel_sqlite(tmp_path / "extra.sqlite", PLAIN_PAY + "CREATE TABLE payroll (x);")
    with pytest.raises(InputError) as refused:
        read_ocel(path)
    assert str(refused.value) == (
        "extra.sqlite holds table(s) that are not OCEL 2.0's: payroll (OCEL has event, object, "
        "event_object, object_object, the two type maps and one table per mapped type). Import "
        "only OCEL files; export the log again from its source."
    )


def test_sqlite_type_map_sending_many_types_to_one_table_is_refused(
    bombs: dict[str, Path],
) -> None:
    with pytest.raises(InputError) as refused:
        read_ocel(bombs["maps.sqlite"])
    assert str(refused.value) == (
        "maps.sqlite: object_map_type sends several types to the table(s) object_Invoice; OCEL "
        "2.0 gives each type its own table. Export the log again."
    )


def test_sqlite_tables_are_counted_before_they_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_ocel_sqlite(tmp_path / "log.sqlite", PLAIN_PAY, events=4)
    monkeypatch.setenv("KITFLOW_MAX_ROWS", "3")
    with pytest.raises(InputError) as refused:
        read_ocel(path)
    assert str(refused.value).startswith(
        "log.sqlite, table event_Pay: it holds more than 3 rows, the limit. A file like this"
    )


def test_sqlite_value_beyond_the_value_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_ocel_sqlite(tmp_path / "long.sqlite", PLAIN_PAY)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE event_Pay SET note = ? WHERE ocel_id = 'e1'", ("x" * (2 * MB),))
    db.close()
    monkeypatch.setenv("KITFLOW_MAX_VALUE_MB", "1")
    with pytest.raises(InputError) as refused:
        read_ocel(path)
    assert str(refused.value) == (
        "long.sqlite: a value is longer than 1 MB, the limit for one value. A file like this can "
        f"exhaust the server's memory, so it is refused; {RAISE_IT} KITFLOW_MAX_VALUE_MB and "
        "import it again."
    )


def test_sqlite_header_declaring_more_pages_than_the_file_holds_is_refused(
    tmp_path: Path,
) -> None:
    path = write_ocel_sqlite(tmp_path / "pages.sqlite", PLAIN_PAY)
    data = bytearray(path.read_bytes())
    data[28:32] = (1_000_000).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    size, page = len(data), int.from_bytes(data[16:18], "big")
    with pytest.raises(InputError) as refused:
        read_ocel(path)
    assert str(refused.value) == (
        f"cannot read the OCEL 2.0 SQLite file pages.sqlite: its header declares 1,000,000 pages "
        f"of {page:,} bytes ({1_000_000 * page:,} bytes), but the file holds {size:,} bytes. It "
        "is damaged (or made to mislead): export the log again."
    )


def test_genuine_ocel_sqlite_is_read_as_before() -> None:
    staged = read_ocel(shared_file("pm4py-examples/ocel20_example.sqlite"))
    assert (staged.log.events.height, staged.log.objects.height) == (13, 9)


# -- memory: each refusal in a fresh process ------------------------------------------------------

CHILD_IMPORTS = """import sys
from pathlib import Path
from extractors.azure_devops import read_export_batches
from extractors.files import ReadOptions, read_flat_log
from extractors.files.ocel import read_ocel
from extractors.time_registration import read_export
PATH = Path(sys.argv[1])
def PEAK_KB():  # the high-water mark of this process alone (ru_maxrss survives exec)
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0])
"""
READERS = {
    "csv.zip": "read_flat_log(PATH, ReadOptions())",
    "csv.gz": "read_flat_log(PATH, ReadOptions())",
    "xes.gz": "read_flat_log(PATH, ReadOptions())",
    "generated.sqlite": "read_ocel(PATH)",
    "maps.sqlite": "read_ocel(PATH)",
    "deep.jsonocel": "read_ocel(PATH)",
    "hours.xlsx": "read_export(PATH)",
    "ado.zip": "list(read_export_batches(PATH))",
}


def refusal_in_a_fresh_process(code: str, path: Path) -> tuple[str, float]:
    """The error a reader raised in a new interpreter, and that process's peak RSS in MB (its
    ``VmHWM``, printed last)."""
    script = (
        CHILD_IMPORTS
        + "try:\n    "
        + code
        + "\n    print('read without a refusal')\nexcept Exception as error:\n"
        "    print(type(error).__name__, error)\n"
        "print(PEAK_KB())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in LIMIT_VARIABLES}
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return f"exit {done.returncode}: {done.stdout[-300:]} {done.stderr[-300:]}", 0.0
    return "\n".join(lines[:-1]), int(lines[-1]) / 1024


@pytest.mark.parametrize("kind", sorted(READERS))
def test_refusals_need_little_memory(bombs: dict[str, Path], kind: str) -> None:
    output, peak_mb = refusal_in_a_fresh_process(READERS[kind], bombs[kind])
    assert output.startswith(("InputTooLarge", "InputError")), output[:500]
    assert peak_mb < PEAK_RSS_MB, f"{kind}: {peak_mb:.0f} MB peak: {output[:300]}"
