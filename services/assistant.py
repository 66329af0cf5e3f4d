"""The fill-in assistant (issue #16): suggest a ServiceNow incident's assignment group from what
is known when it is filed, with a calibrated confidence, or abstain.

Training reads the UCI-style export, keeps each incident's values as filed, and splits by opening
time: the first 80 % trains, the last 20 % tests. The training part is itself split by time: its
first 90 % fits the classifier (one-hot features, multinomial logistic regression), its last 10 %
calibrates the top-1 confidence (Platt scaling: monotone, so it keeps the ranking) and chooses
the abstention threshold. Models are stored versioned with a model card; the model file is signed
with an HMAC key kept outside the data folder, and a file whose signature does not match is
refused before it is unpickled.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

from models.datafolder import DataFolder
from models.ml_assistant import (
    FEATURES,
    OPENED,
    RAW_FEATURES,
    Scores,
    add_derived_features,
    build_incidents,
    choose_threshold,
    feature_rows,
    most_frequent_ranking,
    read_incident_events,
    score_suggestions,
    split_by_time,
)
from services.model_store import ModelError, find_models, load_model, store_model

__all__ = [
    "AssistantError",
    "AssistantModel",
    "Evaluation",
    "Suggestion",
    "evaluate_assistant",
    "find_models",
    "read_model",
    "suggest_groups",
    "train_assistant",
]

_LOCAL: Final = ZoneInfo("Europe/Copenhagen")
TEST_SHARE: Final = 0.2
CALIBRATION_SHARE: Final = 0.1
LIMITS: Final = (
    "Suggests the final assignment group only; trained on one export's period, so drift "
    "(new groups, reorganisations) needs retraining. Groups unseen in training are never "
    "suggested. Confidence is calibrated on the latest 10 % of the training period. No person "
    "is a feature."
)


AssistantError = ModelError
"""A model that is missing, unsigned, tampered with, or a ticket that cannot be read."""


@dataclass(frozen=True)
class Evaluation:
    """The model's scores and the two baselines' on the same time split."""

    model: Scores
    most_frequent: Scores
    most_frequent_per_category: Scores


@dataclass(frozen=True)
class Suggestion:
    """One ticket's answer: the group (None when abstaining), its calibrated confidence, and the
    top three groups with the classifier's probabilities."""

    group: str | None
    confidence: float
    top3: tuple[tuple[str, float], ...]

    def as_json(self) -> dict[str, Any]:
        """As ``kitflow predict suggest --json`` and ``POST /api/assistant/suggest`` answer it."""
        return {
            "group": self.group,
            "abstain": self.group is None,
            "confidence": self.confidence,
            "top3": [{"group": g, "probability": p} for g, p in self.top3],
        }


