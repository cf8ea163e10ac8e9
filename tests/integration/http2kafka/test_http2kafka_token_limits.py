"""Narrow personal tokens (issue 21) on http2kafka, every part real: the
authority issues limited tokens, the real openlineage-python client sends
through the real edge, and the topic's end offset shows what reached Kafka.
A namespace-limited write token delivers its own namespace's events and
nothing else; a network-bound token works only from its network (the client
address computed as the edge always does); the limits sit in the cached
verify answer, and revoking or narrowing a limited token reaches the edge
within a second."""
import datetime
import http.client
import json
import time
import uuid

import grpc
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport

import stack
from conftest import (EVENTS, KAFKA, authority_grpc, body_of, http2kafka, message_count, read_messages,
                      run_event)

PRODUCER = "https://github.com/tokengate/tests/limits"


def issue(stub, user="limited", **limits):
    request = authority_grpc.pb.IssueTokenRequest(user_name=user, name=f"t-{uuid.uuid4().hex[:12]}", **limits)
    return stub.IssueToken(request, timeout=10)


def client_for(edge, token):
    config = HttpConfig.from_dict({"type": "http", "url": edge.url, "endpoint": EVENTS, "compression": "gzip",
                                   "auth": {"type": "api_key", "apiKey": token}})
    return OpenLineageClient(transport=HttpTransport(config))


def event(namespace, name="job"):
    return RunEvent(eventType=RunState.START, eventTime=datetime.datetime.now(datetime.timezone.utc).isoformat(),
                    producer=PRODUCER, run=Run(runId=str(uuid.uuid4())), job=Job(namespace=namespace, name=name))


