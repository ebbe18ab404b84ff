"""Reading a CSV file exported from an MIS (SIMS, Arbor, Bromcom): whatever its
encoding, whatever order and spelling its headings come in."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass


class FileProblem(ValueError):
    """The file as a whole cannot be read: the message says where and why, for a person."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...]  # headings, in order of preference, as heading_key() gives them
    required: bool = True


def heading_key(text: str) -> str:
    """'Legal Forename', 'legal_forename' and ' LEGAL-FORENAME ' are one heading."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def decode(data: bytes) -> str:
    """UTF-8 (with or without the byte order mark Excel writes), else Windows-1252,
    which is what an MIS export opened and saved in Excel on Windows usually is."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise FileProblem(
            f"Line {line} has characters that are neither UTF-8 nor Windows-1252: "
            "save the file from the MIS as CSV (UTF-8) and try again."
        ) from None


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]  # column key -> the cell, stripped
    problem: str | None = None


def read(text: str, columns: tuple[Column, ...]) -> list[Row]:
    """The rows of the file, each with the line it started on, keyed by column.
    Raises FileProblem for a file that is not a CSV with the needed headings."""
    if "\x00" in text:
        raise FileProblem("This is not a CSV file (it holds binary data): export the list from the MIS as CSV.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        headings = next(reader, None)
        if not headings or not any(h.strip() for h in headings):
            raise FileProblem("The file is empty: line 1 should hold the column headings.")
        positions = _positions(headings, columns)
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(_row(start, cells, headings, positions))
            start = reader.line_num + 1
    except csv.Error as error:
        raise FileProblem(
            f"Line {reader.line_num} could not be read as CSV ({error}): check for a stray quotation mark."
        ) from None
    return rows


def _positions(headings: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    found = {}
    for i, heading in enumerate(headings):
        found.setdefault(heading_key(heading), i)
    positions, missing = {}, []
    for column in columns:
        index = next((found[alias] for alias in column.aliases if alias in found), None)
        if index is not None:
            positions[column.key] = index
        elif column.required:
            missing.append(column.label)
    if missing:
        shown = ", ".join(h.strip() for h in headings if h.strip())[:300]
        raise FileProblem(f"Line 1: the file has no column for {_join(missing)}. Its headings are: {shown}.")
    return positions


def _row(line: int, cells: list[str], headings: list[str], positions: dict[str, int]) -> Row:
    values = {key: cells[i].strip() if i < len(cells) else "" for key, i in positions.items()}
    if len(cells) != len(headings):
        return Row(line, values, f"has {len(cells)} values but the headings name {len(headings)} columns")
    return Row(line, values)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
