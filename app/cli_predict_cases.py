"""``kitflow predict cases-train|cases-evaluate|cases``: predictions for the open cases of a
stored log (remaining time, SLA risk, next activity; issue #16)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.table import Table

from app.console import out, print_json
from models.errors import InputError
from models.store import LogStore
from services import (
    OpenCaseEvaluation,
    evaluate_open_case_model,
    predict_open_cases,
    train_open_case_model,
)

LogArgument = Annotated[str, typer.Argument(help="The stored log's name (see 'kitflow logs').")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def register_cases(group: typer.Typer) -> None:
    """Add the open-case commands to the ``kitflow predict`` group."""
    group.command("cases-train")(cases_train_command)
    group.command("cases-evaluate")(cases_evaluate_command)
    group.command("cases")(cases_command)


def cases_train_command(
    log: LogArgument,
    sla_hours: Annotated[
        float | None,
        typer.Option(
            "--sla-hours",
            help="A case breaches when it lasts longer than this many hours (calendar time); "
            "default: the log's SLA events from ServiceNow's task_sla, if any.",
        ),
    ] = None,
    end_activity: Annotated[
        list[str] | None,
        typer.Option(
            "--end-activity",
            help="An activity that ends a case (repeat it); default: found in the data.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed, recorded in the card.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Train on the earlier 80 % of LOG's cases, score on the later ones, store a version."""
    model, evaluation, folder = train_open_case_model(
        LogStore(), log, sla_hours=sla_hours, end_activities=end_activity, seed=seed
    )
    if as_json:
        print_json({"folder": str(folder), "card": model.card})
        return
    out.print(f"Stored {folder} (trained in {model.card['training_s']} s).")
    _print_card_data(model.card)
    _print_evaluation(evaluation)


def cases_evaluate_command(
    log: LogArgument,
    version: Annotated[str | None, typer.Option("--version", help="Default: the latest.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Score LOG's stored model again on the later cases, beside the baselines."""
    card, evaluation = evaluate_open_case_model(LogStore(), log, version=version)
    if as_json:
        print_json({"data": card["data"], "sla": card["sla"], "metrics": evaluation.as_json()})
        return
    _print_card_data(card)
    _print_evaluation(evaluation)


def cases_command(
    log: LogArgument,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="ISO date-time (UTC unless given); default: the log's end."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many cases (text only).")] = 50,
    as_json: JsonOption = False,
) -> None:
    """LOG's open cases with predicted remaining time, SLA risk and next activity."""
    predictions = predict_open_cases(LogStore(), log, as_of=_moment(as_of))
    if as_json:
        print_json(predictions.as_json())
        return
    if predictions.withheld:
        out.print(f"{log} names fewer than 5 people: its open cases are not listed.")
        return
    frame = predictions.cases
    out.print(f"{frame.height} open case(s) of {log} at {predictions.as_of.isoformat()}.")
    table = Table("case", "last activity", "org unit", "remaining h", "SLA risk", "next activity")
    for row in frame.head(limit).iter_rows(named=True):
        risk = row["sla_risk"]
        table.add_row(
            row["case_id"],
            row["last_activity"],
            row["org_unit"] or "",
            f"{row['remaining_h']:.1f}",
            "" if risk is None else f"{risk:.2f} ({row['sla_state']})",
            f"{row['next_activity']} ({row['next_probability']:.2f})",
        )
    out.print(table)


def _moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--as-of {text!r} is not an ISO date-time (e.g. 2025-06-30 or 2025-06-30T12:00)."
        ) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _print_card_data(card: dict[str, Any]) -> None:
    data = card["data"]
    out.print(
        f"Split at {data['split_at']}: {data['train_cases']} training cases "
        f"({data['train_moments']} moments), {data['test_cases']} test cases "
        f"({data['test_moments']} moments), a moment every {data['grid_step_minutes']} min. "
        f"End activities: {', '.join(card['end_activities'])}. SLA: {card['sla']['mode']}"
        + (f" ({card['sla']['hours']} h)" if card["sla"]["hours"] else "")
        + "."
    )


def _print_evaluation(evaluation: OpenCaseEvaluation) -> None:
    r = evaluation.remaining
    table = Table("remaining time, MAE (h)", "model", "mean by last activity", "by prefix length")
    table.add_row(
        f"{r.rows} moments, {r.cases} cases",
        f"{r.mae_h:.2f}",
        f"{r.baseline_last_activity_mae_h:.2f}",
        f"{r.baseline_prefix_length_mae_h:.2f}",
    )
    out.print(table)
    n = evaluation.next_activity
    nexts = Table("next activity", "top-1", "top-3", "macro F1")
    nexts.add_row("model", f"{n.top1:.3f}", f"{n.top3:.3f}", f"{n.macro_f1:.3f}")
    nexts.add_row(
        "most frequent", f"{n.baseline_top1:.3f}", f"{n.baseline_top3:.3f}",
        f"{n.baseline_macro_f1:.3f}",
    )  # fmt: skip
    nexts.add_row(
        "most frequent after last activity",
        f"{n.baseline_last_activity_top1:.3f}",
        f"{n.baseline_last_activity_top3:.3f}",
        f"{n.baseline_last_activity_macro_f1:.3f}",
    )
    out.print(nexts)
    s = evaluation.sla
    if s is None:
        out.print("SLA risk: no SLA (the log has no task_sla events; give --sla-hours).")
        return
    out.print(
        f"SLA risk on {s.rows} moments (breach rate {s.breach_rate:.3f}): Brier {s.brier:.3f}, "
        f"training rate as constant {s.baseline_brier:.3f}"
    )
    reliability = Table("risk bin", "mean risk", "breach rate", "moments")
    for low, mean, rate, count in s.reliability:
        reliability.add_row(f"{low:.1f}–{low + 0.1:.1f}", f"{mean:.3f}", f"{rate:.3f}", str(count))
    out.print(reliability)
