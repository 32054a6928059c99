"""The provider exchange formats: CSV (import and export) and GeoJSON (export); tables as CSV downloads.

The CSV columns are ``records.COLUMNS``; lists inside a cell are separated by ";".
Files may use "," or ";" as the delimiter (French spreadsheets write ";").
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from typing import IO

import charset_normalizer
import msgspec
from litestar import Response

from directory.records import COLUMNS, REQUIRED, ProviderRecord, RecordError, clean_record, record_to_row
from geo import Gazetteer, Geocoder

# What makes a spreadsheet read a cell as a formula (OWASP), and the quote that disarms it.
FORMULA_STARTS = frozenset("=+-@\t\r'")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
# Where a spreadsheet may split a cell into several: the delimiters this module reads. Each
# part is guarded, or "Maintenance;=cmd|…" becomes a formula once split on ";".
_PARTS = re.compile(r"([;,])")


class FileError(ValueError):
    """The file as a whole cannot be read (no header, unknown columns…)."""


class ImportedRow(msgspec.Struct):
    """A valid row: its line in the file and its record."""

    line: int
    record: ProviderRecord


class RowError(msgspec.Struct):
    """One rejected row: its line in the file and why."""

    line: int
    reason: str
    fields: dict[str, str] = {}


# What spreadsheets save when not asked for UTF-8: Excel on Windows, then Excel on a Mac.
LEGACY_ENCODINGS = ("cp1252", "mac_roman")
ENCODING_NAMES = {"cp1252": "Windows-1252 (Excel sous Windows)", "mac_roman": "Mac Roman (Excel sous macOS)"}
ZIP_SIGNATURE = b"PK\x03\x04"  # what .xlsx and .ods files are
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SAVE_AS_UTF8 = "Dans Excel : Fichier > Enregistrer sous > « CSV UTF-8 (délimité par des virgules) »."


def decode(data: bytes) -> tuple[str, str | None]:
    """The text of a CSV file, and a note when it was not UTF-8 but a spreadsheet's legacy encoding.

    UTF-8 (with or without a byte order mark) is read as is; otherwise charset-normalizer
    chooses between the legacy encodings spreadsheets write, and anything else is refused.
    """
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
    if data.startswith(ZIP_SIGNATURE):
        raise FileError(f"Ce fichier est un classeur (.xlsx ou .ods), pas un fichier CSV. {SAVE_AS_UTF8}")
    guess = charset_normalizer.from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)).best()
    # Mac Roman gives a character to every byte: binary data "decodes", with control characters.
    if guess is None or guess.encoding not in ENCODING_NAMES or _BINARY.search(str(guess)):
        raise FileError(f"Le fichier n'est pas en UTF-8 (octet invalide ligne {line}) et son encodage n'a pas pu "
                        f"être reconnu. {SAVE_AS_UTF8}")
    return str(guess), (f"Fichier lu comme {ENCODING_NAMES[guess.encoding]} : vérifiez les accents, ou "
                        f"enregistrez-le en UTF-8. {SAVE_AS_UTF8}")


def _dialect(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_csv(
    text: str, gazetteer: Gazetteer, geocoder: Geocoder | None = None
) -> tuple[list[ImportedRow], list[RowError]]:
    """Validate every row of a providers CSV: the good records and the rejected rows."""
    text = text.lstrip("\ufeff")
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=_dialect(header_line))
    try:
        return _read_rows(reader, gazetteer, geocoder)
    except csv.Error as error:
        reason = f"cellule de plus de {csv.field_size_limit():,} caractères".replace(",", " ") \
            if "field limit" in str(error) else str(error)
        raise FileError(f"Fichier CSV illisible ligne {reader.line_num} : {reason}.") from None


def _read_rows(reader, gazetteer: Gazetteer, geocoder: Geocoder | None) -> tuple[list[ImportedRow], list[RowError]]:
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise FileError("Le fichier est vide.") from None
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise FileError(f"Colonnes inconnues : {', '.join(unknown)}. Colonnes possibles : {', '.join(COLUMNS)}.")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise FileError(f"Colonnes obligatoires absentes : {', '.join(missing)}.")

    rows: list[ImportedRow] = []
    errors: list[RowError] = []
    first_seen: dict[tuple[str, str], int] = {}
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(RowError(start, f"{len(cells)} colonnes au lieu de {len(header)}."))
            continue
        try:
            record = clean_record(dict(zip(header, map(from_cell, cells))), gazetteer, geocoder)
        except RecordError as error:
            errors.append(RowError(start, str(error), error.errors))
            continue
        duplicate = _duplicate(record, start, first_seen)
        if duplicate:
            errors.append(duplicate)
            continue
        rows.append(ImportedRow(start, record))
    return rows, errors


def _duplicate(record: ProviderRecord, line: int, first_seen: dict[tuple[str, str], int]) -> RowError | None:
    for key in (("siret", record.siret), ("slug", record.slug)):
        if not key[1]:
            continue
        if key in first_seen:
            return RowError(line, f"{key[0]} {key[1]} déjà présent ligne {first_seen[key]}.", {key[0]: "Doublon."})
        first_seen[key] = line
    return None


def write_csv(records: Iterable[ProviderRecord], stream: IO[str]) -> int:
    """Write records as CSV; returns how many."""
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({column: to_cell(value) for column, value in record_to_row(record).items()})
        count += 1
    return count


def to_cell(value: str) -> str:
    """A value as a spreadsheet may open it safely: never read as a formula (OWASP's CSV injection advice).

    Each part a spreadsheet could split the cell into (at ";" or ",") that it would take for a
    formula (or that starts with the quote this adds), spaces before it ignored, gets a leading
    ``'``; ``from_cell`` takes them off, so export then import changes nothing.
    """
    return "".join("'" + part if _formula(part) else part for part in _PARTS.split(value))


def from_cell(value: str) -> str:
    """The value ``to_cell`` wrote."""
    return "".join(part[1:] if part[:1] == "'" and _formula(part[1:]) else part for part in _PARTS.split(value))


def _formula(part: str) -> bool:
    """Whether a spreadsheet would read this part of a cell as a formula (a negative number is one)."""
    start = part.lstrip(" ")
    return start[:1] in FORMULA_STARTS and not _NUMBER.match(start)


def csv_download(rows: Iterable[Iterable[object]], name: str) -> Response:
    """A table as a CSV download French spreadsheets open as is: semicolons, a byte-order mark for
    UTF-8, and text cells guarded against formulas (``to_cell``)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(
        [to_cell(cell) if isinstance(cell, str) else cell for cell in row] for row in rows)
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def write_geojson(records: Iterable[ProviderRecord], stream: IO[str]) -> int:
    """Write records as a GeoJSON FeatureCollection of points; returns how many."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [record.longitude, record.latitude]},
            "properties": {k: v for k, v in msgspec.to_builtins(record).items() if k not in ("latitude", "longitude")},
        }
        for record in records
    ]
    json.dump({"type": "FeatureCollection", "features": features}, stream, ensure_ascii=False)
    stream.write("\n")
    return len(features)
