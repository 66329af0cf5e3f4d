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

TARGETS: Final = ("group", "category", "priority")
"""What the assistant suggests; each target is its own model (``MODEL_NAMES``)."""
MODEL_NAMES: Final = {"group": "assignment-group", "category": "category", "priority": "priority"}
TARGET_COLUMNS: Final = {t: f"target_{t}" for t in TARGETS}
SOURCES: Final = ("uci", "landscape", "xes")

Strings = npt.NDArray[np.str_]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FeatureSpec:
    """The filing-time fields a model reads (``raw``, text), the interactions of them it adds,
    and whether the opening hour and weekday are features."""

    raw: tuple[str, ...]
    interactions: tuple[tuple[str, tuple[str, ...]], ...]
    timed: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        """The feature columns in matrix order."""
        times = TIME_FEATURES if self.timed else ()
        return (*self.raw, *times, *(name for name, _ in self.interactions))


@dataclass(frozen=True)
class SourceSpec:
    """One kind of source: its filing-time fields and interactions, which fields make up the
    category target (left out of that target's features), which fields decide the priority
    (left out of the priority target's features), the targets it has, and the field each
    target's "most frequent per …" baseline groups by."""

    kind: str
    raw: tuple[str, ...]
    interactions: tuple[tuple[str, tuple[str, ...]], ...]
    category_fields: tuple[str, ...]
    priority_fields: tuple[str, ...]
    targets: tuple[str, ...]
    baseline_by: dict[str, str]

    def features(self, target: str) -> FeatureSpec:
        """The features of ``target``'s model: every field for the group; the category target
        without the category fields (and interactions holding them); the priority target
        without the fields priority is looked up from."""
        dropped = {
            "group": (),
            "category": self.category_fields,
            "priority": self.priority_fields,
        }[target]
        raw = tuple(f for f in self.raw if f not in dropped)
        kept = tuple((n, c) for n, c in self.interactions if not set(c) & set(dropped))
        return FeatureSpec(raw, kept)


UCI_SPEC: Final = SourceSpec(
    kind="uci",
    raw=RAW_FEATURES,
    interactions=tuple(INTERACTIONS.items()),
    category_fields=("category", "subcategory"),
    priority_fields=("impact", "urgency"),
    targets=TARGETS,
    baseline_by={"group": "category", "category": "u_symptom", "priority": "category"},
)
LANDSCAPE_SPEC: Final = SourceSpec(
    kind="landscape",
    raw=("type", "category", "contact_type", "impact", "urgency"),
    interactions=(("type_category", ("type", "category")),),
    category_fields=("category",),
    priority_fields=("impact", "urgency"),
    targets=TARGETS,
    baseline_by={"group": "category", "category": "contact_type", "priority": "category"},
)
XES_SPEC: Final = SourceSpec(
    kind="xes",
    raw=(
        "impact",
        "product",
        "organization country",
        "organization involved",
        "org:role",
        "resource country",
    ),
    interactions=(("product_impact", ("product", "impact")),),
    category_fields=(),
    priority_fields=(),
    targets=("group",),
    baseline_by={"group": "product"},
)
SPECS: Final = {s.kind: s for s in (UCI_SPEC, LANDSCAPE_SPEC, XES_SPEC)}


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
    """One row per UCI incident: the features as filed (first record), ``opened_at`` (naive,
    the export's local time) and the targets from the last record: the final assignment group
    (``target_group``; None when it ends without one), the final ``category|subcategory``
    (``target_category``) and the final priority (``target_priority``). Sorted by opening
    time, then number; ``for_target`` keeps one target's cases."""
    timed = events.with_columns(
        pl.col(OPENED).str.strptime(pl.Datetime, _DATE_FORMAT, strict=False),
        pl.col("sys_updated_at").str.strptime(pl.Datetime, _DATE_FORMAT, strict=False),
    ).sort([CASE, "sys_updated_at", "row"], nulls_last=True)
    first = timed.group_by(CASE, maintain_order=True).first()
    last = timed.group_by(CASE, maintain_order=True).last()
    targets = last.select(
        CASE,
        _known(pl.col(TARGET)).alias(TARGET_COLUMNS["group"]),
        pl.when(_known(pl.col("category")).is_not_null())
        .then(pl.concat_str([pl.col("category"), pl.col("subcategory")], separator="|"))
        .alias(TARGET_COLUMNS["category"]),
        _known(pl.col("priority")).alias(TARGET_COLUMNS["priority"]),
    )
    incidents = first.select(CASE, OPENED, *RAW_FEATURES).join(targets, on=CASE)
    return incidents.filter(pl.col(OPENED).is_not_null()).sort([OPENED, CASE])


