"""CSV imports (docs/back-office.md, "Batch product generation"): check every row at once, answer
with the report, and send the good rows through the catalogue-import workflow.

The file is read and planned by ``commerce.catalog.csv_import``. The products to store go to the
workflow in executions of at most ``CHUNK_PRODUCTS`` products and ``CHUNK_BYTES`` of input (Step
Functions takes 256 KB of input per execution): the first is named after the import, the others
``<import id>-2``, ``-3``, ... A record of the import (``IMPORT#<id>``: the report, the rows of
each product and the executions) lets ``GET /admin/catalogue/imports/{import_id}`` show progress:
rows done as each execution finishes, the rows it rejected, and the report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from commerce.catalog.csv_import import MAX_PROBLEMS, ImportPlan, RowProblem, parse, plan
from commerce.catalog.errors import CsvRowsInvalid, ImportKeyReused
from commerce.catalog.models import ImportOutcome
from commerce.catalog.ports import ImportRecords, ProductStore, ReferenceRepository, WorkflowStarter
from commerce.common.clock import iso, new_id

CHUNK_PRODUCTS = 100
CHUNK_BYTES = 200_000
ENDED_BADLY = frozenset({"FAILED", "TIMED_OUT", "ABORTED", "NOT_STARTED"})


class CsvStore(ProductStore, ImportRecords, Protocol):
    pass


class RowCounts(BaseModel):
    total: int = Field(description="Rows in the file (the header and empty rows not counted)")
    invalid: int = Field(description="Rows with a problem: not imported")
    unchanged: int = Field(description="Rows whose product is already exactly so: nothing to do")
    queued: int = Field(description="Rows sent to the import workflow")


class CsvImportReport(BaseModel):
    import_id: str
    status_url: str
    status: Literal["RUNNING", "SUCCEEDED"] = Field(description="SUCCEEDED at once when there is nothing to import")
    replayed: bool = Field(description="The same Idempotency-Key and file were sent before: this is that import")
    message: str
    rows: RowCounts
    products_to_import: int
    products_unchanged: int
    problems: list[RowProblem] = Field(description="Each bad row: row number (the header is row 1), column, reason")
    problems_total: int = Field(description=f"All problems found (at most {MAX_PROBLEMS} are listed)")


def import_id_for(idempotency_key: str | None) -> str:
    if idempotency_key:
        return "imp_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:26]
    return new_id("imp")


def chunks(products: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: list[list[dict[str, Any]]] = []
    size = 0
    for product in products:
        length = len(json.dumps(product, separators=(",", ":")))
        if not groups or len(groups[-1]) >= CHUNK_PRODUCTS or size + length > CHUNK_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(product)
        size += length
    return groups


def _rows(count: int) -> str:
    return f"{count} row" + ("" if count == 1 else "s")


def _message(rows: dict[str, int], to_import: int) -> str:
    parts = [f"{_rows(rows['total'])} checked"]
    if to_import:
        parts.append(f"{_rows(rows['queued'])} ({to_import} product{'' if to_import == 1 else 's'}) to import")
    else:
        parts.append("nothing to import")
    if rows["unchanged"]:
        parts.append(f"{_rows(rows['unchanged'])} unchanged (already so: imported before)")
    if rows["invalid"]:
        parts.append(f"{_rows(rows['invalid'])} with problems, not imported")
    return "; ".join(parts) + "."


def report_of(record: dict[str, Any], replayed: bool) -> CsvImportReport:
    rows = {k: int(record[f"rows_{k}"]) for k in ("total", "invalid", "unchanged", "queued")}
    to_import = sum(len(chunk["rows"]) for chunk in record["chunks"])
    return CsvImportReport(
        import_id=record["import_id"],
        status_url=f"/admin/catalogue/imports/{record['import_id']}",
        status="RUNNING" if record["chunks"] else "SUCCEEDED",
        replayed=replayed,
        message=_message(rows, to_import),
        rows=RowCounts(**rows),
        products_to_import=to_import,
        products_unchanged=int(record["products_unchanged"]),
        problems=[RowProblem.model_validate(p) for p in record["problems"]],
        problems_total=int(record["problems_total"]),
    )


class CsvImports:
    def __init__(
        self,
        products: CsvStore,
        reference: ReferenceRepository,
        workflow: WorkflowStarter,
        now: Callable[[], str] = iso,
    ) -> None:
        self._products, self._reference, self._workflow, self._now = products, reference, workflow, now

    def check(self, text: str) -> ImportPlan:
        """Every row checked (the file, the reference data, what is stored, who owns each SKU)."""
        parsed = parse(text)
        ids = [p.product_id for p in parsed.products]
        skus = [r.variant["sku"] for p in parsed.products for r in p.rows]
        return plan(parsed, self._reference.load(), self._products.get_many(ids), self._products.claims(skus))

    def start(self, text: str, idempotency_key: str | None, actor: str | None = None) -> CsvImportReport:
        digest = hashlib.sha256(text.encode()).hexdigest()
        import_id = import_id_for(idempotency_key)
        if idempotency_key:
            existing = self._products.get_import(import_id)
            if existing is not None:
                return self._replay(existing, digest)
        checked = self.check(text)
        problems = [p.model_dump() for p in checked.problems]
        if not checked.to_import and not checked.unchanged:
            raise CsvRowsInvalid(
                f"None of the {checked.rows_total} rows can be imported; see 'problems'.",
                problems=problems[:MAX_PROBLEMS],
                problems_total=len(problems),
            )
        groups = chunks([p.product for p in checked.to_import])
        rows_of = {p.product["product_id"]: p.rows for p in checked.to_import}
        names = [import_id if i == 0 else f"{import_id}-{i + 1}" for i in range(len(groups))]
        record = {
            "import_id": import_id,
            "kind": "csv",
            "created_at": self._now(),
            "actor": actor,
            "file_sha256": digest,
            "rows_total": checked.rows_total,
            "rows_invalid": checked.rows_invalid,
            "rows_unchanged": sum(len(p.rows) for p in checked.unchanged),
            "rows_queued": sum(len(p.rows) for p in checked.to_import),
            "products_unchanged": len(checked.unchanged),
            "problems": problems[:MAX_PROBLEMS],
            "problems_total": len(problems),
            "chunks": [
                {"name": name, "rows": {p["product_id"]: rows_of[p["product_id"]] for p in group}}
                for name, group in zip(names, groups, strict=True)
            ],
        }
        if not self._products.put_import(record):  # the same key, sent twice at once
            existing = self._products.get_import(import_id)
            assert existing is not None
            return self._replay(existing, digest)
        for name, group in zip(names, groups, strict=True):
            self._workflow.start(name, {"import_id": name, "products": group})
        return report_of(record, replayed=False)

    @staticmethod
    def _replay(record: dict[str, Any], digest: str) -> CsvImportReport:
        if record.get("file_sha256") != digest:
            raise ImportKeyReused("This Idempotency-Key was used for a different file.", import_id=record["import_id"])
        return report_of(record, replayed=True)


class ImportDescriber(Protocol):
    def describe(self, name: str) -> dict[str, Any] | None: ...


def csv_progress(record: dict[str, Any], workflow: ImportDescriber) -> dict[str, Any]:
    """A CSV import's progress: its executions' outcomes counted in rows and products, with the
    validation report and the rows of products the workflow rejected."""
    counts = {"imported": 0, "rejected": 0, "failed": 0}
    rows = {"done": 0, "imported": 0, "failed": 0}
    problems: list[dict[str, Any]] = []
    row_problems: list[dict[str, Any]] = list(record["problems"])
    executions = []
    for chunk in record["chunks"]:
        described = workflow.describe(chunk["name"])
        status = str(described["status"]) if described else "NOT_STARTED"
        executions.append({"name": chunk["name"], "status": status})
        for raw in ((described or {}).get("output") or {}).get("results", []):
            outcome = ImportOutcome.model_validate(raw)
            counts[outcome.status] += 1
            numbers = chunk["rows"].get(outcome.product_id, [])
            rows["done"] += len(numbers)
            if outcome.status == "imported":
                rows["imported"] += len(numbers)
                continue
            rows["failed"] += len(numbers)
            problems.append(outcome.model_dump())
            reason = f"the workflow {outcome.status} the product: {outcome.reason}"
            row_problems += [
                {"row": n, "column": None, "reason": reason, "product_id": outcome.product_id, "sku": None}
                for n in numbers
            ]
    statuses = {e["status"] for e in executions}
    status = "RUNNING" if "RUNNING" in statuses else "FAILED" if statuses & ENDED_BADLY else "SUCCEEDED"
    return {
        "import_id": record["import_id"],
        "kind": "csv",
        "status": status,
        "started_at": record["created_at"],
        "rows": {
            "total": record["rows_total"],
            "invalid": record["rows_invalid"],
            "unchanged": record["rows_unchanged"],
            "queued": record["rows_queued"],
            **rows,
        },
        "counts": counts,
        "problems": problems,
        "row_problems": sorted(row_problems, key=lambda p: p["row"])[:MAX_PROBLEMS],
        "problems_total": record["problems_total"] + rows["failed"],
        "executions": executions,
    }
