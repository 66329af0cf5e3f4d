"""``kitflow predict``: the fill-in assistant (issue #16): train, evaluate, suggest, list,
threshold."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli_predict_cases import register_cases
from app.console import out, print_json
from models.datafolder import DataFolder
from models.errors import KitflowError
from services import (
    AssistantEvaluation,
    evaluate_assistant,
    find_models,
    set_threshold,
    suggest_all,
    suggest_groups,
    train_targets,
)

predict_cli = typer.Typer(
    help="The fill-in assistant: suggest a case's assignment group, category and priority."
)
TARGET_CHOICES = ("group", "category", "priority", "all")
SOURCE_CHOICES = ("uci", "landscape", "xes")

NameOption = Annotated[str, typer.Option("--name", help="The model's name.")]
VersionOption = Annotated[str | None, typer.Option("--version", help="Default: the latest.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(cli: typer.Typer) -> None:
    """Add ``predict train|evaluate|suggest|list`` to ``cli``."""
    cli.add_typer(predict_cli, name="predict")
    register_cases(predict_cli)  # cases-train|cases-evaluate|cases: open cases (issue #16)


@predict_cli.command("train")
def train_command(
    source: Annotated[
        Path,
        typer.Argument(
            help="A ServiceNow incident export (CSV or zip), an XES log, or a data folder "
            "with staged ServiceNow tables."
        ),
    ],
    target: Annotated[
        str, typer.Option(help="group, category, priority or all (those the source has).")
    ] = "all",
    kind: Annotated[
        str | None,
        typer.Option("--source", help="uci, landscape or xes; default: told by SOURCE."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The model's name (one target only).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed, recorded in the card.")] = 0,
    rows: Annotated[int | None, typer.Option(help="Read only the first ROWS rows.")] = None,
    precision: Annotated[float, typer.Option(help="Precision the threshold aims at.")] = 0.8,
    coverage: Annotated[float, typer.Option(help="Least share of cases suggested.")] = 0.5,
    as_json: JsonOption = False,
) -> None:
    """Train on the first 80 % of cases by opening time, test on the rest, store a version per
    target."""
    if target not in TARGET_CHOICES:
        raise KitflowError(f"--target {target!r}: choose one of {', '.join(TARGET_CHOICES)}.")
    if kind is not None and kind not in SOURCE_CHOICES:
        raise KitflowError(f"--source {kind!r}: choose one of {', '.join(SOURCE_CHOICES)}.")
    if name is not None and target == "all":
        raise KitflowError("--name names one model: give --target group, category or priority.")
    trained = train_targets(
        DataFolder.from_env(),
        source,
        targets=("group", "category", "priority") if target == "all" else (target,),
        kind=kind,
        name=name,
        seed=seed,
        limit_rows=rows,
        target_precision=precision,
        min_coverage=coverage,
    )
    if not trained:
        raise KitflowError(f"{source} has no {target} to suggest.")
    if as_json:
        print_json([{"folder": str(folder), "card": model.card} for model, _, folder in trained])
        return
    for model, evaluation, folder in trained:
        out.print(
            f"{model.card['target']}: stored {folder} (trained in {model.card['training_s']} s)."
        )
        _print_evaluation(evaluation, str(model.card.get("baseline_by", "category")))


@predict_cli.command("evaluate")
def evaluate_command(
    name: NameOption = "assignment-group",
    version: VersionOption = None,
    source: Annotated[Path | None, typer.Option(help="Default: the training source.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Score a stored model on the later 20 % beside the baselines."""
    card, evaluation = evaluate_assistant(
        DataFolder.from_env(), name, version=version, source=source
    )
    if as_json:
        print_json({"data": card["data"], "metrics": _evaluation_json(evaluation)})
        return
    _print_evaluation(evaluation, str(card.get("baseline_by", "category")))


