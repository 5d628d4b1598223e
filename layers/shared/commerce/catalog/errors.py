from commerce.common.errors import Conflict, NotFound, Unprocessable


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
