"""Choose the fill-in assistant's threshold rule on the training period only (issue #16).

Inside the UCI training 80 % two later slices play the later period in turn ("validation"):
its last 10 % (fitted on the 90 % before) and the 10 % before that (fitted on the first 80 %).
On each, three rules fit, calibrate and threshold on the cases before the slice and are scored
on it: one calibration window (the latest 10 % before the slice, the first rule), the pooled
windows after rolling origins at 70/80/90 % (Platt and the 50 %-coverage bound on the pooled
scores), and the same windows with the lowest threshold any window needs. All refit on
everything before the slice. The test 20 % is never read. Usage:

    .venv/bin/python scripts/assistant_threshold_rule.py [TARGET]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

from models.ml_assistant import (
    UCI_SPEC,
    for_target,
    score_suggestions,
    split_by_time,
    time_windows,
    window_threshold,
)
from services.assistant import TEST_SHARE, AssistantModel, read_cases

UCI = Path(__file__).parents[1] / ".." / "shared" / "data" / "servicenow-uci-incidents"
ORIGINS = (0.7, 0.8, 0.9)


def _logit(p: np.ndarray) -> np.ndarray:
    c = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(c / (1 - c)).reshape(-1, 1)


def rules(
    before: pl.DataFrame, target: str
) -> tuple[AssistantModel, dict[str, tuple[LogisticRegression, float]]]:
    """Fit the windows once; per rule its calibrator and threshold; the model refitted."""
    model = AssistantModel(
        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=3),
        LogisticRegression(C=0.3, max_iter=300, random_state=0),
        LogisticRegression(),
        1.0,
        {},
        target,
        UCI_SPEC.features(target),
    )
    probs, rights, wins = [], [], []
    for index, (fit_part, window) in enumerate(time_windows(before, ORIGINS)):
        part = AssistantModel(
            clone(model.encoder),
            clone(model.classifier),
            LogisticRegression(),
            1.0,
            {},
            target,
            model.features,
        )
        part.classifier.fit(
            part.encoder.fit_transform(part.rows(fit_part)), fit_part["target"].to_numpy()
        )
        ranked, top, _ = part.rank(part.rows(window))
        probs.append(top[:, 0])
        rights.append(ranked[:, 0] == window["target"].to_numpy().astype(str))
        wins.append(np.full(window.height, index))
    prob, right, win = np.concatenate(probs), np.concatenate(rights), np.concatenate(wins)
    chosen = {}
    for label, keep, per_window in (
        ("one window (latest 10 %)", win == len(ORIGINS) - 1, False),
        ("rolling origins, pooled", win >= 0, False),
        ("rolling origins, lowest window", win >= 0, True),
    ):
        calibrator = LogisticRegression(C=1e6).fit(_logit(prob[keep]), right[keep].astype(float))
        confidence = calibrator.predict_proba(_logit(prob[keep]))[:, 1]
        windows = win[keep] if per_window else np.zeros(keep.sum(), dtype=np.int64)
        chosen[label] = (
            calibrator,
            window_threshold(confidence, right[keep], windows, precision=0.8, coverage=0.5),
        )
    model.classifier.fit(
        model.encoder.fit_transform(model.rows(before)), before["target"].to_numpy()
    )
    return model, chosen


def main() -> None:
    target = sys.argv[1] if len(sys.argv) > 1 else "group"
    cases = read_cases(UCI / "incident_event_log.zip", "uci")
    train, _ = split_by_time(for_target(cases, target, UCI_SPEC), test_share=TEST_SHARE)
    for name, share_before in (("last 10 % of training", 0.9), ("the 10 % before it", 0.8)):
        started = time.perf_counter()
        before, rest = split_by_time(train, test_share=1 - share_before)
        slice_, _ = split_by_time(rest, test_share=1 - 0.1 / (1 - share_before))
        model, chosen = rules(before, target)
        ranked, top, _ = model.rank(model.rows(slice_))
        truth = slice_["target"].to_numpy().astype(str)
        for label, (calibrator, threshold) in chosen.items():
            confidence = calibrator.predict_proba(_logit(top[:, 0]))[:, 1]
            s = score_suggestions(ranked, confidence, truth, threshold=threshold)
            print(
                f"{name} ({slice_.height} cases) | {label}: threshold {threshold:.3f}, "
                f"coverage {s.coverage:.3f}, precision {s.precision_at_coverage:.3f}, "
                f"top-1 {s.top1:.3f}, most confident half {s.precision_at_half:.3f}",
                flush=True,
            )
        print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
