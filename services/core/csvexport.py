"""CSV exports that a spreadsheet opens safely, for every interface (API and console)."""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell that would start a formula (a reward titled "=HYPERLINK(...)") is quoted."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def write_csv(out, header: list[str], rows) -> None:
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[spreadsheet_safe(value) for value in row] for row in rows])
