"""A class's grades as CSV, for a spreadsheet or a learning platform's gradebook.

One row per sheet: the sheet, the student, the score and the most it could be, then the points
each quantity earned (a column per quantity any sheet answers, in the worksheet's order; empty
where a sheet did not answer it), the slips named, and the error of a sheet that could not be
read. The numbers are the ones `check --json` writes.
"""

from __future__ import annotations

import csv
import io
from typing import Optional

FIXED = ("sheet", "student", "score", "max_score")
LAST = ("slips", "error")


def csv_text(rows, order: Optional[dict] = None) -> str:
    """rows: (sheet, report, error) as check grades them; order: quantity name -> its place in the
    worksheet's order (the catalog's), for the columns."""
    order = order or {}
    names: dict[str, None] = {}
    for _, report, error in rows:
        if error is None:
            for g in report.graded:
                names.setdefault(g.quantity)
    columns = sorted(names, key=lambda n: (order.get(n, len(order)), n))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIXED + tuple(columns) + LAST)
    for sheet, report, error in rows:
        if error is not None:
            writer.writerow((sheet, "", "", "") + ("",) * len(columns) + ("", error))
            continue
        earned = {g.quantity: g.score for g in report.graded}
        slips = "; ".join(f"{g.quantity}: {g.slip.name}" for g in report.graded if g.slip is not None)
        writer.writerow(
            (sheet, report.student or "", repr(report.score), repr(report.max_score))
            + tuple(repr(earned[n]) if n in earned else "" for n in columns)
            + (slips, "")
        )
    return out.getvalue()
