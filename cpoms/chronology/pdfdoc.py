"""A4 documents of flowing text drawn straight onto reportlab's canvas.

A chronology is thousands of short blocks of plain text: an HTML engine spent
seconds per hundred pages on boxes and CSS it did not need. Here the document is
laid out first (lines wrapped with the fonts' own metrics, blocks kept on one page
where they fit), so the number of pages is known before anything is drawn and every
page can say "Page N of M"; then each page is drawn with its running header.

This module knows nothing of the app: exports.py says what goes in.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 297 * MM
TOP, MARGIN, BOTTOM = 22 * MM, 18 * MM, 20 * MM
INSET = 6  # the HTML page's 8 px body margin, kept so the pages look as they did
SIDE = MARGIN + INSET  # where the text starts; the running header starts at MARGIN
WIDTH = PAGE_WIDTH - 2 * SIDE
BODY_HEIGHT = PAGE_HEIGHT - TOP - BOTTOM - INSET

INK, GREY, RULE = HexColor("#0b0c0c"), HexColor("#505a5f"), HexColor("#b1b4b6")
CELL_BORDER = HexColor("#999999")

# DejaVu: the fonts the HTML export used, with the accents, curly quotes and other
# scripts that pupils' and staff names are written in.
REGULAR, BOLD, ITALIC, MONO = "Sans", "Sans-Bold", "Sans-Oblique", "Mono"
FONT_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    ITALIC: "DejaVuSans-Oblique.ttf",
    MONO: "DejaVuSansMono.ttf",
}
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"


def register_fonts(font_dir: str | None = None) -> None:
    """Once per process: reportlab keeps registered fonts (and their parsed metrics) globally."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, file_name in FONT_FILES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(Path(font_dir or DEFAULT_FONT_DIR) / file_name)))


@dataclass(frozen=True)
class Bar:
    """A vertical line down the left of a block (a follow-up, an amendment)."""

    x: float
    color: object
    width: float
    dashed: bool = False


# A row is one line of the document, with its height: (height, kind, payload, bars).
# Kinds: "text" (x, font, size, color, text, highlight or None), "rule" (color, width),
# "gap" (nothing), "cells" (a table row: [(x, width, lines, font, size)], line height).


