"""The one REST resolver setup every HTTP handler uses.

- request validation on (pydantic models from type hints);
- query parameters a route does not declare are refused (422 UNKNOWN_PARAMETER);
- every error, ours or Powertools', becomes ``application/problem+json`` (RFC 9457) with a stable
  ``code`` and the request id; client errors log at INFO, unexpected ones at ERROR;
- staff routes are authorised before their input is parsed, against the permission the topology
  declares for the route (``ROUTE_PERMISSIONS``) and the Cognito groups the authoriser verified.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.audit import log as audit_log
from commerce.common.errors import DomainError, TemporarilyUnavailable, is_throttling
from commerce.common.observability import logger, metrics, tracer
from commerce.staff.permissions import Permission, permissions_of

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 256 * 1024


def problem(status: int, code: str, title: str, detail: str, request_id: str | None, **ext: Any) -> Response[str]:
    body = {
        "type": f"https://docs.commerce.dev/problems/{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        "request_id": request_id,
        **ext,
    }
    return Response(status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body, default=str))


def make_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(
        enable_validation=True,
        cors=CORSConfig(allow_origin="*", allow_headers=["Authorization", "Idempotency-Key"], max_age=600),
    )

    def request_id() -> str | None:
        return app.current_event.request_context.request_id if app.current_event else None

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[str]:
        logger.info("request refused", extra={"code": error.code, "status": error.status})
        response = problem(error.status, error.code, error.title, error.detail, request_id(), **error.extensions)
        if isinstance(error, TemporarilyUnavailable):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[str]:
        errors = [{"loc": list(e.get("loc", ())), "type": e.get("type"), "msg": e.get("msg")} for e in error.errors()]
        if any(e["type"] == "json_invalid" for e in errors):
            logger.info("request body is not JSON")
            return problem(400, "MALFORMED_JSON", "Malformed JSON", "The body is not valid JSON.", request_id())
        logger.info("request invalid", extra={"errors": errors})
        code = "INVALID_BODY" if any(e["loc"][:1] == ["body"] for e in errors) else "INVALID_PARAMETER"
        return problem(
            422, code, "The request is not valid", "See 'errors' for each problem.", request_id(), errors=errors
        )

    @app.exception_handler(NotFoundError)
    def _not_found(_: NotFoundError) -> Response[str]:
        return problem(404, "ROUTE_NOT_FOUND", "Not found", "No such resource.", request_id())

    @app.exception_handler(ServiceError)
    def _service(error: ServiceError) -> Response[str]:
        status = HTTPStatus(error.status_code)
        return problem(status.value, status.name, status.phrase, str(error.msg), request_id())

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        if is_throttling(error):  # throttled past the SDK's retries: nothing changed, ask again shortly
            logger.warning("throttled", extra={"error": type(error).__name__})
            metrics.add_metric(name="RequestsThrottled", unit="Count", value=1)
            return _domain(TemporarilyUnavailable("Too many requests right now; nothing was changed. Try again."))
        logger.exception("unhandled error")
        return problem(500, "INTERNAL", "Internal error", "Something went wrong on our side.", request_id())

    return app


def route_permissions() -> dict[str, Permission]:
    """``{"POST /admin/...": Permission}`` for this function's staff routes, from the topology."""
    return {route: Permission(p) for route, p in json.loads(os.environ.get("ROUTE_PERMISSIONS", "{}")).items()}


def authorise_staff(
    event: dict[str, Any], required: dict[str, Permission], public: frozenset[str] = frozenset()
) -> Response[str] | None:
    """The staff check every admin route gets before its input is parsed: a problem, or None to go on.

    The Cognito authoriser has verified the token; this checks the caller's groups grant the
    permission the topology declares for the route. Fail closed: an /admin route with no declared
    permission is refused, unless the handler names it in ``public`` (staff sign-in: a PUBLIC route
    in the topology, so no permission is ever declared for it)."""
    route = f"{event.get('httpMethod')} {event.get('resource')}"
    request_id = (event.get("requestContext") or {}).get("requestId")
    permission = required.get(route)
    if permission is None:
        if route not in public and str(event.get("resource", "")).startswith("/admin"):
            return problem(403, "FORBIDDEN", "Not allowed", "This route declares no permission.", request_id)
        return None
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    if not claims.get("sub"):
        return problem(401, "UNAUTHORIZED", "Authentication required", "Sign in as staff.", request_id)
    if permission not in permissions_of(_groups(claims.get("cognito:groups"))):
        logger.info("staff permission missing", extra={"route": route, "permission": str(permission)})
        return problem(
            403,
            "FORBIDDEN",
            "Not allowed",
            f"This action needs the {permission} permission.",
            request_id,
            permission=str(permission),
        )
    return None


def declared_query_parameters(app: APIGatewayRestResolver) -> dict[str, frozenset[str]]:
    """``{"GET /products": {"limit", ...}}``: the query parameters each route's signature declares.
    (Powertools 3.37 keeps its routes in ``_static_routes``/``_dynamic_routes``; pinned.)"""
    routes = [*app._static_routes, *app._dynamic_routes]
    return {f"{r.method} {r.openapi_path}": frozenset(f.alias for f in r.dependant.query_params) for r in routes}


