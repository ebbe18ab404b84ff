"""One place decides whether a request wants a whole page or one piece of it."""

from __future__ import annotations

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_partial() -> bool:
    # hx-boost sends HX-Request for whole-page navigation: that still wants the page.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(template: str, block: str | None = None, status_code: int = 200, **context):
    """The page, or only `block` of it when htmx asked for a piece."""
    if block and wants_partial():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status_code)
    if block:
        response.vary.add("HX-Request")
    return response


def partial(template: str, **context):
    """A piece that only htmx asks for (its view sends others to the full page)."""
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response