@dataclass
class Document:
    """Blocks of rows, then pages of rows; built by the add_* methods, drawn by pdf()."""

    header: list[str]  # the running header's lines, atop every page
    footer: str  # bottom left of every page, "Page N of M" is bottom right
    title: str
    stamp: str = ""  # a line at the very foot of every page (a signed pack's reference and manifest hash)
    groups: list[list[tuple]] = field(default_factory=list)
    bars: tuple[Bar, ...] = ()
    _widths: dict = field(default_factory=dict)

    # --- measuring and wrapping ---------------------------------------------------------

    def width(self, text: str, font: str, size: float) -> float:
        key = (font, text)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = pdfmetrics.stringWidth(text, font, 1000)
        return found * size / 1000

    def wrap(self, text: str, font: str, size: float, width: float) -> list[str]:
        """Lines of at most `width`, broken between words (inside a word only when one
        word is wider than a line: a checksum, a web address); line breaks kept."""
        lines = []
        space = self.width(" ", font, size)
        for paragraph in text.split("\n"):
            line, line_width = [], 0.0
            for word in paragraph.split(" "):
                word_width = self.width(word, font, size)
                if line and line_width + space + word_width > width:
                    lines.append(" ".join(line))
                    line, line_width = [], 0.0
                while word_width > width:
                    cut = self._fits(word, font, size, width)
                    lines.append(word[:cut])
                    word = word[cut:]
                    word_width = self.width(word, font, size)
                line_width += (space if line else 0) + word_width
                line.append(word)
            lines.append(" ".join(line))
        return lines

    def _fits(self, word: str, font: str, size: float, width: float) -> int:
        cut = len(word)
        while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
            cut -= 1
        return cut

    # --- building -----------------------------------------------------------------------

    def block(self) -> None:
        """What follows is kept on one page when it fits on one (CSS's break-inside: avoid).
        The space after the last block's last paragraph goes: the next block's own space
        before it stands instead (as margins collapse in CSS)."""
        if self.groups:
            last = self.groups[-1]
            while last and last[-1][1] == "gap":
                last.pop()
        self.groups.append([])

    def _row(self, row: tuple) -> None:
        if not self.groups:
            self.block()
        self.groups[-1].append(row)

    def gap(self, height: float, bars: bool = True) -> None:
        self._row((height, "gap", None, self.bars if bars else ()))

    def rule(self, color, width: float) -> None:
        self._row((width, "rule", (color, width), ()))

    def text(
        self,
        text: str,
        *,
        indent: float = 0,
        font: str = REGULAR,
        size: float = 10,
        color=INK,
        leading: float | None = None,
        after: float = 1.5 * MM,
        highlight: tuple[str, object] | None = None,
    ) -> None:
        """A paragraph; `highlight` is (words, colour) put after it on a coloured ground."""
        leading = leading or size * 1.4
        x = SIDE + indent
        lines = self.wrap(text, font, size, WIDTH - indent)
        marked = None
        if highlight:
            words, ground = highlight
            tail = self.width(lines[-1] + " ", font, size) if lines[-1] else 0
            if tail + self.width(words, font, size) + 2 * MM > WIDTH - indent:
                lines.append("")
                tail = 0
            marked = (words, ground, tail)
        for n, line in enumerate(lines):
            mark = marked if n == len(lines) - 1 else None
            self._row((leading, "text", (x, font, size, color, line, mark), self.bars))
        if after:
            self.gap(after)

    def pair(self, label: str, value: str, *, label_width: float, after: float) -> None:
        """A label in bold with its value beside it (the HTML's definition list)."""
        leading = 10 * 1.4
        lines = self.wrap(value, REGULAR, 10, WIDTH - label_width)
        for n, line in enumerate(lines):
            self._row((leading, "pair", (label if n == 0 else "", label_width, line), self.bars))
        self.gap(after)

    def cells(self, columns: list[tuple[float, str, str, float]], *, indent: float = 0, pad: float = 2) -> None:
        """A table row: (width, text, font, size) per column, boxed."""
        x, laid = SIDE + indent, []
        for width, text, font, size in columns:
            laid.append((x, width, self.wrap(text, font, size, width - 2 * pad), font, size))
            x += width
        leading = max(size for *_, size in columns) * 1.3
        height = max(len(lines) for _, _, lines, _, _ in laid) * leading + 2 * pad
        self._row((height, "cells", (laid, leading, pad), self.bars))

    # --- pages --------------------------------------------------------------------------

    def pages(self) -> list[list[tuple]]:
        """Rows onto pages: a block that fits on a page starts a new one rather than split;
        a longer block flows on; space is dropped at the top of a page."""
        pages: list[list[tuple]] = [[]]
        used = 0.0
        for group in self.groups:
            height = sum(row[0] for row in group)
            if pages[-1] and used + height > BODY_HEIGHT and height <= BODY_HEIGHT:
                pages.append([])
                used = 0.0
            for row in group:
                if used + row[0] > BODY_HEIGHT and pages[-1]:
                    pages.append([])
                    used = 0.0
                if not pages[-1] and row[1] in ("gap", "rule"):
                    continue
                pages[-1].append(row)
                used += row[0]
        return pages

    def pdf(self, author: str = "") -> bytes:
        pages = self.pages()
        out = io.BytesIO()
        canvas = Canvas(out, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1, invariant=0)
        canvas.setTitle(self.title)
        canvas.setAuthor(author)
        for number, rows in enumerate(pages, start=1):
            self._frame(canvas, number, len(pages))
            self._draw(canvas, rows)
            canvas.showPage()
        canvas.save()
        return out.getvalue()

    def _frame(self, canvas: Canvas, number: int, count: int) -> None:
        canvas.setFillColor(GREY)
        canvas.setFont(REGULAR, 8.5)
        y = PAGE_HEIGHT - 11 * MM
        for line in self.header:
            canvas.drawString(MARGIN, y, self._clipped(line, REGULAR, 8.5))
            y -= 4 * MM
        canvas.drawString(MARGIN, 12 * MM, self.footer)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 12 * MM, f"Page {number} of {count}")
        if self.stamp:
            canvas.setFont(MONO, 6.5)
            canvas.drawString(MARGIN, 7 * MM, self._clipped(self.stamp, MONO, 6.5))

    def _clipped(self, line: str, font: str, size: float) -> str:
        while len(line) > 1 and self.width(line, font, size) > PAGE_WIDTH - 2 * MARGIN:
            line = line[:-2] + "…"
        return line

    def _draw(self, canvas: Canvas, rows: list[tuple]) -> None:
        top = PAGE_HEIGHT - TOP - INSET
        pen = _Pen(canvas)
        running: dict[int, tuple[Bar, float]] = {}  # the bars drawn down the rows so far: where each began
        for height, kind, payload, bars in rows:
            if bars or running:
                self._bars(pen, running, bars, top)
            bottom = top - height
            if kind == "text":
                x, font, size, color, line, mark = payload
                baseline = bottom + (height - size) / 2 + size * 0.22
                if mark:
                    words, ground, tail = mark
                    pen.fill(ground)
                    canvas.rect(x + tail, bottom + 0.5, self.width(words, font, size) + 2 * MM, height - 1, 0, 1)
                    pen.text(x + tail + MM, baseline, words, font, size, color)
                if line:
                    pen.text(x, baseline, line, font, size, color)
            elif kind == "pair":
                label, label_width, line = payload
                baseline = bottom + (height - 10) / 2 + 10 * 0.22
                if label:
                    pen.text(SIDE, baseline, label, BOLD, 10, INK)
                pen.text(SIDE + label_width, baseline, line, REGULAR, 10, INK)
            elif kind == "rule":
                color, width = payload
                pen.stroke(color, width)
                canvas.line(SIDE, top - width / 2, SIDE + WIDTH, top - width / 2)
            elif kind == "cells":
                laid, leading, pad = payload
                pen.stroke(CELL_BORDER, 0.5)
                for x, width, lines, font, size in laid:
                    canvas.rect(x, bottom, width, height, 1, 0)
                    y = top - pad - size
                    for line in lines:
                        pen.text(x + pad, y, line, font, size, INK)
                        y -= leading
            top = bottom
        self._bars(pen, running, (), top)
        pen.finish()

    @staticmethod
    def _bars(pen: _Pen, running: dict, bars: tuple[Bar, ...], top: float) -> None:
        """Each bar as one line down the rows that carry it, ended where they end."""
        for key in [key for key in running if all(id(bar) != key for bar in bars)]:
            bar, began = running.pop(key)
            pen.stroke(bar.color, bar.width, bar.dashed)
            pen.canvas.line(bar.x, began, bar.x, top)
        for bar in bars:
            running.setdefault(id(bar), (bar, top))


class _Pen:
    """The canvas's font, colours and line style, set only when they change (a page of a
    chronology is a few hundred lines in three or four styles), and a page's text as one
    text object, drawn over the page's lines and grounds once the page is laid."""

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        self.words = canvas.beginText()
        self.font = self.inked = self.filled = self.stroked = None

    def fill(self, color) -> None:
        if self.filled is not color:
            self.canvas.setFillColor(color)
            self.filled = color

    def text(self, x: float, y: float, line: str, font: str, size: float, color) -> None:
        if self.font != (font, size):
            self.words.setFont(font, size)
            self.font = (font, size)
        if self.inked is not color:
            self.words.setFillColor(color)
            self.inked = color
        self.words.setTextOrigin(x, y)
        self.words.textOut(line)

    def stroke(self, color, width: float, dashed: bool = False) -> None:
        if self.stroked != (color, width, dashed):
            self.canvas.setStrokeColor(color)
            self.canvas.setLineWidth(width)
            self.canvas.setDash(2, 2) if dashed else self.canvas.setDash()
            self.stroked = (color, width, dashed)

    def finish(self) -> None:
        self.canvas.drawText(self.words)
