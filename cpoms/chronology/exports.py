"""A pupil's chronology as a PDF or CSV to take out of the app.

An export is about one child: other pupils on a shared entry, and their names
where the narrative uses them, become "another pupil". Readers who see pupils
by initials (governors, trust representatives) get initials in the export too.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from flask import current_app, make_response, render_template
from flask_login import current_user

from .. import policy, redaction
from ..common import spreadsheet_safe
from ..models import Entry, EntryState, Kind, Pupil, Source
from ..timefmt import now_utc, uk_date, uk_datetime
from .queries import GROUPED, STATUSES, Page, shown_follow_ups

ANOTHER_PUPIL = redaction.ANOTHER_PUPIL


def shown_ids(page: Page) -> dict[str, list[int]]:
    """What a view or export showed, for the audit log."""
    if page.filters.view == GROUPED:
        entries = page.items
        follow_ups = [fu.id for e in entries for fu in shown_follow_ups(e, page.filters, page.key_ids)]
        return {"entries": [e.id for e in entries], "follow_ups": follow_ups}
    return {
        "entries": [t.id for kind, t in page.items if kind == "entry"],
        "follow_ups": [t.id for kind, t in page.items if kind == "follow_up"],
    }


class Redactor:
    """One child's export: their name as this reader may see it, every other pupil's
    (linked to the entry or only named in its text) "another pupil"."""

    def __init__(self, pupil: Pupil):
        self.pupil = pupil
        self.initials_only = policy.pupil_naming(current_user, pupil) != policy.FULL_NAME
        self.pupil_name = redaction.name(pupil)

    def others(self, entry: Entry) -> list[Pupil]:
        return [p for p in entry.pupils if p.id != self.pupil.id]

    def also_about(self, entry: Entry) -> str:
        count = len(self.others(entry))
        if not count:
            return ""
        return ANOTHER_PUPIL if count == 1 else f"{count} other pupils"

    def text(self, value: str | None, entry: Entry) -> str:
        return redaction.redact(value, entry, about=self.pupil)


def _status(entry: Entry) -> str:
    state: EntryState = entry.state
    return STATUSES.get(state.status, state.status) if state else ""


def rows(page: Page):
    """(kind, entry, follow-up or None) in the order the export shows them."""
    if page.filters.view == GROUPED:
        for entry in page.items:
            yield "entry", entry, None
            for fu in shown_follow_ups(entry, page.filters, page.key_ids):
                yield "follow_up", entry, fu
        return
    for kind, thing in page.items:
        yield (kind, thing, None) if kind == "entry" else (kind, thing.entry, thing)


# Information sharing and tasks: their columns, filled by sharing_and_task_cells().
SHARING_AND_TASK_HEADER = [
    "Shared with",
    "What was shared",
    "Why shared",
    "Lawful basis or reason",
    "Consent sought",
    "Task for",
    "Task due by",
    "Task done",
]


CSV_HEADER = [
    "When (UK time)",
    "What",
    "Entry",
    "Category",
    "How it reached the school",
    "Status",
    "Recorded by",
    "Text",
    "Child's words",
    "Also about",
    "Key event",
    "Risk level",
    "Agency",
    "Reason",
    *SHARING_AND_TASK_HEADER,
    "Pupil's role",
]


def csv_text(pupil: Pupil, page: Page) -> str:
    redactor = Redactor(pupil)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for kind, entry, fu in rows(page):
        common = [entry.id, _categories(entry), Source.LABELS.get(entry.source, entry.source), _status(entry)]
        if fu is None:
            cells = [
                uk_datetime(entry.occurred_at),
                "Entry",
                *common,
                entry.recorded_by.name,
                redactor.text(entry.narrative, entry),
                redactor.text(entry.child_words, entry),
                redactor.also_about(entry),
                "",
                "",
                "",
                "",
                *[""] * len(SHARING_AND_TASK_HEADER),
            ]
        else:
            agency = redactor.text(
                " ".join(filter(None, [fu.agency_name, fu.agency_reference and f"(ref. {fu.agency_reference})"])), entry
            )
            cells = [
                uk_datetime(fu.occurred_at),
                fu.label,
                *common,
                fu.author.name,
                redactor.text(fu.text, entry),
                "",
                "",
                "Yes" if fu.id in page.key_ids else "",
                Kind.RISK_LEVELS.get(fu.risk_level, fu.risk_level or ""),
                agency,
                redactor.text(fu.reason, entry),
                *sharing_and_task_cells(fu, entry, redactor),
            ]
        role = entry.role_of(pupil.id)
        writer.writerow([spreadsheet_safe(c) for c in cells] + [role])
        for fix in amendments_of(entry, fu):
            what = "Amendment to the entry" if fu is None else f"Amendment to: {fu.label}"
            cells = [
                uk_datetime(fix.created_at),
                what,
                *common,
                fix.author.name,
                redactor.text(fix.text, entry),
                "",
                "",
                "",
                "",
                "",
                redactor.text(fix.reason, entry),
                *[""] * len(SHARING_AND_TASK_HEADER),
            ]
            writer.writerow([spreadsheet_safe(c) for c in cells] + [role])
    return out.getvalue()


def _categories(entry: Entry) -> str:
    """As recorded, then any the safeguarding team added later."""
    return "; ".join([entry.category_name, *(f"now also {c.category.name}" for c in entry.later_categories)])


def amendments_of(entry: Entry, follow_up=None) -> list:
    """The corrections to an entry's account (no follow-up) or to one follow-up, oldest first."""
    wanted = follow_up.id if follow_up is not None else None
    return [fix for fix in entry.amendments if fix.follow_up_id == wanted]


