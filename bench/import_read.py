"""Read speed of an uploaded xlsx (issue #18): openpyxl read-only (the old reader) against the guarded
python-calamine reader (app/core/import_xlsx), on a generated N-row sheet. Prints figures; not a test.

    .venv/bin/python bench/import_read.py [--rows 100000] [--columns 25] [--skip-openpyxl]
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook, load_workbook

from app.core import import_files, import_xlsx


def sheet(rows: int, columns: int) -> bytes:
    book = Workbook(write_only=True)
    data = book.create_sheet("Data")
    data.append([f"Column {i}" for i in range(columns)])
    for r in range(rows):
        line = [f"姓名{r}", "男", date(1960, 1, 1) + timedelta(days=r % 16000), f"0{13800000000 + r}", r, r * 1.5]
        data.append(line + [f"text {r} {c}" for c in range(columns - len(line))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def old_reader(data: bytes) -> import_files.SheetData:
    """What import_files._read_xlsx did before: openpyxl read-only, formulas from data_type."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        return import_files._collect(([c.value for c in row], [i for i, c in enumerate(row) if c.data_type == "f"])
                                     for row in book.worksheets[0].iter_rows())
    finally:
        book.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=25)
    parser.add_argument("--skip-openpyxl", action="store_true")
    args = parser.parse_args()
    data = sheet(args.rows, args.columns)
    print(f"file: {args.rows:,} rows x {args.columns} columns, {len(data) / 1e6:.1f} MB")
    started = time.monotonic()
    import_xlsx.scan(data)
    print(f"guard pass only (zip checks + sheet scan): {time.monotonic() - started:.2f} s")
    started = time.monotonic()
    new = import_files.read_file("xlsx", data)
    print(f"calamine reader (guards included): {time.monotonic() - started:.2f} s, {len(new.rows):,} rows")
    if not args.skip_openpyxl:
        started = time.monotonic()
        old = old_reader(data)
        print(f"openpyxl reader (before): {time.monotonic() - started:.2f} s, {len(old.rows):,} rows")
        print("same rows:", old.rows == new.rows and old.headers == new.headers)


if __name__ == "__main__":
    main()
