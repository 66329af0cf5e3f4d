"""Events per second of the XES reader (``extractors.files.read_flat_log`` on an XES file), on
the standard workload written as XES (not a test; results go in docs/performance.md).

    .venv/bin/python scripts/measure_xes.py --events 1000000 [--gz] [--repeat 3] [--checkout DIR]

The standard workload (``../shared/bench/gen_o2c_log.py N PREFIX 42``) is generated into
``--workspace`` (default /tmp/kitflow-xes-bench, never the repository) unless it is there
already, and written as XES the way OpenXES writes a log: one ``<trace>`` per case with its
``concept:name``, each ``<event>`` with ``concept:name``, ``org:resource``,
``lifecycle:transition`` and ``time:timestamp`` (milliseconds, with an offset). Each run reads
the file in a fresh process; the script prints the events, the median seconds, events per
second and the peak memory (VmHWM) of the reading process. ``--checkout`` reads with the code
of another checkout (an earlier commit exported with ``git archive``), for a before/after pair
measured under the same load.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_o2c_log.py"
SEED = 42
CASES_PER_BLOCK = 50_000
HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<global scope="event">
\t\t<string key="concept:name" value="UNKNOWN"/>
\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+01:00"/>
\t</global>
\t<classifier name="Activity classifier" keys="concept:name lifecycle:transition"/>
"""
READ = """import sys, time
from pathlib import Path
from extractors.files import ReadOptions, read_flat_log
started, cpu = time.perf_counter(), time.process_time()
staged = read_flat_log(Path(sys.argv[1]), ReadOptions())
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
status = Path("/proc/self/status").read_text()
print(staged.frame.height, seconds, cpu, int(status.split("VmHWM:")[1].split()[0]) / 1024)
"""


def workload_as_xes(events: int, workspace: Path, *, gz: bool) -> Path:
    """The standard workload of about ``events`` events as an XES file in ``workspace``."""
    workspace.mkdir(parents=True, exist_ok=True)
    prefix = workspace / f"o2c_{events}"
    target = prefix.with_suffix(".xes.gz" if gz else ".xes")
    if target.exists():
        return target
    parquet = prefix.with_suffix(".parquet")
    if not parquet.exists():
        run = [sys.executable, str(GENERATOR), str(events), str(prefix), str(SEED)]
        subprocess.run(run, check=True)
    log = (
        pl.read_parquet(parquet)
        .with_row_index("row")
        .sort("case_id", "row")
        .with_columns((pl.col("case_id").rank("dense") // CASES_PER_BLOCK).alias("block"))
    )
    opener = gzip.open if gz else open
    partial = target.with_name(target.name + ".partial")
    with opener(partial, "wt", encoding="utf-8") as out:
        out.write(HEADER)
        for block in log.partition_by("block", maintain_order=True):
            out.write("".join(_traces(block)))
        out.write("</log>\n")
    partial.rename(target)
    return target


def _traces(block: pl.DataFrame) -> pl.Series:
    event = pl.format(
        '\t\t<event>\n\t\t\t<string key="concept:name" value="{}"/>\n'
        '\t\t\t<string key="org:resource" value="{}"/>\n'
        '\t\t\t<string key="lifecycle:transition" value="complete"/>\n'
        '\t\t\t<date key="time:timestamp" value="{}"/>\n\t\t</event>\n',
        "activity",
        "resource",
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00"),
    )
    traces = block.group_by("case_id", maintain_order=True).agg(event.str.join("").alias("events"))
    return traces.select(
        pl.format(
            '\t<trace>\n\t\t<string key="concept:name" value="{}"/>\n{}\t</trace>\n',
            "case_id",
            "events",
        )
    ).to_series()


def read_once(path: Path, checkout: Path) -> tuple[int, float, float, float]:
    """Events read, seconds, CPU seconds (all threads) and peak MB of one read in a fresh
    process."""
    done = subprocess.run(
        [sys.executable, "-c", READ, str(path)],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    rows, seconds, cpu, peak = done.stdout.split()
    return int(rows), float(seconds), float(cpu), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--gz", action="store_true", help="write and read the file gzipped")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/kitflow-xes-bench"))
    parser.add_argument("--checkout", type=Path, default=ROOT, help="read with this code")
    arguments = parser.parse_args()
    path = workload_as_xes(arguments.events, arguments.workspace, gz=arguments.gz)
    runs = [read_once(path, arguments.checkout) for _ in range(arguments.repeat)]
    rows = runs[0][0]
    seconds = statistics.median(run[1] for run in runs)
    cpu = statistics.median(run[2] for run in runs)
    peak = max(run[3] for run in runs)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(
        f"{arguments.checkout.name}: {path.name}: {path.stat().st_size / 2**20:,.0f} MB, "
        f"{rows:,} events; median {seconds:.2f} s of {arguments.repeat} "
        f"({', '.join(f'{r[1]:.2f}' for r in runs)}): {rows / seconds:,.0f} events/s; "
        f"CPU {cpu:.2f} s (all threads): {rows / cpu:,.0f} events per CPU second; "
        f"peak {peak:,.0f} MB; load {load}"
    )


if __name__ == "__main__":
    main()
