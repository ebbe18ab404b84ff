"""flask recount-reports: check the reports' kept counts against the entries, and
rebuild them if they ever differ (a database restored from a partial copy, rows
changed by hand). The app keeps them right on its own; this is the operator's check."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import audit
from ..extensions import db
from . import counters


@click.command("recount-reports")
@click.option("--repair", is_flag=True, help="Rebuild the counts from the entries when they differ.")
@with_appcontext
def recount_reports_command(repair: bool) -> None:
    """Count every school's entries again and compare with the counts the reports show."""
    wrong = counters.differences()
    for key, (kept, actual) in sorted(wrong.items())[:20]:
        click.echo(
            f"school {key.school_id}, {key.month}, category {key.category_id}, {key.status}: "
            f"kept {kept}, entries {actual}",
            err=True,
        )
    if len(wrong) > 20:
        click.echo(f"... and {len(wrong) - 20} more", err=True)
    repaired = bool(wrong) and repair
    rows = counters.recount() if repaired else 0
    audit.record(audit.RECOUNT_REPORTS, differences=len(wrong), repaired=repaired)
    db.session.commit()
    if not wrong:
        click.echo("The reports' counts match the entries.")
    elif repair:
        click.echo(f"{len(wrong)} counts differed; rebuilt {rows} from the entries.")
    else:
        click.echo(f"{len(wrong)} counts differ from the entries: run again with --repair to rebuild them.", err=True)
        raise SystemExit(1)
