"""Running the kitflow CLI in tests: on the real command tree, failing with the output."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


def run(*args: str) -> str:
    """Run ``kitflow ARGS``; assert it succeeded and return its stdout."""
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout
