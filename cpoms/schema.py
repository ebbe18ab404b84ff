"""Every table of the app in one import: the core's and each area's models. The app
factory imports it, so the mappers, create_all and Alembic (migrations/env.py reads the
app's metadata) see the whole schema, whichever blueprints are registered."""

from __future__ import annotations

from . import audit, drafts, models, submissions
from .adults import models as adults
from .attachments import models as attachments
from .auth import models as auth
from .bodymap import models as bodymap
from .chronology import models as chronology
from .entries import models as entries
from .exclusions import models as exclusions
from .guidance import models as guidance
from .hearback import models as hearback
from .keyinfo import models as keyinfo
from .log import models as log
from .mis import models as mis
from .monitoring import models as monitoring
from .packs import models as packs
from .reports import models as reports
from .sso import models as sso
from .tasks import models as tasks
from .transfers import models as transfers

# The modules that define tables: the core first, then each area's.
MODULES = (
    models,
    audit,
    drafts,
    submissions,
    adults,
    attachments,
    auth,
    bodymap,
    chronology,
    entries,
    exclusions,
    guidance,
    hearback,
    keyinfo,
    log,
    mis,
    monitoring,
    packs,
    reports,
    sso,
    tasks,
    transfers,
)
