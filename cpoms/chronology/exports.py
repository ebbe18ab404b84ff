"""A pupil's chronology as a PDF or CSV to take out of the app.

An export is about one child: other pupils on a shared entry, and their names
where the narrative uses them, become "another pupil". Readers who see pupils
by initials (governors, trust representatives) get initials in the export too.
"""

from __future__ import annotations

import csv
import html
import io
import re

from flask import current_app, make_response, render_template
from flask_login import current_user
from reportlab.lib.colors import HexColor

from .. import policy, redaction
from ..attachments import policy as attachments_policy
from ..attachments.routes import attachments_of, body_marks_of
from ..bodymap.areas import title_of
from ..common import spreadsheet_safe
from ..keyinfo import queries as key_information
from ..models import Entry, EntryState, Kind, Pupil, Source
from ..timefmt import now_utc, uk_date, uk_datetime
from . import pdfdoc
from .pdfdoc import MM
from .queries import GROUPED, STATUSES, TIMELINE, Page, shown_follow_ups

ANOTHER_PUPIL = redaction.ANOTHER_PUPIL
TAG = re.compile(r"<[^>]*>")
FOLLOW_UP_BAR, AMENDMENT_BAR, KEY_GROUND = HexColor("#5b7f95"), HexColor("#a86d00"), HexColor("#fff2c2")


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
    for since, status, details in key_information.export_lines(current_user, pupil):
        # The pupil's statuses first (key information), for readers who see them.
        cells = [since, f"Status: {status}", "", "", "", "", "", details]
        writer.writerow([spreadsheet_safe(c) for c in cells] + [""] * (len(CSV_HEADER) - len(cells)))
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


def pdf_bytes(pupil: Pupil, page: Page, stamp: str = "", more=None) -> bytes:
    """The chronology as the reader may see it, drawn page by page (pdfdoc.py); `stamp`
    goes at the foot of every page, and `more(doc)` adds blocks after the entries."""
    pdfdoc.register_fonts(current_app.config.get("PDF_FONT_DIR"))
    redactor = Redactor(pupil)
    doc = _pdf_head(pupil, page, redactor)
    doc.stamp = stamp
    if not page.items:
        doc.block()
        doc.text("Nothing recorded" + (" matches these filters." if page.filters.any else "."))
    for kind, entry, fu in rows(page):
        if fu is None:
            _pdf_entry(doc, pupil, page, entry, redactor)
        else:
            _pdf_follow_up(doc, page, entry, fu, redactor)
    if more is not None:
        more(doc)
    return doc.pdf(author=current_user.name)


def _pdf_head(pupil: Pupil, page: Page, redactor: Redactor) -> pdfdoc.Document:
    """Atop every page: the school, the child as this reader may see them, who exported it and when."""
    school, name = pupil.school.name, redactor.pupil_name
    exported = f"{current_user.name}, {uk_datetime(now_utc())}"
    doc = pdfdoc.Document(
        header=[f"{school} · Chronology of {name} · Confidential", f"Exported by {exported}"],
        footer="Confidential: safeguarding record",
        title=f"Chronology of {name} · {school}",
    )
    doc.block()
    doc.text(f"Chronology of {name}", font=pdfdoc.BOLD, size=17, after=4 * MM)
    about = pupil.year_label
    if not redactor.initials_only:
        about += f", born {uk_date(pupil.date_of_birth)}, UPN {pupil.upn}"
    details = [("School", school), ("Pupil", f"{name} ({about})"), ("Dates", date_range(page))]
    details.append(("Exported by", exported))
    if page.filters.any:
        details.append(("Filtered", "only what matched the filters chosen on screen"))
    for term, value in details:
        doc.pair(term, value, label_width=30 * MM, after=1 * MM)
    statuses = key_information.export_lines(current_user, pupil)
    if statuses:
        doc.gap(2 * MM)
        doc.text("Key information", font=pdfdoc.BOLD, size=11.5, after=1 * MM)
        for since, status, rest in statuses:
            doc.pair(status, f"since {since}; {rest}", label_width=50 * MM, after=1 * MM)
    doc.gap(2 * MM)
    doc.rule(pdfdoc.INK, 1.5)
    doc.gap(2 * MM)
    return doc


def _pdf_entry(doc: pdfdoc.Document, pupil: Pupil, page: Page, entry: Entry, redactor: Redactor) -> None:
    doc.block()
    doc.bars = ()
    doc.gap(4 * MM)
    doc.rule(pdfdoc.RULE, 0.75)
    doc.gap(3 * MM)
    added = [f"now also {c.category.name}" for c in entry.later_categories]
    heading = " · ".join([uk_datetime(entry.occurred_at), entry.category_name, *added])
    doc.text(heading, font=pdfdoc.BOLD, size=11.5, after=1 * MM)
    meta = [
        f"Entry {entry.id}",
        f"recorded by {entry.recorded_by.name}",
        f"came to the school's attention by {Source.LABELS.get(entry.source, entry.source).lower()}",
    ]
    if entry.state and entry.state.status == "closed":
        meta.append("closed")
    if also := redactor.also_about(entry):
        meta.append(f"also about {also}")
    meta.append(f"role: {entry.role_of(pupil.id).lower()}")
    _meta(doc, " · ".join(meta))
    doc.text(redactor.text(entry.narrative, entry))
    if entry.child_words:
        doc.text(redactor.text(entry.child_words, entry), font=pdfdoc.ITALIC, indent=4 * MM)
    _pdf_amendments(doc, entry, None, redactor, indent=0)
    _pdf_parts(doc, entry, redactor)


