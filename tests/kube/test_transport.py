"""The API server's error answers and connection failures as meshctl errors (pure: status bodies as bytes)."""

from __future__ import annotations

import json

import urllib3.exceptions as ue

from meshctl.errors import ExitCode, FailedError, NotFoundError
from meshctl.kube.config import KubeTarget
from meshctl.kube.transport import Op, describe_connection_error, http_error, unreachable

TARGET = KubeTarget(source="KUBECONFIG", context="prod", server="https://10.0.0.1:6443", user="alice")


def status(code: int, message: str, **details) -> bytes:
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": message,
            "code": code,
            "details": details,
        }
    ).encode()


def test_forbidden_names_verb_resource_scope_and_user():
    body = status(
        403, 'pods is forbidden: User "readonly" cannot list resource "pods" in API group "" in the namespace "shop"'
    )
    err = http_error(403, body, Op("list", "pods", "shop"), TARGET)
    assert isinstance(err, FailedError) and err.exit_code == ExitCode.FAILED
    assert err.message == 'forbidden: cannot list pods in namespace "shop" (user "readonly")'
    assert err.hint == "ask for RBAC permission to list pods, or use another --context"
    cluster = http_error(403, b"forbidden", Op("get", "nodes", None, "n1"), TARGET)
    assert cluster.message == 'forbidden: cannot get nodes "n1" at cluster scope'


def test_unauthorized_never_shows_credentials():
    err = http_error(401, status(401, "Unauthorized"), Op("list", "pods"), TARGET)
    assert (
        err.message == "unauthorized: the API server at https://10.0.0.1:6443 rejected the credentials of "
        "user 'alice' (context 'prod')"
    )


def test_not_found_object_and_resource():
    err = http_error(
        404,
        status(404, 'deployments.apps "web" not found', name="web"),
        Op("get", "deployments", "shop", "web"),
        TARGET,
    )
    assert isinstance(err, NotFoundError) and err.message == 'deployments "web" not found in namespace "shop"'
    err = http_error(404, b"404 page not found", Op("list", "virtualservices"), TARGET)
    assert err.message == "the API server does not serve virtualservices (404 page not found)"
    assert err.hint == "is the CRD installed?"


def test_other_statuses_carry_the_server_message():
    err = http_error(500, status(500, "etcdserver: request timed out"), Op("list", "pods", "shop"), TARGET)
    assert (
        err.message == 'the API server failed to list pods in namespace "shop": HTTP 500: etcdserver: request timed out'
    )
    assert http_error(429, b"", Op("list", "pods"), TARGET).message.endswith("HTTP 429: no message")


def test_connection_error_reasons():
    refused = ue.MaxRetryError(
        None,
        "/api",
        ue.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused"),
    )
    assert describe_connection_error(refused, 5) == "connection refused"
    assert (
        describe_connection_error(ue.ReadTimeoutError(None, "/api", "Read timed out."), 2.5) == "timed out after 2.5s"
    )
    assert describe_connection_error(ue.ConnectTimeoutError("timed out"), 1) == "timed out after 1s"
    dns = ue.NameResolutionError("x.invalid", None, OSError("[Errno -2] Name or service not known"))
    assert describe_connection_error(dns, 1) == "name or service not known"
    tls = ue.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)"
    )
    assert describe_connection_error(tls, 1) == "TLS error: certificate verify failed: self-signed certificate"
    err = unreachable(tls, TARGET, 1)
    assert err.exit_code == ExitCode.UNREACHABLE and "certificate-authority" in err.hint