@predict_cli.command("suggest")
def suggest_command(
    tickets: Annotated[
        Path | None, typer.Argument(help="JSON file of ticket(s); default stdin.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="One model only; default: every target's.")
    ] = None,
    version: VersionOption = None,
    threshold: Annotated[
        float | None, typer.Option(help="Abstain below this confidence (this call only).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Suggest every stored target (assignment group, category, priority) of one ticket or a
    list of tickets, or abstain below the threshold."""
    given = _read_tickets(tickets)
    data = DataFolder.from_env()
    if name is not None:
        answers = suggest_groups(data, given, name=name, version=version, threshold=threshold)
        if as_json:
            print_json([a.as_json() for a in answers])
            return
        for i, one in enumerate(answers, start=1):
            out.print(f"{i}: {_said(one.group, one.confidence, one.top3)}")
        return
    every = suggest_all(data, given, threshold=threshold)
    if as_json:
        print_json(every)
        return
    for i, answer in enumerate(every, start=1):
        for target, said in answer["targets"].items():
            top = tuple((t["value"], t["probability"]) for t in said["top3"])
            out.print(f"{i} {target}: {_said(said['value'], said['confidence'], top)}")


def _said(value: str | None, confidence: float, top3: tuple[tuple[str, float], ...]) -> str:
    others = ", ".join(f"{g} ({p:.2f})" for g, p in top3)
    return f"{value or 'abstain'} (confidence {confidence:.2f}); top 3: {others}"


@predict_cli.command("threshold")
def threshold_command(
    name: Annotated[str, typer.Argument(help="The model, e.g. assignment-group.")],
    value: Annotated[float, typer.Argument(help="Abstain below this confidence (0..1).")],
    version: VersionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set a stored model's abstention threshold (used by suggest, the API and the page)."""
    written = set_threshold(DataFolder.from_env(), name, value, version=version)
    if as_json:
        print_json(written)
        return
    out.print(f"{name} v{written['version']}: threshold {value:.3f} from now on.")


@predict_cli.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """The stored models with their cards."""
    cards = find_models(DataFolder.from_env())
    if as_json:
        print_json(cards)
        return
    table = Table("name", "version", "target", "trained at", "cases", "top-1", "top-3", "threshold")
    for card in cards:
        if card["name"].startswith("open-cases-"):  # their figures: predict cases-evaluate LOG
            continue
        model = card["metrics"]["model"]
        table.add_row(
            card["name"],
            card["version"],
            str(card.get("target", "group")),
            card["trained_at"],
            str(card["data"]["incidents"]),
            f"{model['top1']:.3f}",
            f"{model['top3']:.3f}",
            f"{card['threshold']:.3f}" + (" (set)" if "threshold_set_at" in card else ""),
        )
    out.print(table)


def _read_tickets(path: Path | None) -> list[dict[str, Any]]:
    text = sys.stdin.read() if path is None else path.read_text("utf-8")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise KitflowError(
            f"the tickets are not JSON ({error}); give an object or a list."
        ) from None
    return value if isinstance(value, list) else [value]


def _evaluation_json(evaluation: AssistantEvaluation) -> dict[str, Any]:
    return {k: _scores_json(v) for k, v in vars(evaluation).items()}


def _scores_json(scores: Any) -> dict[str, Any]:
    return {k: getattr(scores, k) for k in scores.__dataclass_fields__}


def _print_evaluation(evaluation: AssistantEvaluation, by: str) -> None:
    labels = {
        "model": "assistant",
        "most_frequent": "most frequent",
        "most_frequent_per_category": f"per {by}",
    }
    table = Table(
        "",
        "top-1",
        "top-3",
        "macro F1",
        "top half",
        "cover",
        "prec.",
        "thresh.",
        "Brier",
    )
    for label, s in vars(evaluation).items():
        table.add_row(
            labels[label],
            f"{s.top1:.3f}",
            f"{s.top3:.3f}",
            f"{s.macro_f1:.3f}",
            f"{s.precision_at_half:.3f}",
            f"{s.coverage:.3f}",
            f"{s.precision_at_coverage:.3f}",
            f"{s.threshold:.3f}",
            f"{s.brier:.3f}",
        )
    out.print(table)
    reliability = Table("confidence bin", "mean confidence", "accuracy", "cases")
    for low, mean, accuracy, cases in evaluation.model.reliability:
        reliability.add_row(
            f"{low:.1f}–{low + 0.1:.1f}", f"{mean:.3f}", f"{accuracy:.3f}", str(cases)
        )
    out.print(reliability)
