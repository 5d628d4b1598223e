from commerce.common.errors import Conflict, InvalidInput, NotFound


class ProductNotFound(NotFound):
    code = "PRODUCT_NOT_FOUND"


class InvalidCursor(InvalidInput):
    code = "INVALID_CURSOR"


class SkuTaken(Conflict):
    code = "SKU_TAKEN"


class ImportNotFound(NotFound):
    code = "IMPORT_NOT_FOUND"


class ImportKeyReused(Conflict):
    code = "IDEMPOTENCY_KEY_REUSED"
