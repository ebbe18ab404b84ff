"""The transfer dashboard and a pupil's transfers: a fixed number of queries whatever the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, or_, select

from .. import policy
from ..common import uk_today
from ..extensions import db
from ..models import Pupil
from .models import SubjectAccessExport, Transfer, TransferStatus
from .schooldays import is_overdue

CLOSED_SHOWN = 100  # the most recent finished transfers on the dashboard


@dataclass
class Dashboard:
    pending: list[Transfer] = field(default_factory=list)
    sent: list[Transfer] = field(default_factory=list)
    overdue: list[Transfer] = field(default_factory=list)
    received: list[Transfer] = field(default_factory=list)
    declined: list[Transfer] = field(default_factory=list)
    incoming: list[Transfer] = field(default_factory=list)  # sent to one of these schools, awaiting their answer


def overdue(transfer: Transfer, today: date | None = None) -> bool:
    return transfer.status == TransferStatus.SENT and is_overdue(transfer.sent_on, today or uk_today())


def dashboard(user, school_ids: frozenset[int], today: date | None = None) -> Dashboard:
    today = today or uk_today()
    involved = and_(
        or_(Transfer.from_school_id.in_(school_ids), Transfer.to_school_id.in_(school_ids)),
        policy.open_pupils(user, Transfer.pupil_id),
    )
    open_ = list(
        db.session.scalars(
            select(Transfer)
            .where(involved, Transfer.status.in_((TransferStatus.STARTED, TransferStatus.SENT)))
            .order_by(Transfer.sent_on, Transfer.id)
        )
    )
    closed = list(
        db.session.scalars(
            select(Transfer)
            .where(involved, Transfer.closed_at.is_not(None))
            .order_by(Transfer.closed_at.desc(), Transfer.id.desc())
            .limit(CLOSED_SHOWN)
        )
    )
    board = Dashboard()
    for transfer in open_:
        if transfer.from_school_id not in school_ids:
            if transfer.status == TransferStatus.SENT:
                board.incoming.append(transfer)
        elif transfer.status == TransferStatus.STARTED:
            board.pending.append(transfer)
        elif is_overdue(transfer.sent_on, today):
            board.overdue.append(transfer)
        else:
            board.sent.append(transfer)
    for transfer in closed:
        (board.declined if transfer.status == TransferStatus.DECLINED else board.received).append(transfer)
    return board


def of_pupil(pupil_id: int) -> list[Transfer]:
    return list(db.session.scalars(select(Transfer).where(Transfer.pupil_id == pupil_id).order_by(Transfer.id)))


def open_transfer(pupil_id: int) -> Transfer | None:
    return db.session.scalar(
        select(Transfer).where(
            Transfer.pupil_id == pupil_id, Transfer.status.in_((TransferStatus.STARTED, TransferStatus.SENT))
        )
    )


def file_history(pupil_id: int) -> tuple[list[Transfer], list[SubjectAccessExport]]:
    """A pupil's transfers (oldest first) and subject-access exports (newest first), for their
    chronology page, in one query so the page keeps within its query budget: both are joined
    to the pupil, so the rows are their product, and a pupil has a handful of each at most."""
    rows = db.session.execute(
        select(Transfer, SubjectAccessExport)
        .select_from(Pupil)
        .outerjoin(Transfer, Transfer.pupil_id == Pupil.id)
        .outerjoin(SubjectAccessExport, SubjectAccessExport.pupil_id == Pupil.id)
        .where(Pupil.id == pupil_id)
    )
    transfers: dict[int, Transfer] = {}
    exports: dict[int, SubjectAccessExport] = {}
    for transfer, export in rows:
        if transfer is not None:
            transfers[transfer.id] = transfer
        if export is not None:
            exports[export.id] = export
    return ([transfers[i] for i in sorted(transfers)], [exports[i] for i in sorted(exports, reverse=True)])


def overdue_transfers(today: date) -> list[Transfer]:
    """Every sent transfer without a receipt, across the app, that is overdue today."""
    sent = db.session.scalars(select(Transfer).where(Transfer.status == TransferStatus.SENT).order_by(Transfer.id))
    return [t for t in sent if is_overdue(t.sent_on, today)]
