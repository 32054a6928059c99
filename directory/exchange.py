"""The provider exchange formats: CSV (import and export) and GeoJSON (export).

The CSV columns are ``records.COLUMNS``; lists inside a cell are separated by ";".
Files may use "," or ";" as the delimiter (French spreadsheets write ";").
"""

from __future__ import annotations

import csv
import io
import json
from typing import IO, Iterable

import msgspec

from directory.records import COLUMNS, REQUIRED, ProviderRecord, RecordError, clean_record, record_to_row
from geo import Gazetteer, Geocoder


class FileError(ValueError):
    """The file as a whole cannot be read (no header, unknown columns…)."""


class RowError(msgspec.Struct):
    """One rejected row: its line in the file and why."""

    line: int
    reason: str
    fields: dict[str, str] = {}


def _dialect(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_csv(
    stream: IO[str], gazetteer: Gazetteer, geocoder: Geocoder | None = None
) -> tuple[list[ProviderRecord], list[RowError]]:
    """Validate every row of a providers CSV: the good records and the rejected rows."""
    text = stream.read().lstrip("\ufeff")
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=_dialect(header_line))
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

    records: list[ProviderRecord] = []
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
            record = clean_record(dict(zip(header, cells)), gazetteer, geocoder)
        except RecordError as error:
            errors.append(RowError(start, str(error), error.errors))
            continue
        duplicate = _duplicate(record, start, first_seen)
        if duplicate:
            errors.append(duplicate)
            continue
        records.append(record)
    return records, errors


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
        writer.writerow(record_to_row(record))
        count += 1
    return count


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