def _pdf_follow_up(doc: pdfdoc.Document, page: Page, entry: Entry, fu, redactor: Redactor) -> None:
    doc.block()
    doc.bars = ()
    doc.gap(2 * MM)
    doc.bars = (pdfdoc.Bar(pdfdoc.SIDE + 6 * MM + 1, FOLLOW_UP_BAR, 2),)
    indent = 6 * MM + 2 + 3 * MM
    key = ("Key event", KEY_GROUND) if fu.id in page.key_ids else None
    heading = f"{uk_datetime(fu.occurred_at)} · {fu.label}" + (" ·" if key else "")
    doc.text(heading, font=pdfdoc.BOLD, indent=indent, after=1 * MM, highlight=key)
    meta = [f"On entry {entry.id} ({entry.category_name})"] if page.filters.view == TIMELINE else []
    meta.append(f"by {fu.author.name}")
    if fu.risk_level:
        meta.append(f"risk: {Kind.RISK_LEVELS.get(fu.risk_level, fu.risk_level).lower()}")
    if fu.agency_name:
        agency = f"agency: {redactor.text(fu.agency_name, entry)}"
        if fu.agency_reference:
            agency += f" (ref. {redactor.text(fu.agency_reference, entry)})"
        meta.append(agency)
    _meta(doc, " · ".join(meta), indent=indent)
    if fu.text:
        doc.text(redactor.text(fu.text, entry), indent=indent)
    if fu.reason:
        doc.text(f"Reason: {redactor.text(fu.reason, entry)}", indent=indent)
    _pdf_amendments(doc, entry, fu, redactor, indent=indent)
    if fu.kind == Kind.INFO_SHARING:
        for label, value in [
            ("Shared with", fu.shared_with),
            ("What was shared", fu.shared_what),
            ("Why", fu.share_purpose),
            ("Lawful basis or reason", fu.share_basis),
            ("Consent sought", consent_words(fu)),
        ]:
            doc.text(f"{label}: {redactor.text(value, entry)}", indent=indent)
    if fu.task:
        task = fu.task
        doc.text(
            f"Task for {task.assignee.name}, due by {uk_date(task.due_on)}. Done: {task_done_words(task)}",
            indent=indent,
        )


def _meta(doc: pdfdoc.Document, text: str, indent: float = 0) -> None:
    doc.text(text, size=9, color=pdfdoc.GREY, indent=indent)


def _pdf_amendments(doc: pdfdoc.Document, entry: Entry, fu, redactor: Redactor, indent: float) -> None:
    """Corrections beneath the text they correct: the original above stays as written."""
    outer = doc.bars
    for fix in amendments_of(entry, fu):
        doc.bars = outer + (pdfdoc.Bar(pdfdoc.SIDE + indent + 4 * MM + 1, AMENDMENT_BAR, 2, dashed=True),)
        inner = indent + 4 * MM + 2 + 3 * MM
        _meta(
            doc,
            f"Amended {uk_datetime(fix.created_at)} by {fix.author.name} (the text above is as first written)",
            inner,
        )
        doc.text(f"Correction: {redactor.text(fix.text, entry)}", indent=inner)
        doc.text(f"Why: {redactor.text(fix.reason, entry)}", indent=inner)
        doc.bars = outer
        doc.gap(1.5 * MM)


def _pdf_parts(doc: pdfdoc.Document, entry: Entry, redactor: Redactor) -> None:
    """An entry's body-map marks and attachments (name, type, size, SHA-256; only a count for
    a reader who may not open them, as on the pages)."""
    marks = body_marks_of(entry)
    if marks:
        _meta(doc, "Body map:")
        for mark in marks:
            doc.text(f"{mark.number}. {title_of(mark)}: {redactor.text(mark.description, entry)}", indent=4 * MM)
    files = attachments_of(entry, every=True)
    if files and not attachments_policy.can_open_attachments(current_user, entry.school_id):
        # A file's name may name the child, and its checksum confirms a guess at a copy of it.
        hidden = render_template("attachments/_hidden_count.html", files=files)
        doc.text(" ".join(html.unescape(TAG.sub(" ", hidden)).split()))  # the page's words, without markup
    elif files:
        _meta(doc, "Attachments:")
        widths = [62 * MM, 28 * MM, 18 * MM, pdfdoc.WIDTH - 108 * MM]
        header = ["Name", "Type", "Size", "SHA-256"]
        doc.cells([(w, h, pdfdoc.BOLD, 8.5) for w, h in zip(widths, header)])
        for file in files:
            cells = [redactor.text(file.filename, entry), file.type_label, file.size_label]
            doc.cells(
                [(w, c, pdfdoc.REGULAR, 8.5) for w, c in zip(widths, cells)]
                + [(widths[3], file.sha256, pdfdoc.MONO, 7)]
            )
        doc.gap(2 * MM)


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