def _known(column: pl.Expr) -> pl.Expr:
    return pl.when(column != MISSING).then(column)


def for_target(cases: pl.DataFrame, target: str, spec: SourceSpec = UCI_SPEC) -> pl.DataFrame:
    """The cases that have ``target`` (as column ``target``) with ``target``'s derived
    features, sorted by opening time."""
    column = TARGET_COLUMNS[target]
    kept = cases.filter(pl.col(column).is_not_null()).with_columns(pl.col(column).alias("target"))
    return add_derived_features(kept, spec.features(target)).sort([OPENED, CASE])


_PRIORITY_LABELS: Final = {
    "1": "1 - Kritisk",
    "2": "2 - Høj",
    "3": "3 - Moderat",
    "4": "4 - Lav",
    "5": "5 - Planlægning",
}
"""ServiceNow's priorities as the Danish instance names them (the staged tables hold the number)."""
INCIDENT: Final = "hændelse"
ORDER: Final = "bestilling"


def build_landscape_cases(
    incidents: pl.DataFrame,
    orders: pl.DataFrame,
    groups: pl.DataFrame,
    items: pl.DataFrame,
    *,
    timezone: str = "Europe/Copenhagen",
) -> pl.DataFrame:
    """One row per ServiceNow incident and requested item of the staged tables (``incident``,
    ``sc_req_item``, ``sys_user_group``, ``sc_cat_item``): ``type`` (hændelse or bestilling), the
    fields as filed (incidents: category, contact type, impact, urgency; orders: the catalog
    item as ``category``), ``opened_at`` in local time, and the targets: the final assignment
    group's name, the incident's category, and its priority. Persons are never read."""
    names = dict(zip(groups["sys_id"].to_list(), groups["name"].to_list(), strict=True))
    item_names = dict(zip(items["sys_id"].to_list(), items["name"].to_list(), strict=True))
    local = pl.col(OPENED).dt.convert_time_zone(timezone).dt.replace_time_zone(None)
    incident_rows = incidents.select(
        pl.col("number").alias(CASE),
        local.alias(OPENED),
        pl.lit(INCIDENT).alias("type"),
        pl.col("category"),
        pl.col("contact_type"),
        pl.col("impact"),
        pl.col("urgency"),
        pl.col("assignment_group").replace_strict(names, default=None).alias("group"),
        pl.col("category").alias(TARGET_COLUMNS["category"]),
        pl.col("priority")
        .replace_strict(_PRIORITY_LABELS, default=None)
        .alias(TARGET_COLUMNS["priority"]),
    )
    order_rows = orders.select(
        pl.col("number").alias(CASE),
        local.alias(OPENED),
        pl.lit(ORDER).alias("type"),
        pl.col("cat_item").replace_strict(item_names, default=None).alias("category"),
        pl.col("contact_type"),
        pl.col("impact"),
        pl.col("urgency"),
        pl.col("assignment_group").replace_strict(names, default=None).alias("group"),
        pl.lit(None, pl.Utf8).alias(TARGET_COLUMNS["category"]),
        pl.lit(None, pl.Utf8).alias(TARGET_COLUMNS["priority"]),
    )
    cases = pl.concat([incident_rows, order_rows], how="vertical_relaxed")
    return (
        cases.rename({"group": TARGET_COLUMNS["group"]})
        .filter(pl.col(OPENED).is_not_null())
        .sort([OPENED, CASE])
    )


