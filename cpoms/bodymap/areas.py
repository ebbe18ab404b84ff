"""The named areas of the body-map outlines (static/img/body-front.svg, body-back.svg).

Both outlines share one 200 x 440 drawing. On the front view the child's right is
on the viewer's left; on the back view it is on the viewer's right. Each area has a
centre: a mark placed by choosing an area goes there, and a mark placed on the
picture is named after the nearest area."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 200, 440
VIEWS = {"front": "Front", "back": "Back"}


@dataclass(frozen=True)
class Area:
    key: str  # "front-left-forearm"
    view: str  # front or back
    label: str  # "left forearm"
    x: float  # the centre, in the drawing's units
    y: float

    @property
    def title(self) -> str:
        return f"{VIEWS[self.view]}: {self.label}"


def _sided(view: str, name: str, x_left_of_viewer: float, y: float) -> list[Area]:
    """A pair of areas, the child's right and left, placed for this view."""
    right_x, left_x = (
        (x_left_of_viewer, WIDTH - x_left_of_viewer)
        if view == "front"
        else (WIDTH - x_left_of_viewer, x_left_of_viewer)
    )
    return [
        Area(f"{view}-right-{name.replace(' ', '-')}", view, f"right {name}", right_x, y),
        Area(f"{view}-left-{name.replace(' ', '-')}", view, f"left {name}", left_x, y),
    ]


def _areas() -> list[Area]:
    front = [
        Area("front-head", "front", "top of head", 100, 26),
        Area("front-face", "front", "face", 100, 54),
        Area("front-neck", "front", "neck", 100, 86),
        Area("front-chest", "front", "chest", 100, 128),
        Area("front-tummy", "front", "tummy", 100, 180),
        Area("front-groin", "front", "groin or genital area", 100, 236),
    ]
    back = [
        Area("back-head", "back", "back of head", 100, 44),
        Area("back-neck", "back", "back of neck", 100, 86),
        Area("back-upper-back", "back", "upper back", 100, 128),
        Area("back-lower-back", "back", "lower back", 100, 185),
        Area("back-buttocks", "back", "buttocks", 100, 232),
    ]
    limbs = [
        ("shoulder", 70, 104),
        ("upper arm", 52, 140),
        ("forearm", 44, 200),
        ("hand", 44, 248),
        ("thigh", 84, 285),
        ("knee", 85, 332),
        ("lower leg", 86, 372),
        ("foot", 84, 414),
    ]
    for view, listed in (("front", front), ("back", back)):
        for name, x, y in limbs:
            if view == "back" and name == "knee":
                name = "back of knee"
            if view == "back" and name == "lower leg":
                name = "calf"
            listed.extend(_sided(view, name, x, y))
    return front + back


AREAS: dict[str, Area] = {a.key: a for a in _areas()}


def nearest(view: str, x: float, y: float) -> Area:
    """The area of this view whose centre is nearest to (x, y), in fractions of the drawing."""
    px, py = x * WIDTH, y * HEIGHT
    return min((a for a in AREAS.values() if a.view == view), key=lambda a: math.hypot(a.x - px, a.y - py))


def title_of(mark) -> str:
    """How a saved mark's place is shown: its named area ("Front: left forearm")."""
    area = AREAS.get(mark.area)
    return area.title if area else mark.view.capitalize()


def by_view() -> dict[str, list[Area]]:
    return {view: [a for a in AREAS.values() if a.view == view] for view in VIEWS}
