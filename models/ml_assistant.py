"""The fill-in assistant's data and measures: pure functions, no fitting (that is
``services.assistant``).

An incident's features are its values when it was filed: the FIRST record of the incident in the
event log (earliest update, then file order), never a later update. The target is the FINAL
assignment group (the last record's). No person (caller, opener, creator, updater, assignee,
resolver, or their pseudonyms) is a feature, so the assistant never profiles anyone.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

CASE: Final = "number"
TARGET: Final = "assignment_group"
OPENED: Final = "opened_at"
MISSING: Final = "?"
RAW_FEATURES: Final = (
    "category",
    "subcategory",
    "u_symptom",
    "contact_type",
    "location",
    "impact",
    "urgency",
)
INTERACTIONS: Final = {
    "category_subcategory": ("category", "subcategory"),
    "category_subcategory_symptom": ("category", "subcategory", "u_symptom"),
    "location_category": ("location", "category"),
}
TIME_FEATURES: Final = ("opened_hour", "opened_weekday")
FEATURES: Final = (*RAW_FEATURES, *TIME_FEATURES, *INTERACTIONS)
_DATE_FORMAT: Final = "%d/%m/%Y %H:%M"

Strings = npt.NDArray[np.str_]
Floats = npt.NDArray[np.float64]


def read_incident_events(path: Path, *, limit_rows: int | None = None) -> pl.DataFrame:
    """The UCI ServiceNow export (CSV, or a zip holding it), every column as text; one row per
    update of an incident, in file order (``row``)."""
    source: Path | io.BytesIO = path
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            member = next(n for n in archive.namelist() if n.endswith(".csv"))
            source = io.BytesIO(archive.read(member))
    frame = pl.read_csv(source, infer_schema_length=0, n_rows=limit_rows)
    return frame.with_row_index("row")


def build_incidents(events: pl.DataFrame) -> pl.DataFrame:
    """One row per incident: the features as filed (first record), ``opened_at`` (UTC-naive, as
    the export gives it) and ``target`` (the final assignment group); incidents without a final
    group are left out. Sorted by opening time, then number."""
    timed = events.with_columns(
        pl.col(OPENED).str.strptime(pl.Datetime, _DATE_FORMAT, strict=False),
        pl.col("sys_updated_at").str.strptime(pl.Datetime, _DATE_FORMAT, strict=False),
    ).sort([CASE, "sys_updated_at", "row"], nulls_last=True)
    first = timed.group_by(CASE, maintain_order=True).first()
    last = timed.group_by(CASE, maintain_order=True).last()
    target = last.select(CASE, pl.col(TARGET).alias("target"))
    incidents = first.select(CASE, OPENED, *RAW_FEATURES).join(target, on=CASE)
    incidents = incidents.filter((pl.col("target") != MISSING) & pl.col(OPENED).is_not_null())
    return add_derived_features(incidents).sort([OPENED, CASE])


def add_derived_features(frame: pl.DataFrame) -> pl.DataFrame:
    """Opening hour and weekday and the interaction columns (text joined with ``|``)."""
    derived = [
        pl.concat_str([pl.col(c) for c in cols], separator="|").alias(name)
        for name, cols in INTERACTIONS.items()
    ]
    return frame.with_columns(
        pl.col(OPENED).dt.hour().cast(pl.Utf8).alias("opened_hour"),
        pl.col(OPENED).dt.weekday().cast(pl.Utf8).alias("opened_weekday"),
        *derived,
    )


def split_by_time(frame: pl.DataFrame, *, test_share: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The earlier ``1 - test_share`` of ``frame`` (sorted by opening time) and the later rest;
    incidents opened in the same minute as the last training one stay in training, so every test
    incident was opened after every training incident."""
    cut = max(1, round(frame.height * (1 - test_share)))
    boundary = frame[OPENED][cut - 1]
    return frame.filter(pl.col(OPENED) <= boundary), frame.filter(pl.col(OPENED) > boundary)


def feature_rows(frame: pl.DataFrame) -> Strings:
    """The feature matrix as text, one row per incident, columns in ``FEATURES`` order."""
    return frame.select([pl.col(c).fill_null(MISSING) for c in FEATURES]).to_numpy().astype(str)


@dataclass(frozen=True)
class Scores:
    """Measures of ranked suggestions against the true groups on one test set.

    ``precision_at_half``: top-1 accuracy on the most confident half (a ranking measure, as the
    issue's reference states it); ``coverage`` and ``precision_at_coverage``: the share suggested
    and their accuracy under the stored abstention ``threshold``."""

    cases: int
    top1: float
    top3: float
    macro_f1: float
    precision_at_half: float
    coverage: float
    precision_at_coverage: float
    threshold: float
    brier: float
    reliability: tuple[tuple[float, float, float, int], ...]


