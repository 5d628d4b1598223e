"""Smoke test for the moto internals the local cloud patches (local/patches.py). If moto moves
any of them, this fails first and says which."""

from __future__ import annotations

import inspect
import json
from typing import Annotated, Any

import moto
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from local import lambdas, patches


def test_moto_is_the_pinned_version() -> None:
    assert moto.__version__ == patches.MOTO_VERSION == "5.2.5"


def test_the_patched_internals_exist_with_the_expected_shapes() -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse
    from moto.core.config import default_user_config
    from moto.dynamodb.responses import DynamoHandler
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    assert "execute_state_machine" in default_user_config["stepfunctions"]
    assert "use_docker" in default_user_config["lambda"]
    invoke = lambdas._original_invoke or LambdaSimpleBackend.invoke
    assert list(inspect.signature(invoke).parameters) == [
        "self",
        "function_name",
        "qualifier",
        "body",
        "headers",
        "response_headers",
    ]
    assert callable(DynamoHandler.call_action)
    assert list(inspect.signature(ThreadedMotoServer).parameters) == ["ip_address", "port", "verbose"]
    assert CognitoIdpJsonWebKeyResponse.serve_json_web_key
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    assert list(inspect.signature(DynamoDBStreamsBackend.get_records).parameters) == ["self", "iterator_arn", "limit"]
    assert isinstance(DynamoDBStreamsBackend("eu-west-1", "123456789012").shard_iterators, dict)
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    assert callable(DynamoDBStreamsHandler.call_action)
    transact = DynamoDBBackend.transact_write_items
    assert list(inspect.signature(transact).parameters) == ["self", "transact_items"]
    source = inspect.getsource(getattr(transact, "__wrapped__", transact))
    assert "copy.deepcopy(\n                    self.tables[table_name]" in source  # the backup copies tables
    assert "self.tables[table_name] = original_table_state[table_name]" in source  # rollback by copy
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    schema = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
    table = Table("t", "123456789012", "eu-west-1", schema, attributes)
    assert isinstance(table.items, dict) and table.stream_shard is None  # the undo log writes these
    assert (table.hash_key_attr, table.range_key_attr) == ("pk", "sk")
    assert "import copy" in inspect.getsource(models).splitlines()[:3]
    from moto import backends

    assert "dynamodb" in set(backends.list_of_moto_modules())
    assert {"items", "table"} <= set(vars(StreamShard("123456789012", None)))  # type: ignore[arg-type]
    from moto.core.responses import BaseResponse

    assert BaseResponse.default_region == "us-east-1"  # what unsigned Cognito calls assume unpatched
    from werkzeug.serving import BaseWSGIServer

    assert "make_server(" in inspect.getsource(ThreadedMotoServer)  # a werkzeug server: its backlog is ours
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    entrypoint = ExecutionWorker._get_evaluation_entrypoint
    original = getattr(entrypoint, "__wrapped__", entrypoint)  # moto's own parses the ASL each execution
    assert "AmazonStateLanguageParser.parse(" in inspect.getsource(original)
    assert "self._evaluation_details.state_machine_details.definition" in inspect.getsource(original)
    assert isinstance(EvalComponent.heap_key, property)  # an execution's state lives in env.heap[heap_key]
    assert isinstance(BaseWSGIServer.request_queue_size, int)
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, CallbackPoolManager
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    set_stop = getattr(Environment.set_stop, "__wrapped__", Environment.set_stop)
    assert list(inspect.signature(set_stop).parameters) == ["self", "stop_date", "cause", "error"]
    assert callable(Environment.is_running) and callable(CallbackEndpoint.interrupt_all)
    assert isinstance(CallbackPoolManager(activity_store={})._pool, dict)  # the execution's token waits


