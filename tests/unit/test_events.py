"""Every event type has a schema and a sample; the samples match the schemas."""

import json
from pathlib import Path

import jsonschema
import pytest

EVENTS = Path(__file__).resolve().parents[2] / "events"
SCHEMAS = sorted((EVENTS / "schemas").glob("*.json"))


@pytest.mark.parametrize("schema_path", SCHEMAS, ids=lambda p: p.stem)
def test_each_schema_has_a_sample_that_validates(schema_path):
    schema = json.loads(schema_path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    sample = json.loads((EVENTS / "samples" / schema_path.name).read_text())
    assert sample["detail-type"] == schema_path.stem
    assert sample["source"] == schema["x-source"]
    jsonschema.validate(sample["detail"], schema, format_checker=jsonschema.FormatChecker())


def test_every_detail_type_the_code_and_asl_emit_has_a_schema():
    root = EVENTS.parent
    sources = [*root.glob("layers/shared/commerce/**/*.py"), *root.glob("statemachines/*.json")]
    text = "\n".join(p.read_text() for p in sources)
    import re

    emitted = set(re.findall(r'"(?:DetailType|detail_type)"\s*:\s*"([A-Z][A-Za-z]+)"', text))
    emitted |= set(re.findall(r'"([A-Z][a-z]+[A-Z][A-Za-z]+)" if ', text))
    emitted |= set(re.findall(r'else "([A-Z][a-z]+[A-Z][A-Za-z]+)"', text))
    assert emitted, "no event types found"
    assert emitted <= {p.stem for p in SCHEMAS}
