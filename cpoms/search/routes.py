"""Search of narratives and follow-ups, for the safeguarding team and SLT."""

from flask import Blueprint, request
from flask_login import current_user, login_required

from .. import audit, policy
from ..formfields import page_number
from ..htmx import render
from ..loaders import schools_or_403
from .index import terms
from .queries import MAX_PAGE, excerpt, search

bp = Blueprint("search", __name__)

MAX_QUERY = 200


@bp.route("/search")
@login_required
def results():
    school_ids = schools_or_403(policy.search_school_ids(current_user))
    query = request.args.get("q", "").replace("\x00", "")
    page = page_number(MAX_PAGE)
    problem = None
    entries, has_more, words = [], False, []
    if len(query) > MAX_QUERY:
        problem = f"Search for at most {MAX_QUERY} characters."
    elif query.strip():
        words = terms(query)
        if not words:
            problem = "Type a word to search for: letters or numbers."
        else:
            entries, has_more = search(current_user, school_ids, words, page)
            # What each person found and saw excerpts of is kept, as for the review queue.
            audit.record(audit.SEARCH, query=query, entries=[e.id for e in entries], page=page)
    return render(
        "search/results.html",
        block="results",
        query=query,
        words=words,
        entries=entries,
        has_more=has_more,
        page=page,
        problem=problem,
        excerpt=excerpt,
        status_code=422 if problem else 200,
    )
