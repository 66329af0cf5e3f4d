"""Predictions for open cases of a stored log (issue #16): remaining time, the risk of breaching
the SLA, and the next activity, from each case's prefix (:mod:`models.ml_open_cases`).

Training splits by case start: the split moment is the start of the case at 80 % of the cases
by start; the model learns from the moments of the completed cases that started before it and
is scored on those of the completed cases that started at or after it (no case on both sides;
features from each case's prefix only). Three scikit-learn models
share one encoding: a gradient-boosting regressor of log(1 + remaining hours), a
gradient-boosting classifier of the SLA breach calibrated (Platt) on the latest tenth of the
training cases, and a multinomial gradient-boosting classifier of the next activity. A model
per log is stored signed and versioned with its card (``services.model_store``) as
``open-cases-<log>``.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from mining import check_group_size
from models.datafolder import DataFolder
from models.ml_open_cases import (
    MOMENT,
    NextActivityScores,
    PrefixSpec,
    RemainingScores,
    SlaScores,
    build_event_states,
    build_spec,
    find_open_prefixes,
    label_sla,
    score_next_activity,
    score_remaining,
    score_sla,
    split_by_time,
)
from models.schema import CASE, TIMESTAMP
from models.store import LogStore
from services.governance import CLOSING_ACTIVITIES, CLOSING_PREFIX
from services.model_store import ModelError, find_models, load_model, store_model

__all__ = [
    "OpenCaseEvaluation",
    "OpenCaseModel",
    "OpenCasePredictions",
    "evaluate_open_case_model",
    "find_open_case_card",
    "model_name_for",
    "predict_open_cases",
    "train_open_case_model",
]

TEST_SHARE: Final = 0.2
CALIBRATION_SHARE: Final = 0.1
TARGET_ROWS: Final = 40_000
MISSING: Final = "(none)"
LIMITS: Final = (
    "Learns from one log's past: drift (new activities, reorganised groups, changed SLAs) needs "
    "retraining. Cases still open at the log's end have no outcome and are left out of "
    "training and test, so the latest cases tested are the shorter ones. Case attributes are "
    "the values the log holds (ServiceNow writes a record's current value, which may have "
    "changed during the case). No person is a feature."
)


@dataclass
class OpenCaseModel:
    """The fitted parts of one log's model, its spec and its card (a JSON-able dict)."""

    spec: PrefixSpec
    encoder: OrdinalEncoder
    remaining: HistGradientBoostingRegressor
    sla: CalibratedClassifierCV | None
    sla_train_rate: float
    next_activity: HistGradientBoostingClassifier
    card: dict[str, Any]

    def matrix(self, rows: pl.DataFrame) -> np.ndarray:
        """The feature matrix of prefix rows: encoded categories first, then numbers."""
        return _matrix(self.spec, self.encoder, rows)

    def predict_remaining_h(self, x: np.ndarray) -> np.ndarray:
        predicted: np.ndarray = np.expm1(self.remaining.predict(x)).clip(min=0.0)
        return predicted

    def predict_sla_risk(self, x: np.ndarray) -> np.ndarray:
        if self.sla is None:
            return np.full(len(x), self.sla_train_rate)
        risk: np.ndarray = self.sla.predict_proba(x)[:, 1]
        return risk

    def rank_next(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The three likeliest next activities per row and their probabilities."""
        proba = self.next_activity.predict_proba(x)
        order = np.argsort(-proba, axis=1, kind="stable")[:, :3]
        classes = self.next_activity.classes_.astype(str)
        return classes[order], np.take_along_axis(proba, order, axis=1)


@dataclass(frozen=True)
class OpenCaseEvaluation:
    """The model's measures on the test moments beside the baselines (see the scores)."""

    remaining: RemainingScores
    sla: SlaScores | None
    next_activity: NextActivityScores

    def as_json(self) -> dict[str, Any]:
        return {
            "remaining": asdict(self.remaining),
            "sla": None if self.sla is None else asdict(self.sla),
            "next_activity": asdict(self.next_activity),
        }


@dataclass(frozen=True)
class OpenCasePredictions:
    """The open cases of ``log`` at ``as_of`` and their predictions: one row per case
    (``case_id``, ``last_activity``, ``org_unit``, ``last_event`` (UTC), ``elapsed_h``,
    ``idle_h``, ``remaining_h``, ``expected_end`` (UTC), ``sla_state``, ``sla_risk``,
    ``next_activity``, ``next_probability``), the longest predicted remaining time first.
    ``card``: the model's card; ``withheld``: the log shows fewer than 5 people, so no case is
    listed."""

    log: str
    as_of: dt.datetime
    cases: pl.DataFrame
    card: dict[str, Any]
    withheld: bool = False

    def as_json(self) -> dict[str, Any]:
        rows = [
            {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
            for row in self.cases.iter_rows(named=True)
        ]
        return {
            "log": self.log,
            "as_of": self.as_of.isoformat(),
            "model": {"name": self.card.get("name"), "version": self.card.get("version")},
            "sla": self.card.get("sla"),
            "withheld": self.withheld,
            "open_cases": len(rows),
            "cases": rows,
        }


def model_name_for(log: str) -> str:
    """The stored model's name for ``log``."""
    return f"open-cases-{log}"


def _matrix(spec: PrefixSpec, encoder: OrdinalEncoder, rows: pl.DataFrame) -> np.ndarray:
    categories = rows.select(
        pl.col(c).cast(pl.String).fill_null(MISSING) for c in spec.categorical
    ).to_numpy()
    numbers = rows.select(pl.col(c).cast(pl.Float64) for c in spec.numeric).to_numpy()
    encoded = encoder.transform(categories)
    return np.hstack([encoded, numbers]).astype(np.float64)


def _known_closing(events: pl.DataFrame) -> list[str]:
    activities = events["activity"].cast(pl.String).unique().to_list()
    return [a for a in activities if a.startswith(CLOSING_PREFIX) or a in CLOSING_ACTIVITIES]


def train_open_case_model(
    store: LogStore,
    log: str,
    *,
    sla_hours: float | None = None,
    end_activities: list[str] | None = None,
    seed: int = 0,
    target_rows: int = TARGET_ROWS,
) -> tuple[OpenCaseModel, OpenCaseEvaluation, Any]:
    """Train on the earlier part of ``log``, score on the later part, store a new version of
    ``open-cases-<log>``; returns the model, its evaluation and its folder. ``target_rows``:
    about how many moments the grid gives (at most that many a side)."""
    if sla_hours is not None and not sla_hours > 0:
        raise ModelError(f"--sla-hours {sla_hours} must be a number of hours above 0.")
    started = time.perf_counter()
    events = store.read(log)
    spec = build_spec(
        events,
        end_activities=end_activities,
        known_end_activities=_known_closing(events),
        sla_hours=sla_hours,
    )
    states = build_event_states(events, spec)
    split = split_by_time(states, test_share=TEST_SHARE, target_rows=target_rows, seed=seed)
    train, test = label_sla(split.train, spec), label_sla(split.test, spec)
    _check_enough(log, spec, train, test)
    with threadpool_limits(1):  # one thread: steady on a shared 2-core machine
        model = _fit(spec, train, seed=seed)
        evaluation = _evaluate(model, train, test)
    model.card = _card(
        store, log, spec=spec, split_at=split.split_at, step=split.step, train=train, test=test,
        evaluation=evaluation,
    )  # fmt: skip
    model.card["seed"] = seed
    model.card["target_rows"] = target_rows
    model.card["training_s"] = round(time.perf_counter() - started, 1)
    folder = store_model(store.data, model_name_for(log), model, model.card)
    return model, evaluation, folder


def _check_enough(log: str, spec: PrefixSpec, train: pl.DataFrame, test: pl.DataFrame) -> None:
    if not spec.end_activities:
        raise ModelError(
            f"no end activity found in {log!r}: name the activities that end a case with "
            "--end-activity."
        )
    if train.height < 50 or test.height < 10 or train["next_activity"].n_unique() < 2:
        raise ModelError(
            f"{log!r} has too few completed cases to learn from ({train.height} training and "
            f"{test.height} test moments); predictions need a longer log."
        )


def _fit(spec: PrefixSpec, train: pl.DataFrame, *, seed: int) -> OpenCaseModel:
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        min_frequency=5,
        max_categories=250,
    )
    encoder.fit(
        train.select(
            pl.col(c).cast(pl.String).fill_null(MISSING) for c in spec.categorical
        ).to_numpy()
    )
    mask = [True] * len(spec.categorical) + [False] * len(spec.numeric)
    x = _matrix(spec, encoder, train)
    remaining = HistGradientBoostingRegressor(
        max_iter=200, learning_rate=0.1, categorical_features=mask, random_state=seed,
        early_stopping=False,
    )  # fmt: skip
    remaining.fit(x, np.log1p(train["remaining_h"].to_numpy()))
    nexts = HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.1, l2_regularization=1.0, min_samples_leaf=50,
        categorical_features=mask, random_state=seed, early_stopping=False,
    )  # fmt: skip
    nexts.fit(x, train["next_activity"].to_numpy().astype(str))
    sla, rate = _fit_sla(spec, train, x, mask, seed=seed)
    return OpenCaseModel(spec, encoder, remaining, sla, rate, nexts, {})


