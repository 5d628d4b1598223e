from commerce.catalog.models import Product
from commerce.search.indexer import SearchIndexer, normalise, terms_of
from local.seed import demo_products


def product(**changes) -> Product:
    raw = {"status": "active"} | demo_products()[0] | changes
    return Product(
        **raw, price_from=min(v["price"] for v in raw["variants"]), created_at="t", updated_at="t", version=1
    )


def test_terms_fold_case_and_accents_and_drop_noise():
    assert normalise("Café Crème, 2-in-1!") == ["cafe", "creme", "in"]


def test_a_product_is_found_by_name_brand_category_and_variant_attributes():
    terms = terms_of(product())
    assert {"aurora", "sonora", "headphones", "electronics", "navy"} <= terms


class Catalogue:
    def __init__(self, item):
        self.item = item

    def find_product(self, product_id):
        return self.item


class Index:
    def __init__(self):
        self.docs = {}

    def replace(self, product_id, terms):
        self.docs[product_id] = terms

    def remove(self, product_id):
        self.docs.pop(product_id, None)


def test_retired_or_deleted_products_leave_the_index():
    index = Index()
    SearchIndexer(Catalogue(product()), index).reindex("aurora-anc-headphones")
    assert index.docs
    SearchIndexer(Catalogue(product(status="retired")), index).reindex("aurora-anc-headphones")
    assert index.docs == {}
    SearchIndexer(Catalogue(None), index).reindex("gone")
    assert index.docs == {}
