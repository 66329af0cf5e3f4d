"""``kitflow predict``: the fill-in assistant (issue #16): train, evaluate, suggest, list."""

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
    suggest_groups,
    train_assistant,
)

predict_cli = typer.Typer(help="The fill-in assistant: suggest an incident's assignment group.")

NameOption = Annotated[str, typer.Option("--name", help="The model's name.")]
VersionOption = Annotated[str | None, typer.Option("--version", help="Default: the latest.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(cli: typer.Typer) -> None:
    """Add ``predict train|evaluate|suggest|list`` to ``cli``."""
    cli.add_typer(predict_cli, name="predict")
    register_cases(predict_cli)  # cases-train|cases-evaluate|cases: open cases (issue #16)


@predict_cli.command("train")
def train_command(
    source: Annotated[Path, typer.Argument(help="The ServiceNow incident export (CSV or zip).")],
    name: NameOption = "assignment-group",
    seed: Annotated[int, typer.Option(help="Random seed, recorded in the card.")] = 0,
    rows: Annotated[int | None, typer.Option(help="Read only the first ROWS rows.")] = None,
    precision: Annotated[float, typer.Option(help="Precision the threshold aims at.")] = 0.8,
    coverage: Annotated[float, typer.Option(help="Least share of cases suggested.")] = 0.5,
    as_json: JsonOption = False,
) -> None:
    """Train on the first 80 % of incidents by opening time, test on the rest, store a version."""
    data = DataFolder.from_env()
    model, evaluation, folder = train_assistant(
        data,
        source,
        name=name,
        seed=seed,
        limit_rows=rows,
        target_precision=precision,
        min_coverage=coverage,
    )
    if as_json:
        print_json({"folder": str(folder), "card": model.card})
        return
    out.print(f"Stored {folder} (trained in {model.card['training_s']} s).")
    _print_evaluation(evaluation)


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
    _print_evaluation(evaluation)


@predict_cli.command("suggest")
def suggest_command(
    tickets: Annotated[
        Path | None, typer.Argument(help="JSON file of ticket(s); default stdin.")
    ] = None,
    name: NameOption = "assignment-group",
    version: VersionOption = None,
    threshold: Annotated[float | None, typer.Option(help="Abstain below this confidence.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Suggest the group of one ticket or a list of tickets, or abstain."""
    given = _read_tickets(tickets)
    answers = suggest_groups(
        DataFolder.from_env(), given, name=name, version=version, threshold=threshold
    )
    if as_json:
        print_json([a.as_json() for a in answers])
        return
    for i, answer in enumerate(answers, start=1):
        said = answer.group or "abstain"
        others = ", ".join(f"{g} ({p:.2f})" for g, p in answer.top3)
        out.print(f"{i}: {said} (confidence {answer.confidence:.2f}); top 3: {others}")


@predict_cli.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """The stored models with their cards."""
    cards = find_models(DataFolder.from_env())
    if as_json:
        print_json(cards)
        return
    table = Table("name", "version", "trained at", "incidents", "top-1", "top-3")
    for card in cards:
        model = card["metrics"]["model"]
        table.add_row(
            card["name"],
            card["version"],
            card["trained_at"],
            str(card["data"]["incidents"]),
            f"{model['top1']:.3f}",
            f"{model['top3']:.3f}",
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


_LABELS = {
    "model": "assistant",
    "most_frequent": "most frequent",
    "most_frequent_per_category": "per category",
}


def _print_evaluation(evaluation: AssistantEvaluation) -> None:
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
            _LABELS[label],
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