def build_xes_cases(events: pl.DataFrame) -> pl.DataFrame:
    """One row per case of a flat XES log (BPIC 2013 incidents): what is known at its first
    event (``XES_SPEC.raw``; never a resource), ``opened_at`` (the first event, UTC) and the
    final ``org:group`` (the last event's ``org_unit``) as ``target_group``."""
    ordered = events.sort(["case_id", "timestamp", "event_order"])
    first = ordered.group_by("case_id", maintain_order=True).first()
    last = ordered.group_by("case_id", maintain_order=True).last()
    present = [c for c in XES_SPEC.raw if c in first.columns]
    cases = first.select(
        pl.col("case_id").alias(CASE),
        pl.col("timestamp").dt.replace_time_zone(None).alias(OPENED),
        *(pl.col(c).cast(pl.Utf8) for c in present),
        *(pl.lit(None, pl.Utf8).alias(c) for c in XES_SPEC.raw if c not in present),
    ).join(
        last.select(pl.col("case_id").alias(CASE), pl.col("org_unit").alias("target_group")),
        on=CASE,
    )
    return cases.filter(pl.col(OPENED).is_not_null()).sort([OPENED, CASE])


def add_derived_features(frame: pl.DataFrame, spec: FeatureSpec | None = None) -> pl.DataFrame:
    """Opening hour and weekday and ``spec``'s interaction columns (text joined with ``|``;
    default: the UCI assignment group's)."""
    chosen = spec or UCI_SPEC.features("group")
    derived = [
        pl.concat_str([pl.col(c).fill_null(MISSING) for c in cols], separator="|").alias(name)
        for name, cols in chosen.interactions
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


def feature_rows(frame: pl.DataFrame, columns: tuple[str, ...] = FEATURES) -> Strings:
    """The feature matrix as text, one row per case, in ``columns`` order."""
    return (
        frame.select([pl.col(c).cast(pl.Utf8).fill_null(MISSING) for c in columns])
        .to_numpy()
        .astype(str)
    )


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


def time_windows(
    frame: pl.DataFrame, origins: tuple[float, ...]
) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """Rolling origins over ``frame`` (sorted by opening time): per origin share, the cases
    before it (to fit on) and the window from it to the next origin (to calibrate on); the
    last window runs to the end. Cut as ``split_by_time`` cuts, so no window case was opened
    before a case its model was fitted on."""
    pairs = []
    for i, origin in enumerate(origins):
        before, after = split_by_time(frame, test_share=1 - origin)
        if i + 1 < len(origins):
            until, _ = split_by_time(frame, test_share=1 - origins[i + 1])
            after = after.filter(pl.col(OPENED) <= until[OPENED].max())
        pairs.append((before, after))
    return pairs


def window_threshold(
    confidence: Floats,
    correct: npt.NDArray[np.bool_],
    window: npt.NDArray[np.int64],
    *,
    precision: float,
    coverage: float,
) -> float:
    """The abstention threshold from calibration windows: in each window the lowest
    confidence whose suggested cases reach ``precision``, lowered if needed until ``coverage``
    of the window is suggested; then the lowest over the windows, so that every window would
    have been suggested on at least ``coverage`` of its cases."""
    cuts = []
    for w in np.unique(window):
        inside = window == w
        by_precision = choose_threshold(confidence[inside], correct[inside], precision=precision)
        by_coverage = float(np.quantile(confidence[inside], 1 - coverage, method="lower"))
        cuts.append(min(by_precision, by_coverage))
    return min(cuts) if cuts else 1.0
