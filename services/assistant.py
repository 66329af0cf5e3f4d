"""The fill-in assistant (issue #16): suggest a new ServiceNow case's assignment group,
category and priority from what is known when it is filed, each with a calibrated confidence,
or abstain.

Training reads a source (the UCI-style export, the simulated landscape's staged ServiceNow
tables, or an XES log such as BPIC 2013), keeps each case's values as filed, and splits by
opening time: the first 80 % trains, the last 20 % tests. Inside training, rolling origins
(by default at 70, 80 and 90 %) each fit the classifier (one-hot features, multinomial
logistic regression) on the cases before the origin and score the window after it; the pooled
window scores calibrate the top-1 confidence (Platt scaling: monotone, so it keeps the
ranking) and choose the threshold: the lowest whose suggested window cases reach the wanted
precision, lowered if needed until the wanted share of them is suggested. Then the classifier
is refitted on the whole training period. (The rule was chosen on two later slices of the
training period only: ``scripts/assistant_threshold_rule.py``, docs/ml.md.) Each target
is its own model (``assignment-group``, ``category``, ``priority``), stored versioned with a
model card by ``services.model_store`` (signed; refused when tampered with). An administrator
may set a model's threshold afterwards (``set_threshold``: a small JSON file next to its card).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

from extractors.files import ReadOptions, read_flat_log
from models.datafolder import DataFolder
from models.ml_assistant import (
    MODEL_NAMES,
    OPENED,
    SPECS,
    TARGETS,
    UCI_SPEC,
    FeatureSpec,
    Scores,
    SourceSpec,
    add_derived_features,
    build_incidents,
    build_landscape_cases,
    build_xes_cases,
    feature_rows,
    for_target,
    most_frequent_ranking,
    read_incident_events,
    score_suggestions,
    split_by_time,
    time_windows,
    window_threshold,
)
from services.model_store import ModelError, load_model, store_model, version_folder
from services.model_store import find_models as stored_cards

__all__ = [
    "AssistantError",
    "AssistantModel",
    "Evaluation",
    "Suggestion",
    "detect_source",
    "evaluate_assistant",
    "find_models",
    "form_fields",
    "latest_models",
    "read_model",
    "set_threshold",
    "suggest_all",
    "suggest_groups",
    "train_assistant",
    "train_targets",
]

_LOCAL: Final = ZoneInfo("Europe/Copenhagen")
TEST_SHARE: Final = 0.2
ORIGINS: Final = (0.7, 0.8, 0.9)
"""Where inside training the calibration windows start (shares of the training cases)."""
THRESHOLD_FILE: Final = "threshold.json"
_TASKS: Final = {
    "group": "suggest the final assignment group",
    "category": "suggest the final category (category|subcategory)",
    "priority": "suggest the final priority without impact and urgency as features",
}
LIMITS: Final = (
    "Trained on one source's period, so drift (new values, reorganisations) needs retraining; "
    "values unseen in training are never suggested. Confidence is calibrated on time windows "
    "inside training (rolling origins). No person is a feature."
)


AssistantError = ModelError
"""A model that is missing, unsigned, tampered with, or a ticket that cannot be read."""


@dataclass(frozen=True)
class Evaluation:
    """The model's scores and the two baselines' on the same time split (the second baseline
    groups by the card's ``baseline_by`` field; the key keeps its first name)."""

    model: Scores
    most_frequent: Scores
    most_frequent_per_category: Scores


@dataclass(frozen=True)
class Suggestion:
    """One ticket's answer for one target: the value (None when abstaining), its calibrated
    confidence, the top three with the classifier's probabilities, and the threshold used."""

    group: str | None
    confidence: float
    top3: tuple[tuple[str, float], ...]
    threshold: float = 0.0
    target: str = "group"
    model: str = ""

    def as_json(self) -> dict[str, Any]:
        """The assignment-group answer as ``kitflow predict suggest --json`` first gave it."""
        return {
            "group": self.group,
            "abstain": self.group is None,
            "confidence": self.confidence,
            "top3": [{"group": g, "probability": p} for g, p in self.top3],
        }

    def as_target_json(self) -> dict[str, Any]:
        """One target's answer: value, abstain, confidence, threshold, top 3 and model."""
        return {
            "value": self.group,
            "abstain": self.group is None,
            "confidence": self.confidence,
            "threshold": self.threshold,
            "top3": [{"value": g, "probability": p} for g, p in self.top3],
            "model": self.model,
        }


@dataclass
class AssistantModel:
    """The fitted parts and the model card (a JSON-able dict)."""

    encoder: OneHotEncoder
    classifier: LogisticRegression
    calibrator: LogisticRegression
    threshold: float
    card: dict[str, Any]
    target: str = "group"
    features: FeatureSpec = field(default_factory=lambda: UCI_SPEC.features("group"))

    def rank(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Values ranked per row (top three), their probabilities, and calibrated confidence."""
        proba = self.classifier.predict_proba(self.encoder.transform(rows))
        order = np.argsort(-proba, axis=1, kind="stable")[:, :3]
        top = np.take_along_axis(proba, order, axis=1)
        return self.classifier.classes_[order].astype(str), top, self.calibrate(top[:, 0])

    def calibrate(self, probability: np.ndarray) -> np.ndarray:
        """The calibrated confidence of top-1 ``probability`` (itself until calibrated)."""
        if not hasattr(self.calibrator, "coef_"):
            return probability
        calibrated: np.ndarray = self.calibrator.predict_proba(_logit(probability))[:, 1]
        return calibrated

    def rows(self, frame: pl.DataFrame) -> np.ndarray:
        """``frame``'s feature matrix for this model."""
        return feature_rows(frame, self.features.columns)


def _logit(probability: np.ndarray) -> np.ndarray:
    clipped = np.clip(probability, 1e-6, 1 - 1e-6)
    logit: np.ndarray = np.log(clipped / (1 - clipped)).reshape(-1, 1)
    return logit


def detect_source(source: Path) -> str:
    """``uci`` for a CSV or zip export, ``xes`` for an XES log, ``landscape`` for a data folder
    holding staged ServiceNow tables; AssistantError when it cannot tell."""
    name = source.name.lower()
    if name.endswith((".xes", ".xes.gz")):
        return "xes"
    if name.endswith((".zip", ".csv")):
        return "uci"
    if source.is_dir() and _staged_servicenow(source).exists():
        return "landscape"
    raise AssistantError(
        f"cannot tell what {source} is: give a ServiceNow export (.zip or .csv), an XES log "
        "(.xes or .xes.gz) or a data folder with staged ServiceNow tables, or name it with "
        "--source uci|landscape|xes."
    )


def _staged_servicenow(folder: Path) -> Path:
    return folder / "02_intermediate" / "servicenow" / "incident.parquet"


def read_cases(source: Path, kind: str, *, limit_rows: int | None = None) -> pl.DataFrame:
    """One row per case of ``source`` (of ``kind``): the fields as filed, the opening time and
    the targets (``models.ml_assistant``)."""
    if not source.exists():
        raise AssistantError(f"there is no {source}: check the path.")
    if kind == "uci":
        return build_incidents(read_incident_events(source, limit_rows=limit_rows))
    if kind == "xes":
        staged = read_flat_log(source, ReadOptions(pseudonymise=False))
        events = staged.frame if limit_rows is None else staged.frame.head(limit_rows)
        return build_xes_cases(events)
    if kind == "landscape":
        folder = _staged_servicenow(source).parent
        if not folder.exists():
            raise AssistantError(f"{source} holds no staged ServiceNow tables ({folder}).")
        tables = {
            t: pl.read_parquet(folder / f"{t}.parquet")
            for t in ("incident", "sc_req_item", "sys_user_group", "sc_cat_item")
            if (folder / f"{t}.parquet").exists()
        }
        empty = pl.DataFrame(schema=tables["incident"].schema)
        return build_landscape_cases(
            tables["incident"],
            tables.get("sc_req_item", empty.with_columns(pl.lit(None).alias("cat_item"))),
            tables["sys_user_group"],
            tables.get("sc_cat_item", pl.DataFrame(schema={"sys_id": pl.Utf8, "name": pl.Utf8})),
        )
    raise AssistantError(f"unknown source kind {kind!r}: use uci, landscape or xes.")


def train_targets(
    data: DataFolder,
    source: Path,
    *,
    targets: tuple[str, ...] = TARGETS,
    kind: str | None = None,
    **options: Any,
) -> list[tuple[AssistantModel, Evaluation, Path]]:
    """Train one model per target the source has (``train_assistant`` for each), reading the
    source once."""
    chosen = kind or detect_source(source)
    cases = read_cases(source, chosen, limit_rows=options.get("limit_rows"))
    spec = SPECS[chosen]
    return [
        _train(data, source, cases, spec, target, **options)
        for target in targets
        if target in spec.targets
    ]


def train_assistant(
    data: DataFolder,
    source: Path,
    *,
    target: str = "group",
    kind: str | None = None,
    **options: Any,
) -> tuple[AssistantModel, Evaluation, Path]:
    """Train ``target``'s model, evaluate it on the later 20 % and store a new version; returns
    the model, its evaluation and its folder (options: ``name``, ``seed``, ``limit_rows``,
    ``target_precision``, ``min_coverage``, ``regularisation``, ``origins``, ``refit``)."""
    chosen = kind or detect_source(source)
    if target not in SPECS[chosen].targets:
        raise AssistantError(f"a {chosen} source has no {target} to suggest.")
    cases = read_cases(source, chosen, limit_rows=options.get("limit_rows"))
    return _train(data, source, cases, SPECS[chosen], target, **options)


def _train(
    data: DataFolder,
    source: Path,
    cases: pl.DataFrame,
    spec: SourceSpec,
    target: str,
    *,
    name: str | None = None,
    seed: int = 0,
    limit_rows: int | None = None,
    target_precision: float = 0.8,
    min_coverage: float = 0.5,
    regularisation: float = 0.3,
    origins: tuple[float, ...] = ORIGINS,
    refit: bool = True,
) -> tuple[AssistantModel, Evaluation, Path]:
    started = time.perf_counter()
    model, evaluation, train, test = fit_and_score(
        cases,
        spec,
        target,
        seed=seed,
        precision=target_precision,
        coverage=min_coverage,
        regularisation=regularisation,
        origins=origins,
        refit=refit,
    )
    model.card = _card(source, spec, target, (train, test), evaluation=evaluation, seed=seed)
    model.card["data"]["rows"] = limit_rows
    model.card["classifier"] = (
        f"one-hot (min frequency 3) + multinomial logistic regression (C={regularisation})"
    )
    model.card["calibration"] = (
        "Platt scaling of the top-1 probability on the pooled windows after the rolling "
        f"origins {', '.join(f'{o:.0%}' for o in origins)} of training; threshold: the lowest "
        f"whose suggested window cases reach {target_precision:.0%} precision, lowered to "
        f"suggest on at least {min_coverage:.0%} of them"
        + ("; then refitted on the whole training period" if refit else "; not refitted")
    )
    model.card["threshold"] = model.threshold
    model.card["training_s"] = round(time.perf_counter() - started, 1)
    stored = store_model(data, name or MODEL_NAMES[target], model, model.card)
    return model, evaluation, stored


def fit_and_score(
    cases: pl.DataFrame,
    spec: SourceSpec,
    target: str,
    *,
    seed: int = 0,
    precision: float = 0.8,
    coverage: float = 0.5,
    regularisation: float = 0.3,
    origins: tuple[float, ...] = ORIGINS,
    refit: bool = True,
    test_share: float = TEST_SHARE,
) -> tuple[AssistantModel, Evaluation, pl.DataFrame, pl.DataFrame]:
    """Fit, calibrate and threshold ``target``'s model on the earlier ``1 - test_share`` of
    ``cases`` and score it beside the baselines on the rest (nothing is stored)."""
    usable = for_target(cases, target, spec)
    train, test = split_by_time(usable, test_share=test_share)
    model = AssistantModel(
        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=3),
        LogisticRegression(C=regularisation, max_iter=300, random_state=seed),
        LogisticRegression(),
        1.0,
        {},
        target,
        spec.features(target),
    )
    last = _calibrate(model, train, precision, coverage, origins)
    if refit or last is None:
        _fit(model, train)  # the latest weeks matter most: refit on the whole training period
    else:
        model.encoder, model.classifier = last
    return model, _evaluate(model, spec, train, test), train, test


def _fit(model: AssistantModel, part: pl.DataFrame) -> None:
    rows = model.encoder.fit_transform(model.rows(part))
    model.classifier.fit(rows, part["target"].to_numpy())


def _calibrate(
    model: AssistantModel,
    train: pl.DataFrame,
    precision: float,
    coverage: float,
    origins: tuple[float, ...],
) -> tuple[OneHotEncoder, LogisticRegression] | None:
    """Fit a copy of the model before each origin, score the window after it, calibrate on
    the pooled windows and set the threshold on them (``window_threshold`` of one pool);
    returns the last copy's fitted parts."""
    probabilities, corrects = [], []
    fitted = None
    for before, window in time_windows(train, origins):
        if before.is_empty() or window.is_empty():
            continue
        part = AssistantModel(
            clone(model.encoder),
            clone(model.classifier),
            LogisticRegression(),
            1.0,
            {},
            model.target,
            model.features,
        )
        _fit(part, before)
        ranked, top, _ = part.rank(part.rows(window))
        probabilities.append(top[:, 0])
        corrects.append(ranked[:, 0] == window["target"].to_numpy().astype(str))
        fitted = (part.encoder, part.classifier)
    if not probabilities:
        return None
    probability, correct = np.concatenate(probabilities), np.concatenate(corrects)
    if len(np.unique(correct)) == 2:
        model.calibrator = LogisticRegression(C=1e6)
        model.calibrator.fit(_logit(probability), correct.astype(float))
    confidence = model.calibrate(probability)
    pooled = np.zeros(len(confidence), dtype=np.int64)  # chosen over the lowest window: docs/ml.md
    model.threshold = window_threshold(
        confidence, correct, pooled, precision=precision, coverage=coverage
    )
    return fitted


def _evaluate(
    model: AssistantModel, spec: SourceSpec, train: pl.DataFrame, test: pl.DataFrame
) -> Evaluation:
    truth = test["target"].to_numpy().astype(str)
    ranked, _, confidence = model.rank(model.rows(test))
    return Evaluation(
        model=score_suggestions(ranked, confidence, truth, threshold=model.threshold),
        most_frequent=_baseline(train, test, None),
        most_frequent_per_category=_baseline(train, test, spec.baseline_by[model.target]),
    )


def _baseline(train: pl.DataFrame, test: pl.DataFrame, by: str | None) -> Scores:
    ranked = most_frequent_ranking(train, test, by=by)
    truth = test["target"].to_numpy().astype(str)
    return score_suggestions(ranked, np.ones(len(truth)), truth, threshold=0.0)


def evaluate_assistant(
    data: DataFolder, name: str, *, version: str | None = None, source: Path | None = None
) -> tuple[dict[str, Any], Evaluation]:
    """Re-evaluate a stored model on the test part of its source (or ``source``), by the same
    time split and with the same row limit it was trained with."""
    model = read_model(data, name, version=version)
    recorded = model.card["data"]
    path = source or Path(recorded["source"])
    kind = recorded.get("kind", "uci")
    cases = for_target(
        read_cases(path, kind, limit_rows=recorded["rows"]), model.target, SPECS[kind]
    )
    train, test = split_by_time(cases, test_share=TEST_SHARE)
    return model.card, _evaluate(model, SPECS[kind], train, test)


def _card(
    source: Path,
    spec: SourceSpec,
    target: str,
    split: tuple[pl.DataFrame, pl.DataFrame],
    *,
    evaluation: Evaluation,
    seed: int,
) -> dict[str, Any]:
    train, test = split
    return {
        "task": f"{_TASKS[target]} of a case at filing time ({spec.kind})",
        "target": target,
        "data": {
            "source": str(source.resolve()),
            "kind": spec.kind,
            "rows": None,
            "incidents": train.height + test.height,
            "train_incidents": train.height,
            "test_incidents": test.height,
            "train_period": [_iso(train[OPENED].min()), _iso(train[OPENED].max())],
            "test_period": [_iso(test[OPENED].min()), _iso(test[OPENED].max())],
        },
        "features": list(spec.features(target).columns),
        "baseline_by": spec.baseline_by[target],
        "metrics": _as_json(evaluation),
        "limits": LIMITS,
        "seed": seed,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _as_json(evaluation: Evaluation) -> dict[str, Any]:
    return {k: asdict(v) for k, v in vars(evaluation).items()}


def find_models(data: DataFolder) -> list[dict[str, Any]]:
    """Every stored version's card (``services.model_store.find_models``), ``threshold`` being
    the one in force: an administrator's (``set_threshold``; the trained one kept as
    ``trained_threshold``) or else the trained one."""
    cards = []
    for card in stored_cards(data):
        override = _override(data, card["name"], card["version"])
        card["trained_threshold"] = card.get("threshold")
        if override is not None:
            card["threshold"] = override["threshold"]
            card["threshold_set_at"] = override["set_at"]
        cards.append(card)
    return cards


def _override(data: DataFolder, name: str, version: str) -> dict[str, Any] | None:
    path = data.model_store() / name / version / THRESHOLD_FILE
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text("utf-8"))
        threshold = float(value["threshold"])
    except (ValueError, KeyError, TypeError):
        raise AssistantError(f"{path} is not a threshold file; set it again.") from None
    if not 0.0 <= threshold <= 1.0:
        raise AssistantError(f"{path} holds threshold {threshold}, outside 0..1; set it again.")
    return {"threshold": threshold, "set_at": str(value.get("set_at", ""))}


def set_threshold(
    data: DataFolder, name: str, value: float, *, version: str | None = None
) -> dict[str, Any]:
    """Set the abstention threshold of model ``name`` (latest version unless ``version``) to
    ``value`` (0..1): written as ``threshold.json`` next to its card, used from then on by
    ``suggest_all``, the API and the page. Returns what was written."""
    if not 0.0 <= value <= 1.0:
        raise AssistantError(f"the threshold must lie between 0 and 1, not {value}.")
    folder = version_folder(data, name, version)
    written = {
        "name": name,
        "version": folder.name,
        "threshold": value,
        "set_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (folder / THRESHOLD_FILE).write_text(json.dumps(written, indent=2), "utf-8")
    return written


def suggest_groups(
    data: DataFolder,
    tickets: list[dict[str, Any]],
    *,
    name: str = "assignment-group",
    version: str | None = None,
    threshold: float | None = None,
) -> list[Suggestion]:
    """Per ticket (keys: the raw feature names and ``opened_at`` in ISO form) model ``name``'s
    suggestion, or an abstention below ``threshold`` (default: the administrator's, else the
    one chosen at training)."""
    model = read_model(data, name, version=version)
    chosen = version_folder(data, name, version).name
    override = _override(data, name, chosen)
    cut = threshold if threshold is not None else override["threshold"] if override else None
    cut = model.threshold if cut is None else cut
    ranked, top, confidence = model.rank(model.rows(_ticket_frame(tickets, model.features)))
    return [
        Suggestion(
            group=str(r[0]) if c >= cut else None,
            confidence=round(float(c), 4),
            top3=tuple((str(g), round(float(p), 4)) for g, p in zip(r, t, strict=True)),
            threshold=round(float(cut), 4),
            target=model.target,
            model=f"{name} v{chosen}",
        )
        for r, t, c in zip(ranked, top, confidence, strict=True)
    ]


def suggest_all(
    data: DataFolder, tickets: list[dict[str, Any]], *, threshold: float | None = None
) -> list[dict[str, Any]]:
    """Per ticket every target that has a stored model (its latest version): ``targets``
    maps target to ``Suggestion.as_target_json``; the assignment group's answer also under
    the first keys (``group``, ``abstain``, ``confidence``, ``top3``)."""
    stored = {c["name"] for c in stored_cards(data)}
    answers: list[dict[str, Any]] = [{} for _ in tickets]
    targets: list[dict[str, Any]] = [{} for _ in tickets]
    found = False
    for target in TARGETS:
        name = MODEL_NAMES[target]
        if name not in stored:
            continue
        found = True
        said = suggest_groups(data, tickets, name=name, threshold=threshold)
        for answer, per_target, one in zip(answers, targets, said, strict=True):
            per_target[target] = one.as_target_json()
            if target == "group":
                answer.update(one.as_json())
    if not found:
        raise AssistantError("there is no stored model; train one with 'kitflow predict train'.")
    return [{**a, "targets": t} for a, t in zip(answers, targets, strict=True)]


def _ticket_frame(tickets: list[dict[str, Any]], features: FeatureSpec) -> pl.DataFrame:
    raw = features.raw
    rows = []
    for i, ticket in enumerate(tickets):
        if not isinstance(ticket, dict):
            raise AssistantError(f"ticket {i + 1} is not a JSON object; give one object a ticket.")
        values: dict[str, object] = {
            c: str(ticket.get(c, ticket.get(c.removeprefix("u_"), "?"))) for c in raw
        }
        values[OPENED] = _opened(ticket.get(OPENED), i)
        rows.append(values)
    schema = {**dict.fromkeys(raw, pl.Utf8), OPENED: pl.Datetime}
    return add_derived_features(pl.DataFrame(rows, schema=schema), features)


def _opened(value: object, index: int) -> datetime:
    """The filing time as the export's local wall-clock time (hour and weekday are features):
    now when not given, a time with an offset converted to Copenhagen time."""
    if value is None:
        return datetime.now(_LOCAL).replace(tzinfo=None)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise AssistantError(
            f"ticket {index + 1}: opened_at {value!r} is not an ISO date-time "
            "(e.g. 2016-03-01T09:30)."
        ) from None
    return moment.astimezone(_LOCAL).replace(tzinfo=None) if moment.tzinfo else moment


def read_model(data: DataFolder, name: str, *, version: str | None = None) -> AssistantModel:
    """The stored assistant ``name`` (latest version unless ``version``), once its signature
    matches (``services.model_store``)."""
    model = load_model(data, name, AssistantModel, version=version)
    if "features" not in vars(model):  # stored before the assistant had several targets
        model.features = UCI_SPEC.features("group")
    return model


def latest_models(data: DataFolder) -> dict[str, dict[str, Any]]:
    """Per target with a stored model, the latest version's card (``find_models``)."""
    names = {MODEL_NAMES[t]: t for t in TARGETS}
    latest: dict[str, dict[str, Any]] = {}
    for card in find_models(data):
        target = names.get(card["name"])
        if target is None:
            continue
        held = latest.get(target)
        if held is None or int(card["version"]) > int(held["version"]):
            latest[target] = card
    return {t: latest[t] for t in TARGETS if t in latest}


def form_fields(data: DataFolder) -> list[tuple[str, tuple[str, ...]]]:
    """The filing-time fields the latest stored models read, each with the values they were
    trained on (sorted; the missing mark left out), the assignment group's fields first."""
    cards = latest_models(data)
    key = tuple(
        (c["name"], c["version"], _mtime(data, c["name"], c["version"])) for c in cards.values()
    )
    return _form_fields(data, key)


def _mtime(data: DataFolder, name: str, version: str) -> float:
    return (data.model_store() / name / version / "model.joblib").stat().st_mtime


@lru_cache(maxsize=8)
def _form_fields(
    data: DataFolder, models: tuple[tuple[str, str, float], ...]
) -> list[tuple[str, tuple[str, ...]]]:
    values: dict[str, set[str]] = {}
    for name, version, _ in models:
        model = read_model(data, name, version=version)
        for column, known in zip(model.features.columns, model.encoder.categories_, strict=True):
            if column in model.features.raw:
                values.setdefault(column, set()).update(str(v) for v in known if v != "?")
    return [(field, tuple(sorted(values[field]))) for field in values]
