"""The local API Gateway: the topology's REST routes, served as API Gateway (REST, proxy
integration, payload v1) would serve them, with the Cognito authoriser, CORS, the 10 MB body limit,
and the admin SPA under ``/admin/``.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from infra.model import ROOT, AuthKind, Http, gateway_response
from local.auth import CognitoAuthorizer, claims_for_event
from local.lambdas import Dispatcher

log = logging.getLogger("local.gateway")

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
INTEGRATION_TIMEOUT = 29.0  # seconds API Gateway waits for a Lambda integration (REST, default)
POOL_FOR_AUTH = {AuthKind.CUSTOMER: "customers", AuthKind.STAFF: "staff"}
CORS_ALLOW_HEADERS = "Content-Type,Authorization,X-Amz-Date,X-Api-Key,X-Amz-Security-Token,Idempotency-Key"
CORS_ALLOW_METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS"


class BurstServer(ThreadingHTTPServer):
    """A thread per request, like the gateway's fleet; the listen backlog is API Gateway-like rather
    than the standard library's 5, which reset connections when 20 clients arrived at once."""

    request_queue_size = 256
    daemon_threads = True


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    auth: AuthKind
    function: str  # physical name
    pattern: re.Pattern[str]


def compile_template(template: str) -> re.Pattern[str]:
    parts = []
    for segment in template.strip("/").split("/"):
        match = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
        if match:
            name, greedy = match.groups()
            parts.append(f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "/?$" if parts != [""] else "^/$")


