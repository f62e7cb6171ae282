"""Import a safety dataset in the paper's format (a CSV with Query and Response columns)."""

from pathlib import Path

from safetygap.bench.seeds import read_table
from safetygap.errors import UserError
from safetygap.hashing import text_id

IMPORTED_FORMAT = "imported"


def import_pairs(
    path: str | Path,
    query_column: str = "Query",
    response_column: str = "Response",
    harmful: bool = True,
) -> list[dict]:
    """Safety records from a user CSV/JSONL of (query, response) pairs.

    The file does not say which format a query is in, so `format` is `imported`; every row
    is marked `harmful` (the paper's file holds harmful queries with refusals) unless told
    otherwise. Rows with an empty query or response are skipped; exact duplicate queries keep
    their first row."""
    path = Path(path)
    columns, rows = read_table(path, (query_column, response_column))
    missing = [c for c in (query_column, response_column) if c not in columns]
    if missing:
        raise UserError(
            f"{path}: no column {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(columns) or 'none'})"
        )
    records, seen = [], set()
    for row in rows:
        query = str(row.get(query_column) or "").strip()
        response = str(row.get(response_column) or "").strip()
        if not query or not response:
            continue
        seed_id = f"import:{text_id(query)}"
        if seed_id in seen:
            continue
        seen.add(seed_id)
        records.append(
            {
                "id": f"{IMPORTED_FORMAT}/{seed_id}",
                "seed_id": seed_id,
                "format": IMPORTED_FORMAT,
                "harmful": harmful,
                "prompt": query,
                "response": response,
            }
        )
    if not records:
        raise UserError(f"{path}: no row has both a {query_column!r} and a {response_column!r}")
    return records