def test_patches_are_applied_once_started(cloud: object) -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core.config import default_user_config
    from moto.dynamodb.responses import DynamoHandler

    assert default_user_config["stepfunctions"]["execute_state_machine"] is True
    assert default_user_config["lambda"]["use_docker"] is False
    assert LambdaSimpleBackend.invoke is lambdas._patched_invoke
    assert getattr(DynamoHandler.call_action, "__local_cloud_lock__", False)
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    assert getattr(DynamoDBStreamsBackend.get_records, "__local_cloud_prune__", False)
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    assert getattr(DynamoDBStreamsHandler.call_action, "__local_cloud_lock__", False)
    assert getattr(DynamoDBBackend.transact_write_items, "__local_cloud_undo_log__", False)
    from moto import backends

    assert getattr(backends.list_of_moto_modules, "__local_cloud_cached__", False)
    from moto.cognitoidp.responses import CognitoIdpResponse

    assert CognitoIdpResponse.default_region == cloud.region  # type: ignore[attr-defined]
    from werkzeug.serving import BaseWSGIServer

    assert isinstance(cloud._server._server, BaseWSGIServer)  # type: ignore[attr-defined]
    assert cloud._server._server.request_queue_size == 1024  # type: ignore[attr-defined]
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    assert getattr(ExecutionWorker._get_evaluation_entrypoint, "__local_cloud_cached__", False)
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    assert getattr(Environment.set_stop, "__local_cloud_wakes__", False)


def test_each_thread_sees_its_own_powertools_request(cloud: object) -> None:
    """Powertools keeps the current request on the router class; the local cloud runs handlers on
    threads, so the value must be per thread (local/patches.py, ``one_invocation_per_resolver``),
    including after ``resolve`` assigns it on the class, as Powertools does."""
    import threading
    import time

    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, BaseRouter, Router

    app, router = APIGatewayRestResolver(), Router()
    app.include_router(router)
    seen: dict[str, tuple[object, ...]] = {}

    def request(event: str) -> None:
        BaseRouter.current_event = event  # type: ignore[assignment]  # what resolve() does
        time.sleep(0.05)  # every other thread assigns meanwhile
        seen[event] = (BaseRouter.current_event, app.current_event, router.current_event)

    threads = [threading.Thread(target=request, args=(f"event-{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {f"event-{n}": (f"event-{n}",) * 3 for n in range(6)}


class Thing(BaseModel):
    token: str


def test_concurrent_requests_to_one_resolver_keep_their_own_body_and_path(cloud: object) -> None:
    """The routing context (matched route, path parameters, the validated body the route function is
    called with) lives on the resolver instance; concurrent requests to one function must not see each
    other's (a placement once ran with another buyer's quote token), nor clear each other's."""
    import threading
    import time

    app = APIGatewayRestResolver(enable_validation=True)

    def between_validation_and_the_route(app: APIGatewayRestResolver, next_middleware: Any) -> Any:
        time.sleep(0.05)  # the validated arguments wait in the context while every other request resolves
        return next_middleware(app)

    app.use([between_validation_and_the_route])

    @app.post("/things/<thing_id>")
    def post_thing(thing_id: str, thing: Annotated[Thing, Body()]) -> dict[str, str]:
        time.sleep(0.05)  # every other request resolves meanwhile
        return {"path": thing_id, "token": thing.token, "event": app.current_event.path}

    answers: dict[int, dict[str, object]] = {}

    def request(n: int) -> None:
        event = {
            "httpMethod": "POST",
            "path": f"/things/t{n}",
            "resource": "/things/{thing_id}",
            "body": json.dumps({"token": f"token-{n}"}),
            "headers": {"Content-Type": "application/json"},
            "requestContext": {"stage": "local", "path": f"/local/things/t{n}"},
        }
        answers[n] = app.resolve(event, None)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == list(range(8))
    for n, answer in answers.items():
        assert answer["statusCode"] == 200, answer
        assert json.loads(str(answer["body"])) == {"path": f"t{n}", "token": f"token-{n}", "event": f"/things/t{n}"}