OPENAPI = ROOT / "docs" / "openapi.json"
SWAGGER_DIST = ROOT / "node_modules" / "swagger-ui-dist"
SWAGGER_ASSETS = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}
)
SWAGGER_PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Serverless Commerce API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", deepLinking: true});</script></body></html>
"""


class Gateway:
    def __init__(
        self,
        dispatcher: Dispatcher,
        authorizer: CognitoAuthorizer,
        *,
        stage: str,
        cors_origins: tuple[str, ...],
        admin_dist: Path,
        admin_config: Callable[[], dict[str, Any]],
        host: str = "127.0.0.1",
        port: int = 0,
        local_routes: dict[str, Callable[[dict[str, str]], Any]] | None = None,
        concurrency: int | None = None,
        queue_seconds: float = INTEGRATION_TIMEOUT,
    ) -> None:
        self.dispatcher = dispatcher
        # How many of the API's invocations run at once (None: no limit). On AWS each would have its
        # own Lambda container; on one machine hundreds of handler threads only fight over the
        # cores and miss boto3's timeouts, so a request waits for a free slot, at most as long as
        # API Gateway waits for an integration, and is then answered as AWS answers a throttled
        # function: INTEGRATION_FAILURE, 503 TEMPORARILY_UNAVAILABLE with Retry-After.
        self.queue_seconds = queue_seconds
        self._slots = threading.BoundedSemaphore(concurrency) if concurrency else None
        self.throttled = 0  # requests answered 503 for want of a slot
        self.authorizer = authorizer
        self.stage = stage
        self.cors_origins = cors_origins
        self.admin_dist = admin_dist
        self.admin_config = admin_config
        # the local cloud's own GET endpoints (path -> query -> JSON), e.g. /_local/emails; not API routes
        self.local_routes = dict(local_routes or {})
        self.routes: list[Route] = []
        self._server = BurstServer((host, port), self._handler_class())
        self._thread: threading.Thread | None = None

    def add_route(self, http: Http, function: str) -> None:
        self.routes.append(Route(http.method.upper(), http.path, http.auth, function, compile_template(http.path)))

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    # ---- request handling -------------------------------------------------------------------------
    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path parameters, path exists with another method)."""
        path_exists = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found:
                path_exists = True
                if route.method == method:
                    return route, {k: unquote(v) for k, v in found.groupdict().items()}, True
        return None, {}, path_exists

    def cors_headers(self, origin: str | None) -> dict[str, str]:
        if "*" in self.cors_origins:
            allow = "*"
        elif origin and origin in self.cors_origins:
            allow = origin
        else:
            return {}
        headers = {"Access-Control-Allow-Origin": allow}
        if allow != "*":
            headers["Vary"] = "Origin"
        return headers

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "LocalApiGateway"

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("%s " + format, self.address_string(), *args)

            def do_GET(self) -> None:
                gateway.handle(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

        return RequestHandler

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        request_id = str(uuid.uuid4())
        method = request.command.upper()
        split = urlsplit(request.path)
        path = split.path or "/"
        origin = request.headers.get("Origin")
        cors = self.cors_headers(origin)
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            request.close_connection = True
            self._send_gateway_response(request, "REQUEST_TOO_LARGE", "Request Too Long", cors, request_id)
            return

        body = request.rfile.read(length) if length else b""
        route, params, path_exists = self.match(method, path)

        if method == "OPTIONS" and (path_exists or route is not None):
            headers = {
                **cors,
                "Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
                "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
                "Access-Control-Max-Age": "600",
            }
            self._send(request, 204, headers, b"", request_id)
            return

        if route is None and method in ("GET", "HEAD") and path in self.local_routes:
            answer = self.local_routes[path](dict(parse_qsl(split.query)))
            headers = {**cors, "Content-Type": "application/json", "Cache-Control": "no-store"}
            self._send(request, 200, headers, json.dumps(answer, default=str).encode(), request_id)
            return
        if route is None and method in ("GET", "HEAD") and self._serve_docs(request, path, cors, request_id):
            return
        if route is None:
            is_admin = path == "/admin" or path.startswith("/admin/")
            serve_admin = method in ("GET", "HEAD") and is_admin and not path_exists
            if serve_admin and self._serve_admin(request, path, cors, request_id):
                return
            # API Gateway answers an unknown path and an unknown method alike (MISSING_AUTHENTICATION_TOKEN)
            self._send_gateway_response(
                request, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token", cors, request_id
            )
            return

        claims: dict[str, Any] | None = None
        pool = POOL_FOR_AUTH.get(route.auth)
        if pool is not None:
            claims = self.authorizer.verify(pool, request.headers.get("Authorization"))
            if claims is None:
                self._send_gateway_response(request, "UNAUTHORIZED", "Unauthorized", cors, request_id)
                return

        event = self._event(request, route, params, split.query, body, claims, request_id)
        if self._slots is not None and not self._slots.acquire(timeout=self.queue_seconds):
            self.throttled += 1
            self._send_gateway_response(request, "INTEGRATION_FAILURE", "Rate Exceeded.", cors, request_id)
            return
        try:
            invocation = self.dispatcher.invoke(route.function, event)
        finally:
            if self._slots is not None:
                self._slots.release()
        if invocation.failed or not isinstance(invocation.result, dict):
            if not invocation.failed:
                log.warning("%s returned a non-proxy response: %r", route.function, invocation.result)
            self._send_gateway_response(request, "DEFAULT_5XX", "Internal server error", cors, request_id)
            return
        self._send_proxy_response(request, invocation.result, cors, request_id)

    def _event(
        self,
        request: BaseHTTPRequestHandler,
        route: Route,
        params: dict[str, str],
        query: str,
        body: bytes,
        claims: dict[str, Any] | None,
        request_id: str,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for key, value in request.headers.items():
            headers[key] = value if key not in headers else f"{headers[key]},{value}"
            multi_headers.setdefault(key, []).append(value)
        query_pairs = parse_qsl(query, keep_blank_values=True)
        qs: dict[str, str] = {}
        multi_qs: dict[str, list[str]] = {}
        for key, value in query_pairs:
            qs[key] = value
            multi_qs.setdefault(key, []).append(value)
        is_base64 = False
        text: str | None = None
        if body:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text, is_base64 = base64.b64encode(body).decode(), True
        now = time.time()
        source_ip = request.client_address[0]
        path = urlsplit(request.path).path
        request_context: dict[str, Any] = {
            "resourceId": "local",
            "resourcePath": route.template,
            "httpMethod": route.method,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{self.stage}{path}",
            "accountId": "123456789012",
            "protocol": request.request_version,
            "stage": self.stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": request.headers.get("User-Agent"),
                "accountId": None,
                "caller": None,
                "user": None,
                "userArn": None,
                "cognitoIdentityPoolId": None,
                "cognitoIdentityId": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "apiKey": None,
                "accessKey": None,
            },
            "domainName": request.headers.get("Host", "localhost"),
            "apiId": "local",
        }
        if claims is not None:
            request_context["authorizer"] = {"claims": claims_for_event(claims)}
        return {
            "resource": route.template,
            "path": path,
            "httpMethod": route.method,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": qs or None,
            "multiValueQueryStringParameters": multi_qs or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": request_context,
            "body": text,
            "isBase64Encoded": is_base64,
        }

    def _send_proxy_response(
        self, request: BaseHTTPRequestHandler, result: dict[str, Any], cors: dict[str, str], request_id: str
    ) -> None:
        status = int(result.get("statusCode", 200))
        body = result.get("body")
        if body is None:
            payload = b""
        elif result.get("isBase64Encoded"):
            payload = base64.b64decode(body)
        else:
            payload = str(body).encode()
        headers: list[tuple[str, str]] = [(k, v) for k, v in cors.items()]
        single = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        multi = {str(k): [str(x) for x in v] for k, v in (result.get("multiValueHeaders") or {}).items()}
        for key, value in single.items():
            if key not in multi:
                headers = [(k, v) for k, v in headers if k.lower() != key.lower()]
                headers.append((key, value))
        for key, values in multi.items():
            headers = [(k, v) for k, v in headers if k.lower() != key.lower()]
            headers.extend((key, v) for v in values)
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        self._send_raw(request, status, headers, payload, request_id)

    def _serve_docs(self, request: BaseHTTPRequestHandler, path: str, cors: dict[str, str], request_id: str) -> bool:
        """The committed OpenAPI document at /openapi.json and Swagger UI (npm swagger-ui-dist) at /docs."""
        if path == "/openapi.json":
            self._send(request, 200, {**cors, "Content-Type": "application/json"}, OPENAPI.read_bytes(), request_id)
            return True
        if path in ("/docs", "/docs/"):
            self._send(request, 200, {"Content-Type": "text/html; charset=utf-8"}, SWAGGER_PAGE, request_id)
            return True
        if path.startswith("/docs/") and path.count("/") == 2:
            asset = SWAGGER_DIST / path.removeprefix("/docs/")
            if asset.name in SWAGGER_ASSETS and asset.is_file():
                ctype = mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
                self._send(request, 200, {"Content-Type": ctype}, asset.read_bytes(), request_id)
                return True
        return False

    def _serve_admin(self, request: BaseHTTPRequestHandler, path: str, cors: dict[str, str], request_id: str) -> bool:
        rel = path[len("/admin") :].lstrip("/")
        if rel == "config.json":
            body = json.dumps(self.admin_config()).encode()
            self._send(
                request,
                200,
                {**cors, "Content-Type": "application/json", "Cache-Control": "no-store"},
                body,
                request_id,
            )
            return True
        dist = self.admin_dist.resolve()
        if not (dist / "index.html").is_file():
            page = (
                b"<!doctype html><title>Admin not built</title><h1>The admin SPA is not built</h1>"
                b"<p>Build it into <code>admin/dist</code> (see docs/local-cloud.md); the API is up.</p>"
            )
            self._send(request, 200, {"Content-Type": "text/html; charset=utf-8"}, page, request_id)
            return True
        target = (dist / rel).resolve() if rel else dist / "index.html"
        if dist not in target.parents and target != dist / "index.html":
            return False
        if not target.is_file():
            accept = request.headers.get("Accept", "")
            if "." in rel.rsplit("/", 1)[-1] or "text/html" not in accept:
                return False
            target = dist / "index.html"  # client-side route
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(request, 200, {"Content-Type": ctype}, target.read_bytes(), request_id)
        return True

    def _send_gateway_response(
        self, request: BaseHTTPRequestHandler, response_type: str, message: str, cors: dict[str, str], request_id: str
    ) -> None:
        """What API Gateway sends without calling a handler, as the CDK's gateway responses render it."""
        response = gateway_response(response_type)
        self._send(
            request,
            response.status,
            {
                **cors,
                "Content-Type": "application/problem+json",
                "x-amzn-ErrorType": _error_type(response.status),
                **dict(response.headers),
            },
            json.dumps(response.problem(message, request_id)).encode(),
            request_id,
        )

    def _send(
        self, request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes, request_id: str
    ) -> None:
        self._send_raw(request, status, list(headers.items()), body, request_id)

    def _send_raw(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        request_id: str,
    ) -> None:
        request.send_response(status)
        for key, value in headers:
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                request.send_header(key, value)
        request.send_header("x-amzn-RequestId", request_id)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(body)


def _error_type(status: int) -> str:
    return {
        401: "UnauthorizedException",
        413: "RequestTooLargeException",
        429: "TooManyRequestsException",
        502: "InternalServerErrorException",
    }.get(status, "Exception")