def _file_name(pupil: Pupil, extension: str) -> str:
    return f"chronology-{pupil.id}-{now_utc():%Y%m%d}.{extension}"


def _download(body, mimetype: str, name: str):
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_response(pupil: Pupil, page: Page):
    return _download(csv_text(pupil, page), "text/csv", _file_name(pupil, "csv"))


def date_range(page: Page) -> str:
    f = page.filters
    if f.date_from or f.date_to:
        return (
            f"{uk_date(f.date_from) if f.date_from else 'the start'} to {uk_date(f.date_to) if f.date_to else 'today'}"
        )
    times = [fu.occurred_at if fu else entry.occurred_at for _, entry, fu in rows(page)]
    if not times:
        return "no entries"
    return f"{uk_date(min(times))} to {uk_date(max(times))} (everything recorded)"


def pdf_html(pupil: Pupil, page: Page) -> str:
    redactor = Redactor(pupil)
    return render_template(
        "chronology/export.html",
        pupil=pupil,
        chronology=page,
        rows=list(rows(page)),
        consent_words=consent_words,
        task_done_words=task_done_words,
        redactor=redactor,
        date_range=date_range(page),
        exported_at=uk_datetime(now_utc()),
        amendments_of=amendments_of,
    )


def pdf_bytes(pupil: Pupil, page: Page) -> bytes:
    # Imported here: WeasyPrint loads Pango, which nothing else needs.
    from weasyprint import CSS, HTML

    stylesheet = Path(current_app.static_folder) / "css" / "chronology-pdf.css"
    return HTML(string=pdf_html(pupil, page)).write_pdf(stylesheets=[CSS(filename=str(stylesheet))])


def pdf_response(pupil: Pupil, page: Page):
    return _download(pdf_bytes(pupil, page), "application/pdf", _file_name(pupil, "pdf"))


# --- information sharing and tasks ----------------------------------------------------


def consent_words(fu) -> str:
    if fu.kind != Kind.INFO_SHARING:
        return ""
    return "Yes" if fu.consent_sought else f"No: {fu.consent_note}" if fu.consent_note else "No"


def task_done_words(task) -> str:
    if task.completion is None:
        return "Not yet" + (" (overdue)" if task.overdue else "")
    return f"{uk_datetime(task.completion.completed_at)} by {task.completion.completed_by.name}"


def sharing_and_task_cells(fu, entry: Entry, redactor: Redactor) -> list[str]:
    task = fu.task
    return [
        redactor.text(fu.shared_with, entry),
        redactor.text(fu.shared_what, entry),
        redactor.text(fu.share_purpose, entry),
        redactor.text(fu.share_basis, entry),
        redactor.text(consent_words(fu), entry),
        task.assignee.name if task else "",
        uk_date(task.due_on) if task else "",
        task_done_words(task) if task else "",
    ]