def refuse_unknown_query_parameters(event: dict[str, Any], declared: dict[str, frozenset[str]]) -> Response[str] | None:
    """A misspelt filter must not silently return unfiltered results: only declared names pass.
    Checked before the request is parsed, so it is reported as such even when other parameters are
    also wrong or missing."""
    allowed = declared.get(f"{event.get('httpMethod')} {event.get('resource')}")
    unknown = sorted(set(event.get("queryStringParameters") or {}) - allowed) if allowed is not None else []
    if not unknown:
        return None
    logger.info("unknown query parameters", extra={"parameters": unknown})
    return problem(
        422,
        "UNKNOWN_PARAMETER",
        "Unknown query parameter",
        f"This route takes no query parameter named {', '.join(unknown)}.",
        (event.get("requestContext") or {}).get("requestId"),
        parameters=unknown,
        allowed=sorted(allowed or ()),
    )


def refuse_undecodable_body(event: dict[str, Any]) -> Response[str] | None:
    """A body that is not UTF-8 text (API Gateway passes such bytes base64-encoded) is a 400, not a
    crash in the resolver's JSON parsing: every route takes text (JSON, or CSV as text)."""
    if not event.get("isBase64Encoded") or not event.get("body"):
        return None
    try:
        base64.b64decode(str(event["body"]), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        logger.info("request body is not UTF-8 text")
        request_id = (event.get("requestContext") or {}).get("requestId")
        return problem(400, "MALFORMED_BODY", "Malformed body", "The body is not UTF-8 text.", request_id)
    return None


def customer_id(app: APIGatewayRestResolver) -> str:
    """The signed-in customer: the Cognito subject the authoriser verified (customer routes only)."""
    return str(app.current_event.request_context.authorizer.claims["sub"])


def caller_email(app: APIGatewayRestResolver) -> str | None:
    """The verified caller's email claim (ID tokens carry it), or None."""
    email = app.current_event.request_context.authorizer.claims.get("email")
    return str(email) if email else None


def staff_id(app: APIGatewayRestResolver) -> str:
    """The verified staff caller (only reachable once ``authorise_staff`` let the request through)."""
    return str(app.current_event.request_context.authorizer.claims["sub"])


def staff_groups(app: APIGatewayRestResolver) -> list[str]:
    """The verified staff caller's Cognito groups."""
    return _groups(app.current_event.request_context.authorizer.claims.get("cognito:groups"))


def _groups(raw: Any) -> list[str]:
    """API Gateway passes ``cognito:groups`` as a string ("a,b" or "[a b]") or, locally, a list."""
    if raw is None:
        return []
    if isinstance(raw, list):
        return [str(g) for g in raw]
    return [g for g in re.split(r"[\s,\[\]]+", str(raw)) if g]


def api_handler(
    app: APIGatewayRestResolver, public_routes: frozenset[str] = frozenset()
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point for a resolver, with the same decorator order everywhere.
    ``public_routes``: the /admin routes the topology declares PUBLIC (``"POST /admin/auth/sign-in"``)."""
    required = route_permissions()
    declared = declared_query_parameters(app)  # api_handler(app) is called once all routes exist

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if len(event.get("body") or "") > MAX_BODY_BYTES:
            request_id = (event.get("requestContext") or {}).get("requestId")
            return _to_proxy(
                problem(
                    413,
                    "BODY_TOO_LARGE",
                    "Body too large",
                    f"Bodies are limited to {MAX_BODY_BYTES} bytes.",
                    request_id,
                )
            )
        refused = (
            authorise_staff(event, required, public_routes)
            or refuse_unknown_query_parameters(event, declared)
            or refuse_undecodable_body(event)
        )
        if refused is not None:
            return _to_proxy(refused)
        route = f"{event.get('httpMethod')} {event.get('resource')}"
        if route not in required or event.get("httpMethod") == "GET":
            return app.resolve(event, context)
        audit_log.begin()  # a staff write: what it changed is recorded once it succeeded
        response = app.resolve(event, context)
        if 200 <= int(response.get("statusCode", 500)) < 300:
            _audit(event, int(response["statusCode"]))
        return response

    return handler


def _to_proxy(response: Response[str]) -> dict[str, Any]:
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": PROBLEM_JSON, "Access-Control-Allow-Origin": "*"},
        "body": response.body,
        "isBase64Encoded": False,
    }


def _audit(event: dict[str, Any], status: int) -> None:
    """Write the audit entries of a staff write that succeeded (docs/back-office.md). The change is
    already stored: a failure here is logged and counted (alarm on AuditWriteFailures), never
    turned into an error the caller would retry."""
    try:
        from commerce.adapters.audit_dynamo import DynamoAuditLog

        DynamoAuditLog(os.environ["AUDIT_TABLE"]).write(audit_log.entries(event, status))
    except Exception:
        logger.exception("audit entries not written")
        metrics.add_metric(name="AuditWriteFailures", unit="Count", value=1)
