from commerce.common.errors import Conflict, DomainError, InvalidInput, NotFound, Unprocessable


class ProductNotFound(NotFound):
    code = "PRODUCT_NOT_FOUND"


class SkuTaken(Conflict):
    code = "SKU_TAKEN"


class ImportNotFound(NotFound):
    code = "IMPORT_NOT_FOUND"


class ImportKeyReused(Conflict):
    code = "IDEMPOTENCY_KEY_REUSED"


class InvalidReference(Unprocessable):
    code = "INVALID_REFERENCE"


class CollectionNotFound(NotFound):
    code = "COLLECTION_NOT_FOUND"


class UnknownProducts(Unprocessable):
    code = "UNKNOWN_PRODUCTS"


# ---- back office (docs/back-office.md, "Catalogue management") -----------------------------------
class PreconditionFailed(DomainError):
    status, code, title = 412, "PRECONDITION_FAILED", "Precondition failed"


class VersionMismatch(PreconditionFailed):
    """An edit named the version it read (If-Match or ``version``) and someone changed it since."""

    code = "VERSION_MISMATCH"


class EntryNotFound(NotFound):
    code = "REFERENCE_NOT_FOUND"


class EntryExists(Conflict):
    code = "ALREADY_EXISTS"


class ProductExists(Conflict):
    code = "PRODUCT_EXISTS"


class SkuNotFound(NotFound):
    code = "SKU_NOT_FOUND"


class AlreadyRetired(Conflict):
    code = "ALREADY_RETIRED"


class StillReferenced(Conflict):
    """Retiring something others still use (a brand of active products, a category with children)."""

    code = "STILL_REFERENCED"


class LastVariant(Conflict):
    code = "LAST_VARIANT"


class KeyMismatch(Unprocessable):
    code = "KEY_MISMATCH"


class InvalidCursor(InvalidInput):
    code = "INVALID_CURSOR"


class CsvInvalid(Unprocessable):
    """The file as a whole cannot be read (no header, unknown or missing columns, too many rows)."""

    code = "CSV_INVALID"


class CsvRowsInvalid(Unprocessable):
    """Every row has a problem: nothing to import (the report is in ``problems``)."""

    code = "CSV_ROWS_INVALID"


class ImportTooLarge(DomainError):
    status, code, title = 413, "IMPORT_TOO_LARGE", "Import too large"