def top_k_accuracy(ranked: Strings, truth: Strings, k: int) -> float:
    """Share of cases whose true group is among the first ``k`` of ``ranked`` (one row a case)."""
    return float((ranked[:, :k] == truth[:, None]).any(axis=1).mean()) if len(truth) else 0.0


def macro_f1(predicted: Strings, truth: Strings) -> float:
    """Unweighted mean F1 over the groups that occur in ``truth`` or ``predicted``."""
    labels = np.union1d(predicted, truth)
    scores = [_f1(predicted == g, truth == g) for g in labels]
    return float(np.mean(scores)) if scores else 0.0


def _f1(said: npt.NDArray[np.bool_], true: npt.NDArray[np.bool_]) -> float:
    hits = float((said & true).sum())
    return 2 * hits / float(said.sum() + true.sum()) if hits else 0.0


def precision_at_coverage(
    confidence: Floats, correct: npt.NDArray[np.bool_], *, coverage: float
) -> float:
    """Share right among the ``coverage`` most confident cases (ties in the given order)."""
    kept = np.argsort(-confidence, kind="stable")[: int(np.ceil(len(correct) * coverage))]
    return float(correct[kept].mean()) if len(kept) else 0.0


def decide(confidence: Floats, threshold: float) -> npt.NDArray[np.bool_]:
    """Whether to suggest (True) or abstain (False): suggest when confidence ≥ threshold."""
    return np.asarray(confidence >= threshold)


def choose_threshold(
    confidence: Floats, correct: npt.NDArray[np.bool_], *, precision: float
) -> float:
    """The lowest threshold whose suggested cases reach ``precision`` (the largest coverage);
    1.0 (always abstain) when none does."""
    order = np.argsort(-confidence, kind="stable")
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    reaching = np.flatnonzero(running >= precision)
    return float(confidence[order][reaching[-1]]) if len(reaching) else 1.0


def reliability_table(
    confidence: Floats, correct: npt.NDArray[np.bool_], *, bins: int = 10
) -> tuple[tuple[float, float, float, int], ...]:
    """One row per confidence bin with cases: (lower edge, mean confidence, accuracy, cases)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = index == b
        if inside.any():
            rows.append(
                (
                    float(edges[b]),
                    float(confidence[inside].mean()),
                    float(correct[inside].mean()),
                    int(inside.sum()),
                )
            )
    return tuple(rows)


def score_suggestions(
    ranked: Strings, confidence: Floats, truth: Strings, *, threshold: float
) -> Scores:
    """Every measure of ``ranked`` suggestions (top-1 first) with top-1 ``confidence``."""
    correct = ranked[:, 0] == truth
    kept = decide(confidence, threshold)
    return Scores(
        cases=len(truth),
        top1=top_k_accuracy(ranked, truth, 1),
        top3=top_k_accuracy(ranked, truth, 3),
        macro_f1=macro_f1(ranked[:, 0], truth),
        precision_at_half=precision_at_coverage(confidence, correct, coverage=0.5),
        coverage=float(kept.mean()) if len(truth) else 0.0,
        precision_at_coverage=float(correct[kept].mean()) if kept.any() else 0.0,
        threshold=threshold,
        brier=float(np.mean((confidence - correct) ** 2)) if len(truth) else 0.0,
        reliability=reliability_table(confidence, correct),
    )


def most_frequent_ranking(train: pl.DataFrame, test: pl.DataFrame, *, by: str | None) -> Strings:
    """Baseline: the training set's groups by frequency (within ``by``'s value when given, the
    overall order after it), three per test case."""
    overall = train["target"].value_counts(sort=True)["target"].to_list()[:3]
    if by is None:
        return np.array([overall] * test.height, dtype=str).reshape(test.height, -1)
    counts = (
        train.group_by(by, "target")
        .len()
        .sort([by, "len", "target"], descending=[False, True, False])
    )
    per = {k: g["target"].to_list()[:3] for (k,), g in counts.group_by(by, maintain_order=True)}
    rows = [_pad(per.get(v, []), overall) for v in test[by].to_list()]
    return np.array(rows, dtype=str)


def _pad(first: list[str], rest: list[str]) -> list[str]:
    return (first + [g for g in rest if g not in first])[:3]