def post_from(edge, data, token, source="127.0.0.1", headers=None):
    """POST an event with the client socket bound to `source`; (status, JSON body or None)."""
    connection = http.client.HTTPConnection("127.0.0.1", edge.port, timeout=10, source_address=(source, 0))
    try:
        connection.request("POST", EVENTS, body=data, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body else None
    finally:
        connection.close()


@pytest.fixture
def proxied_edge(authority, topic):
    """http2kafka behind a 'proxy' on 127.0.0.1: X-Forwarded-For counts."""
    service = http2kafka(authority.address, topic, trusted_proxies="127.0.0.1")
    yield service
    service.stop()


def test_write_only_namespace_token_writes_its_namespace_and_nothing_else(authority_stub, edge, topic):
    issued = issue(authority_stub, scopes=["all:write"], namespaces=["tg-ns-*"])
    client = client_for(edge, issued.content)
    client.emit(event("tg-ns-a", "mine"))
    (message,) = read_messages(KAFKA, topic, 1)
    assert json.loads(message.value())["job"]["namespace"] == "tg-ns-a"

    before = message_count(KAFKA, topic)
    with pytest.raises(Exception) as refused:
        client.emit(event("other", "theirs"))
    assert "403" in str(refused.value)
    status, body = post_from(edge, body_of(run_event(namespace="other")), issued.content)
    assert status == 403
    assert body["error"]["code"] == "forbidden"
    assert "'other'" in body["error"]["message"]
    assert issued.content not in json.dumps(body)
    assert message_count(KAFKA, topic) == before, "a refused event must not reach the topic"


def test_namespace_patterns_match_exactly_or_with_a_wildcard(authority_stub, edge, topic):
    token = issue(authority_stub, namespaces=["airflow-team-a", "s3://bucket-a*"]).content
    for namespace, expected in [("airflow-team-a", 201), ("airflow-team-ab", 403), ("s3://bucket-a", 201),
                                ("s3://bucket-a/x", 201), ("s3://bucket-b", 403), ("AIRFLOW-TEAM-A", 403)]:
        status, _ = post_from(edge, body_of(run_event(namespace=namespace)), token)
        assert status == expected, namespace


def test_read_only_token_cannot_write(authority_stub, edge, topic):
    token = issue(authority_stub, scopes=["all:read"]).content
    before = message_count(KAFKA, topic)
    assert post_from(edge, body_of(run_event()), token)[0] == 403
    assert message_count(KAFKA, topic) == before


def test_unlimited_token_writes_any_namespace(authority_stub, edge):
    token = issue(authority_stub).content
    for namespace in ("other", "tg-ns-a", "s3://anything"):
        assert post_from(edge, body_of(run_event(namespace=namespace)), token)[0] == 201


def test_network_bound_token_works_only_from_its_network(authority_stub, edge, topic):
    token = issue(authority_stub, networks=["127.0.0.2/32"]).content
    before = message_count(KAFKA, topic)
    status, body = post_from(edge, body_of(run_event()), token, source="127.0.0.1")
    assert status == 403 and body["error"]["message"] == "token not allowed from this address"
    assert message_count(KAFKA, topic) == before
    assert post_from(edge, body_of(run_event()), token, source="127.0.0.2")[0] == 201
    # The cached answer does not carry the first caller's address.
    assert post_from(edge, body_of(run_event()), token, source="127.0.0.1")[0] == 403


def test_trusted_proxys_forwarded_address_is_honoured(authority_stub, proxied_edge):
    token = issue(authority_stub, networks=["198.51.100.0/24", "::1/128"]).content
    for forwarded, expected in [("198.51.100.9", 201), ("203.0.113.9", 403), ("::1", 201), ("::2", 403)]:
        status, _ = post_from(proxied_edge, body_of(run_event()), token, headers={"X-Forwarded-For": forwarded})
        assert status == expected, forwarded


def test_untrusted_peers_forwarded_address_is_ignored(authority_stub, edge):
    token = issue(authority_stub, networks=["198.51.100.0/24"]).content
    status, _ = post_from(edge, body_of(run_event()), token, headers={"X-Forwarded-For": "198.51.100.9"})
    assert status == 403


def test_revoked_limited_token_is_refused_within_a_second(authority_stub, edge):
    issued = issue(authority_stub, user="revoker", namespaces=["tg-ns-*"], networks=["127.0.0.0/8"])
    assert post_from(edge, body_of(run_event(namespace="tg-ns-a")), issued.content)[0] == 201  # Now cached.
    authority_stub.RevokeToken(authority_grpc.pb.RevokeTokenRequest(user_name="revoker", token_id=issued.token.id),
                               timeout=10)
    revoked_at = time.monotonic()
    refused = stack.eventually(
        lambda: post_from(edge, body_of(run_event(namespace="tg-ns-a")), issued.content)[0] == 401,
        timeout=5, interval=0.01)
    assert refused, "the revoked token still works after 5 s"
    assert time.monotonic() - revoked_at < 1.0


def test_narrowing_refresh_reaches_the_edge_within_a_second(authority_stub, edge):
    """Narrowing is a refresh: a new id; the old one is revoked, so no edge
    keeps the wider cached answer beyond the revocation's second."""
    old = issue(authority_stub, user="narrower", namespaces=["tg-ns-*"])
    assert post_from(edge, body_of(run_event(namespace="tg-ns-b")), old.content)[0] == 201  # Cached, wide.
    new = authority_stub.RefreshToken(authority_grpc.pb.RefreshTokenRequest(
        user_name="narrower", token_id=old.token.id, namespaces=["tg-ns-a"]), timeout=10)
    narrowed_at = time.monotonic()
    assert list(new.token.namespaces) == ["tg-ns-a"]
    assert stack.eventually(
        lambda: post_from(edge, body_of(run_event(namespace="tg-ns-b")), old.content)[0] == 401,
        timeout=5, interval=0.01)
    assert time.monotonic() - narrowed_at < 1.0
    assert post_from(edge, body_of(run_event(namespace="tg-ns-b")), new.content)[0] == 403
    assert post_from(edge, body_of(run_event(namespace="tg-ns-a")), new.content)[0] == 201


def test_widening_refresh_is_invalid_argument(authority_stub):
    old = issue(authority_stub, user="widener", namespaces=["tg-ns-a"])
    with pytest.raises(grpc.RpcError) as refused:
        authority_stub.RefreshToken(authority_grpc.pb.RefreshTokenRequest(
            user_name="widener", token_id=old.token.id, namespaces=["tg-ns-*"]), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_verify_answer_carries_the_limits(authority_stub):
    issued = issue(authority_stub, scopes=["all:write"], namespaces=["tg-ns-*"], networks=["10.0.0.0/8"])
    answer = authority_stub.VerifyToken(authority_grpc.pb.VerifyTokenRequest(token=issued.content), timeout=10)
    assert answer.valid
    assert (list(answer.scopes), list(answer.namespaces), list(answer.networks)) == \
        (["all:write"], ["tg-ns-*"], ["10.0.0.0/8"])