def _fit_sla(
    spec: PrefixSpec, train: pl.DataFrame, x: np.ndarray, mask: list[bool], *, seed: int
) -> tuple[CalibratedClassifierCV | None, float]:
    """The calibrated breach classifier: fitted on the moments of the earlier 90 % of the
    training cases (by start), Platt-scaled on the latest 10 %'s."""
    open_sla = (train["sla_state"] == "open").to_numpy()
    if spec.sla == "none" or not open_sla.any():
        return None, 0.0
    rows = train.filter(pl.col("sla_state") == "open")
    outcome = rows["sla_breach"].to_numpy().astype(int)
    rate = float(outcome.mean())
    starts = rows.group_by(CASE).agg(pl.col("case_start").first()).sort("case_start", CASE)
    late = set(starts[CASE][int(starts.height * (1 - CALIBRATION_SHARE)) :].to_list())
    is_late = rows[CASE].is_in(list(late)).to_numpy()
    fit_idx, cal_idx = np.flatnonzero(~is_late), np.flatnonzero(is_late)
    if len(np.unique(outcome)) < 2 or len(np.unique(outcome[fit_idx])) < 2 or not len(cal_idx):
        return None, rate
    base = HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.1, l2_regularization=1.0, min_samples_leaf=50,
        categorical_features=mask, random_state=seed, early_stopping=False,
    )  # fmt: skip
    calibrated = CalibratedClassifierCV(base, method="sigmoid", cv=[(fit_idx, cal_idx)])
    calibrated.fit(x[open_sla], outcome)
    return calibrated, rate