@dataclass
class AssistantModel:
    """The fitted parts and the model card (a JSON-able dict)."""

    encoder: OneHotEncoder
    classifier: LogisticRegression
    calibrator: LogisticRegression
    threshold: float
    card: dict[str, Any]

    def rank(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Groups ranked per row (top three), their probabilities, and calibrated confidence."""
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


def _logit(probability: np.ndarray) -> np.ndarray:
    clipped = np.clip(probability, 1e-6, 1 - 1e-6)
    logit: np.ndarray = np.log(clipped / (1 - clipped)).reshape(-1, 1)
    return logit


def train_assistant(
    data: DataFolder,
    source: Path,
    *,
    name: str = "assignment-group",
    seed: int = 0,
    limit_rows: int | None = None,
    target_precision: float = 0.8,
    min_coverage: float = 0.5,
    regularisation: float = 0.3,
) -> tuple[AssistantModel, Evaluation, Path]:
    """Train, evaluate on the later 20 %, and store a new version; returns the model, its
    evaluation and its folder. The abstention threshold is the lowest confidence whose suggested
    calibration cases reach ``target_precision``, lowered if needed so that at least
    ``min_coverage`` of the calibration cases are suggested."""
    started = time.perf_counter()
    incidents = build_incidents(read_incident_events(source, limit_rows=limit_rows))
    train, test = split_by_time(incidents, test_share=TEST_SHARE)
    fit_part, calibration = split_by_time(train, test_share=CALIBRATION_SHARE)
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=3)
    classifier = LogisticRegression(C=regularisation, max_iter=300, random_state=seed)
    model = AssistantModel(encoder, classifier, LogisticRegression(), 1.0, {})
    _fit(model, fit_part)
    _calibrate(model, calibration, target_precision, min_coverage)
    _fit(model, train)  # the latest weeks matter most: refit on the whole training period
    evaluation = _evaluate(model, train, test)
    model.card = _card(source, incidents, train, test, evaluation, seed=seed, limit_rows=limit_rows)
    model.card["threshold"] = model.threshold
    model.card["training_s"] = round(time.perf_counter() - started, 1)
    return model, evaluation, store_model(data, name, model, model.card)


def _fit(model: AssistantModel, part: pl.DataFrame) -> None:
    rows = model.encoder.fit_transform(feature_rows(part))
    model.classifier.fit(rows, part["target"].to_numpy())


def _calibrate(
    model: AssistantModel, calibration: pl.DataFrame, precision: float, coverage: float
) -> None:
    ranked, top, _ = model.rank(feature_rows(calibration))
    correct = (ranked[:, 0] == calibration["target"].to_numpy()).astype(float)
    model.calibrator = LogisticRegression(C=1e6)
    model.calibrator.fit(_logit(top[:, 0]), correct)
    confidence = model.calibrate(top[:, 0])
    by_precision = choose_threshold(confidence, correct.astype(bool), precision=precision)
    by_coverage = float(np.quantile(confidence, 1 - coverage, method="lower"))
    model.threshold = min(by_precision, by_coverage)


def _evaluate(model: AssistantModel, train: pl.DataFrame, test: pl.DataFrame) -> Evaluation:
    truth = test["target"].to_numpy().astype(str)
    ranked, _, confidence = model.rank(feature_rows(test))
    return Evaluation(
        model=score_suggestions(ranked, confidence, truth, threshold=model.threshold),
        most_frequent=_baseline(train, test, None),
        most_frequent_per_category=_baseline(train, test, "category"),
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
    path = source or Path(model.card["data"]["source"])
    incidents = build_incidents(read_incident_events(path, limit_rows=model.card["data"]["rows"]))
    train, test = split_by_time(incidents, test_share=TEST_SHARE)
    return model.card, _evaluate(model, train, test)


def _card(
    source: Path,
    incidents: pl.DataFrame,
    train: pl.DataFrame,
    test: pl.DataFrame,
    evaluation: Evaluation,
    *,
    seed: int,
    limit_rows: int | None,
) -> dict[str, Any]:
    return {
        "task": "suggest the final assignment group of a ServiceNow incident at filing time",
        "data": {
            "source": str(source.resolve()),
            "rows": limit_rows,
            "incidents": incidents.height,
            "train_incidents": train.height,
            "test_incidents": test.height,
            "train_period": [_iso(train[OPENED].min()), _iso(train[OPENED].max())],
            "test_period": [_iso(test[OPENED].min()), _iso(test[OPENED].max())],
        },
        "features": list(FEATURES),
        "classifier": "one-hot (min frequency 3) + multinomial logistic regression (C=0.3)",
        "calibration": "Platt scaling of the top-1 probability on the latest 10 % of training",
        "metrics": _as_json(evaluation),
        "limits": LIMITS,
        "seed": seed,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _as_json(evaluation: Evaluation) -> dict[str, Any]:
    return {k: asdict(v) for k, v in vars(evaluation).items()}


def suggest_groups(
    data: DataFolder,
    tickets: list[dict[str, Any]],
    *,
    name: str = "assignment-group",
    version: str | None = None,
    threshold: float | None = None,
) -> list[Suggestion]:
    """Per ticket (keys: the raw feature names and ``opened_at`` in ISO form) the suggestion, or
    an abstention below ``threshold`` (default: the one chosen at training)."""
    model = read_model(data, name, version=version)
    ranked, top, confidence = model.rank(feature_rows(_ticket_frame(tickets)))
    cut = model.threshold if threshold is None else threshold
    return [
        Suggestion(
            group=str(r[0]) if c >= cut else None,
            confidence=round(float(c), 4),
            top3=tuple((str(g), round(float(p), 4)) for g, p in zip(r, t, strict=True)),
        )
        for r, t, c in zip(ranked, top, confidence, strict=True)
    ]


def _ticket_frame(tickets: list[dict[str, Any]]) -> pl.DataFrame:
    rows = []
    for i, ticket in enumerate(tickets):
        if not isinstance(ticket, dict):
            raise AssistantError(f"ticket {i + 1} is not a JSON object; give one object a ticket.")
        values: dict[str, object] = {
            c: str(ticket.get(c, ticket.get(c.removeprefix("u_"), "?"))) for c in RAW_FEATURES
        }
        values[OPENED] = _opened(ticket.get(OPENED), i)
        rows.append(values)
    schema = {**dict.fromkeys(RAW_FEATURES, pl.Utf8), OPENED: pl.Datetime}
    return add_derived_features(pl.DataFrame(rows, schema=schema))


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
    return load_model(data, name, AssistantModel, version=version)
