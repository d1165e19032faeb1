"""``registrar import FILE`` and ``registrar export ELECTION``: a past election loaded whole, as it
happened, from one JSON document (docs/import.md), and an election's record written as one.

The operator at the console is trusted; the import's events name it (``--actor``) and keep,
each, the moment it took effect and the moment it was recorded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from registrar import importing
from registrar.cli_notifications import _db, _fails_cleanly


@click.command("import")
@click.argument("document", required=False, type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--archive", is_flag=True,
              help=f"Load the archive instead: the elections of the public record ({', '.join(importing.ARCHIVE)}) "
                   "this database does not hold yet.")  # fmt: skip
@click.option("--actor", default="cli:import", show_default=True, help="Who the audit names as loading it.")
@click.pass_context
@_fails_cleanly
def load_command(ctx: click.Context, document: Path | None, archive: bool, actor: str) -> None:
    """Load a past election from DOCUMENT (JSON, docs/import.md): all of it, or nothing and every refusal with its rules."""
    if archive == (document is not None):
        raise click.UsageError("give one of them: a DOCUMENT, or --archive")
    if document is None:
        loaded_now = importing.load_archive(_db(ctx), actor=actor)
        for loaded in loaded_now:
            click.echo(f"imported {loaded.election_id}: {loaded.actions} actions (document sha256 {loaded.sha256[:16]})")
        click.echo(f"the archive: {len(loaded_now)} loaded now, {len(importing.ARCHIVE) - len(loaded_now)} already held")
        return
    text = sys.stdin.read() if str(document) == "-" else document.read_text(encoding="utf-8")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as err:
        raise click.ClickException(f"{document}: not JSON: {err}") from None
    try:
        loaded = importing.load(_db(ctx), parsed, actor=actor)
    except importing.ImportRefused as refused:
        for refusal in refused.refusals:
            click.echo(refusal.line(), err=True)
        raise click.ClickException(f"{len(refused.refusals)} refused: nothing of {document} was imported") from None
    click.echo(f"imported {loaded.election_id}: {loaded.actions} actions (document sha256 {loaded.sha256[:16]})")


@click.command("export")
@click.argument("election_id")
@click.pass_context
@_fails_cleanly
def export_command(ctx: click.Context, election_id: str) -> None:
    """Write ELECTION_ID's record as an import document (JSON on standard output)."""
    click.echo(json.dumps(importing.export(_db(ctx), election_id), ensure_ascii=False, indent=1))