def _evaluate(model: OpenCaseModel, train: pl.DataFrame, test: pl.DataFrame) -> OpenCaseEvaluation:
    x = model.matrix(test)
    ranked, _ = model.rank_next(x)
    sla = None
    if model.spec.sla != "none":
        open_rows = (test["sla_state"] == "open").to_numpy()
        outcome = test.filter(pl.col("sla_state") == "open")["sla_breach"].to_numpy()
        sla = score_sla(model.sla_train_rate, model.predict_sla_risk(x[open_rows]), outcome)
    return OpenCaseEvaluation(
        remaining=score_remaining(train, test, model.predict_remaining_h(x)),
        sla=sla,
        next_activity=score_next_activity(train, test, ranked),
    )


def _card(
    store: LogStore,
    log: str,
    *,
    spec: PrefixSpec,
    split_at: dt.datetime,
    step: dt.timedelta,
    train: pl.DataFrame,
    test: pl.DataFrame,
    evaluation: OpenCaseEvaluation,
) -> dict[str, Any]:
    entry = store.entry(log)
    return {
        "task": f"predict remaining time, SLA breach risk and next activity of open cases of {log}",
        "log": log,
        "data": {
            "log": log,
            "source": entry.source_path,
            "imported_at": entry.imported_at.isoformat(),
            "split": "by case start: training cases started before split_at, test cases at "
            "or after it; moments on a grid, sampled to at most target_rows a side",
            "split_at": split_at.isoformat(),
            "grid_step_minutes": int(step / dt.timedelta(minutes=1)),
            "train_cases": train[CASE].n_unique(),
            "train_moments": train.height,
            "test_cases": test[CASE].n_unique(),
            "test_moments": test.height,
            "train_period": [_iso(train[MOMENT].min()), _iso(train[MOMENT].max())],
            "test_period": [_iso(test[MOMENT].min()), _iso(test[MOMENT].max())],
        },
        "end_activities": list(spec.end_activities),
        "sla": {"mode": spec.sla, "hours": spec.sla_hours},
        "features": [*spec.categorical, *spec.numeric],
        "models": {
            "remaining": "HistGradientBoostingRegressor on log(1 + remaining hours), 200 rounds",
            "sla": "HistGradientBoostingClassifier, Platt-calibrated on the latest 10 % of "
            "training cases",
            "next_activity": "HistGradientBoostingClassifier (multinomial), 100 rounds, "
            "L2 1.0, at least 50 moments a leaf",
        },
        "baselines": {
            "remaining": "mean remaining time of the training moments with the same last "
            "activity; and with the same prefix length",
            "sla": "the training breach rate as a constant risk",
            "next_activity": "the most frequent next activity in training; and the most "
            "frequent after the same last activity",
        },
        "metrics": evaluation.as_json(),
        "limits": LIMITS,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else None


def find_open_case_card(store: LogStore, log: str) -> dict[str, Any] | None:
    """The card of the latest stored model of ``log`` (None when none is stored)."""
    name = model_name_for(log)
    cards = [c for c in find_models(store.data) if c["name"] == name]
    return max(cards, key=lambda c: int(c["version"])) if cards else None


def read_open_case_model(data: DataFolder, log: str, version: str | None = None) -> OpenCaseModel:
    """The stored model of ``log`` once its signature matches."""
    folder = data.model_store() / model_name_for(log)
    if version is None and not any(folder.glob("*/model.joblib")):
        raise ModelError(
            f"no prediction model is stored for {log!r}: train one with "
            f"'kitflow predict cases-train {log}' (add --sla-hours H for an SLA in hours)."
        )
    return load_model(data, model_name_for(log), OpenCaseModel, version=version)


def evaluate_open_case_model(
    store: LogStore, log: str, *, version: str | None = None
) -> tuple[dict[str, Any], OpenCaseEvaluation]:
    """Score the stored model of ``log`` again on the test moments of the same split."""
    store.entry(log)
    model = read_open_case_model(store.data, log, version)
    states = build_event_states(store.read(log), model.spec)
    seed, rows = int(model.card.get("seed", 0)), int(model.card.get("target_rows", TARGET_ROWS))
    split = split_by_time(states, test_share=TEST_SHARE, target_rows=rows, seed=seed)
    train, test = label_sla(split.train, model.spec), label_sla(split.test, model.spec)
    with threadpool_limits(1):
        return model.card, _evaluate(model, train, test)


def predict_open_cases(
    store: LogStore,
    log: str,
    *,
    as_of: dt.datetime | None = None,
    cases: list[str] | None = None,
) -> OpenCasePredictions:
    """The cases of ``log`` open at ``as_of`` (default: just after its last event), or only
    ``cases``, with their predictions from the stored model (raises ``ModelError`` when none
    is stored)."""
    store.entry(log)  # a log that is not stored is named as such
    model = read_open_case_model(store.data, log)
    card = {**model.card, **_version_of(store, log)}
    events = store.read(log)
    last = events[TIMESTAMP].max()
    moment = as_of or (
        last + dt.timedelta(microseconds=1)
        if isinstance(last, dt.datetime)
        else dt.datetime.now(dt.UTC)
    )
    if not check_group_size(events).enough:
        return OpenCasePredictions(log, moment, _empty(), card, withheld=True)
    before = events.filter(pl.col(TIMESTAMP) < moment)
    if cases is not None:
        before = before.filter(pl.col(CASE).cast(pl.String).is_in(cases))
    states = build_event_states(before, model.spec)
    prefixes = label_sla(find_open_prefixes(states, as_of=moment), model.spec)
    if prefixes.is_empty():
        return OpenCasePredictions(log, moment, _empty(), card)
    with threadpool_limits(1):
        return OpenCasePredictions(log, moment, _predictions(model, prefixes, moment), card)


def _version_of(store: LogStore, log: str) -> dict[str, Any]:
    found = find_open_case_card(store, log)
    return {"name": model_name_for(log), "version": found["version"] if found else None}


_COLUMNS: Final[dict[str, pl.DataType]] = {
    CASE: pl.String(),
    "last_activity": pl.String(),
    "org_unit": pl.String(),
    "last_event": pl.Datetime("us", "UTC"),
    "elapsed_h": pl.Float64(),
    "idle_h": pl.Float64(),
    "remaining_h": pl.Float64(),
    "expected_end": pl.Datetime("us", "UTC"),
    "sla_state": pl.String(),
    "sla_risk": pl.Float64(),
    "next_activity": pl.String(),
    "next_probability": pl.Float64(),
}


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=pl.Schema(_COLUMNS))


def _predictions(model: OpenCaseModel, prefixes: pl.DataFrame, moment: dt.datetime) -> pl.DataFrame:
    x = model.matrix(prefixes)
    remaining = model.predict_remaining_h(x)
    ranked, probability = model.rank_next(x)
    state = prefixes["sla_state"].to_numpy().astype(str)
    risk = np.where(state == "breached", 1.0, np.where(state == "met", 0.0, np.nan))
    if model.spec.sla != "none":
        open_rows = state == "open"
        if open_rows.any():
            risk[open_rows] = model.predict_sla_risk(x[open_rows])
    frame = prefixes.select(
        pl.col(CASE),
        pl.col("last_activity"),
        pl.col("org_unit"),
        pl.col(TIMESTAMP).alias("last_event"),
        pl.col("elapsed_h"),
        pl.col("idle_h"),
    ).with_columns(
        pl.Series("remaining_h", remaining.round(2)),
        (
            pl.lit(moment)
            + pl.duration(microseconds=pl.lit(pl.Series(remaining * 3.6e9).cast(pl.Int64)))
        )
        .dt.truncate("1s")
        .alias("expected_end"),
        pl.Series("sla_state", state),
        pl.Series("sla_risk", np.round(risk, 4)).fill_nan(None),
        pl.Series("next_activity", ranked[:, 0]),
        pl.Series("next_probability", np.round(probability[:, 0], 4)),
    )
    ordered = frame.select(list(_COLUMNS)).cast(pl.Schema(_COLUMNS))
    return ordered.sort(["remaining_h", CASE], descending=[True, False])
