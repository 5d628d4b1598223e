"""The platform's OpenAPI document, generated from the code.

Each HTTP function's Powertools resolver describes its own routes (parameters, bodies, response
models, from the type hints); this module merges them into one document and adds what only the
topology knows: which user pool authorises a route, which staff permission it needs, and the
problem+json error responses every route shares.

    python -m infra.openapi          # rewrite docs/openapi.json
    python -m infra.openapi --check  # exit 1 when docs/openapi.json is out of date

tests/infra/test_openapi.py fails when code and the committed document drift.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

from infra.model import ROOT, AuthKind, Topology
from infra.topology import TOPOLOGY

DOCUMENT = ROOT / "docs" / "openapi.json"
TITLE = "Serverless Commerce API"
VERSION = "0.1.0"

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable and machine-readable.",
    "required": ["type", "title", "status", "code", "detail", "request_id"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "examples": ["PRODUCT_NOT_FOUND", "INVALID_PARAMETER"]},
        "detail": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
SECURITY_SCHEMES = {
    AuthKind.CUSTOMER: (
        "CustomerPool",
        "A Cognito ID token from the customer pool (POST /auth/sign-in), sent as the raw Authorization header.",
    ),
    AuthKind.STAFF: (
        "StaffPool",
        "A Cognito ID token from the staff pool; the route's x-required-permission must be granted by the "
        "caller's staff groups.",
    ),
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM_REF}}}


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before sending the same request again (with the same Idempotency-Key)",
        "schema": {"type": "integer", "minimum": 0},
    }
}
# Every route may answer these without its handler deciding: retry them, after Retry-After.
RETRYABLE_RESPONSES = {
    "429": ("Throttled", "Too many requests (THROTTLED: from this address, by the firewall or the stage)"),
    "503": (
        "TemporarilyUnavailable",
        "Temporarily unavailable (TEMPORARILY_UNAVAILABLE: a throttled table or function; or the route's own code)",
    ),
}


def _retryable_response(description: str) -> dict[str, Any]:
    return {**_problem_response(description), "headers": RETRY_AFTER}


def build(topology: Topology = TOPOLOGY) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    routes = {(route.method, route.path): (route, fn) for route, fn in topology.routes()}
    for module_name in sorted({fn.handler.rsplit(".", 1)[0] for _, fn in routes.values()}):
        imported_here = module_name not in sys.modules
        app = importlib.import_module(module_name).app
        if imported_here:  # initialised without its function's environment: not for anyone else to reuse
            del sys.modules[module_name]
        spec = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        for path, operations in spec.get("paths", {}).items():
            for method, operation in operations.items():
                paths.setdefault(path, {})[method] = operation
        for name, schema in spec.get("components", {}).get("schemas", {}).items():
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"two handlers define different schemas named {name!r}; rename one model")

    for (method, path), (route, fn) in routes.items():
        operation = paths.get(path, {}).get(method.lower())
        if operation is None:
            raise LookupError(f"{method} {path} is in the topology but {fn.handler} does not serve it")
        operation["operationId"] = (
            f"{method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"
        )
        operation["tags"] = [fn.context]
        operation.setdefault("description", fn.description)
        if route.auth in SECURITY_SCHEMES:
            operation["security"] = [{SECURITY_SCHEMES[route.auth][0]: []}]
            operation["responses"]["401"] = _problem_response("Missing or invalid token")
        if route.auth is AuthKind.STAFF:
            operation["x-required-permission"] = route.permission
            operation["responses"]["403"] = _problem_response(f"The caller lacks {route.permission}")
        # Powertools documents its own 422 shape; ours is problem+json (commerce.common.api).
        if "422" in operation["responses"]:
            operation["responses"]["422"] = _problem_response("The request is not valid")
        for status, (name, _) in RETRYABLE_RESPONSES.items():
            declared = operation["responses"].get(status)
            operation["responses"][status] = (
                _retryable_response(declared["description"]) if declared else {"$ref": f"#/components/responses/{name}"}
            )
        operation["responses"].setdefault("default", _problem_response("Any other error, as problem+json"))
    served = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    unknown = served - set(routes)
    if unknown:
        raise LookupError(f"handlers serve routes the topology does not declare: {sorted(unknown)}")

    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Storefront, back-office and webhook API of the serverless commerce platform. "
            "Generated from the handlers by `python -m infra.openapi`; do not edit by hand.",
        },
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {
            "schemas": {name: schemas[name] for name in sorted(schemas)},
            "responses": {name: _retryable_response(description) for name, description in RETRYABLE_RESPONSES.values()},
            "securitySchemes": {
                name: {"type": "apiKey", "in": "header", "name": "Authorization", "description": description}
                for name, description in SECURITY_SCHEMES.values()
            },
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.openapi")
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is out of date")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = DOCUMENT.read_text() if DOCUMENT.exists() else ""
        if current != text:
            print("docs/openapi.json is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
