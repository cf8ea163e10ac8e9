"""Revocation by content (POST /v1/personal-tokens/revoke), every part real:
PostgreSQL, Kafka, the authority, the api and http2kafka processes, and a
webhook receiver for the owner's notice. A reported valid token stops working
on both edges within a second, its owner is told, and the audit trail names
the reporter's address, user agent and request id. Garbage, expired, revoked
and another issuer's tokens get the very same answer and revoke nothing;
bad shapes are 422; too many reports from one address are 429 with Retry-After."""
import datetime
import json
import os
import time
import uuid

import grpc
import jwt
import pytest
import requests

import authority_grpc
import notice_receivers
import seed_story
import stack

KAFKA = os.environ["TOKENGATE_TEST_KAFKA"]
SECRET = "webhook-secret-0123456789abcdef"
REVOKE = "/v1/personal-tokens/revoke"
ANSWER = {"message": "Thank you. Every reported content that is a valid personal token is revoked now, "
                     "and its owner is told."}


@pytest.fixture(scope="module")
def system():
    with seed_story.kafka_topic(KAFKA, prefix="leak") as topic, stack.fresh_database("tg_leak") as db, \
            notice_receivers.WebhookReceiver(SECRET) as hook:
        authority = stack.authority(db, webhook_url=hook.url, webhook_secret=SECRET, expiry_scan_seconds=1,
                                    public_url="https://tokens.example.test", shutdown_grace_seconds=1)
        api = stack.api(authority.address, leak_report_rate="1000/min")
        edge = stack.Service("http2kafka", stack.env_of({
            "authority_address": authority.address, "http_listen": "127.0.0.1:0",
            "kafka_bootstrap_servers": KAFKA, "kafka_topic": topic})).start()
        watching = lambda: all(stack.metric(s.url, "tokengate_revocation_watch_connected") == 1 for s in (api, edge))
        assert stack.eventually(watching, 10)
        yield {"db": db, "hook": hook, "authority": authority, "api": api, "edge": edge}
        for service in (edge, api, authority):
            service.stop()


@pytest.fixture
def owner(system):
    user = f"owner-{uuid.uuid4().hex[:8]}"
    return user, stack.login(system["api"].url, user)


def me(system, content):
    return requests.get(f"{system['api'].url}/v1/users/me", headers=stack.bearer(content), timeout=5).status_code


def emit(system, content):
    event = {"eventTime": datetime.datetime.now(datetime.timezone.utc).isoformat(), "eventType": "START",
             "producer": "https://example.test/leak-test", "run": {"runId": str(uuid.uuid4()), "facets": {}},
             "job": {"namespace": "leak", "name": "job", "facets": {}}, "inputs": [], "outputs": []}
    return requests.post(f"{system['edge'].url}/v1/openlineage", json=event, headers=stack.bearer(content),
                         timeout=10).status_code


def report(api_url, body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(f"{api_url}{REVOKE}", data=data, timeout=10,
                         headers={"Content-Type": "application/json", **headers})


def resigned(content, **changes):
    """The token's claims with `changes`, signed with the authority's key."""
    token = content.removeprefix("personal_token_")
    claims = jwt.decode(token, options={"verify_signature": False})
    header = jwt.get_unverified_header(token)
    header.pop("alg", None)
    header.pop("typ", None)
    return "personal_token_" + jwt.encode({**claims, **changes}, stack.AUTHORITY_SECRET, algorithm="HS256",
                                          headers=header or None)


def test_a_reported_token_stops_on_both_edges_and_its_owner_is_told(system, owner):
    user, access = owner
    token = stack.create_token(system["api"].url, access, name="leaked")
    assert me(system, token["content"]) == 200 and emit(system, token["content"]) == 201

    response = report(system["api"].url, {"content": token["content"]},
                      **{"X-Request-ID": "leak-report-1", "User-Agent": "secret-scanner/1.0"})
    assert response.status_code == 200 and response.json() == ANSWER
    reported = time.monotonic()
    assert stack.eventually(lambda: me(system, token["content"]) == 401, 1.0, interval=0.01), \
        f"the api still accepts the reported token after {time.monotonic() - reported:.2f} s"
    assert stack.eventually(lambda: emit(system, token["content"]) == 401, 1.0, interval=0.01), \
        f"http2kafka still accepts the reported token after {time.monotonic() - reported:.2f} s"

    told = lambda: [c for c in system["hook"].received() if c["body"]["token"]["id"] == token["id"]]
    assert stack.eventually(told, 20), "the owner's notice never arrived"
    notice = told()[0]
    assert notice["signed"] and notice["body"]["event"] == "token.leak_revoked"
    assert notice["body"]["user"] == {"name": user} and notice["body"]["token"]["name"] == "leaked"
    assert "reported leaked and revoked" in notice["body"]["message"]
    assert token["content"] not in notice["raw"].decode()

    audit = stack.psql(system["db"], "SELECT event, actor_kind, user_name, client_address, user_agent, "
                                     f"request_id FROM audit_event WHERE token_id = '{token['id']}' "
                                     "AND actor_kind = 'leak-report'")
    assert audit == f"token.revoked|leak-report|{user}|127.0.0.1|secret-scanner/1.0|leak-report-1"


def test_garbage_expired_revoked_and_foreign_tokens_get_the_same_answer(system, owner):
    user, access = owner
    live = stack.create_token(system["api"].url, access, name="live")
    gone = stack.create_token(system["api"].url, access, name="gone")
    requests.delete(f"{system['api'].url}/v1/personal-tokens/{gone['id']}", headers=stack.bearer(access))
    expired = resigned(live["content"], exp=int(time.time()) - 86400, nbf=int(time.time()) - 2 * 86400)
    foreign = resigned(live["content"], iss="someone-else")
    bad_signature = live["content"][:-8] + ("A" if live["content"][-8] != "A" else "B") + live["content"][-7:]
    bodies = [{"content": "hello"}, {"content": "personal_token_garbage"}, {"content": expired},
              {"content": foreign}, {"content": gone["content"]}, {"content": bad_signature},
              {"contents": ["x", expired, foreign, gone["content"]]}, {"contents": ["y"] * 100}]
    answers = [report(system["api"].url, body) for body in bodies]
    assert [a.status_code for a in answers] == [200] * len(bodies)
    assert len({a.content for a in answers}) == 1 and answers[0].json() == ANSWER
    # None of them revoked the live token they were made from.
    assert me(system, live["content"]) == 200
    revoked = stack.psql(system["db"], f"SELECT revoked_at IS NOT NULL FROM personal_token WHERE id = '{live['id']}'")
    assert revoked == "f"


@pytest.mark.parametrize("body, location, code", [
    ({"contents": ["x"] * 101}, ["body", "contents"], "too_long"),
    ({"contents": []}, ["body", "contents"], "too_short"),
    ("{not json", ["body"], "json_invalid"),
    ({}, ["body", "content"], "missing"),
    ({"content": 5}, ["body", "content"], "string_type"),
    ({"contents": ["ok", 7]}, ["body", "contents", 1], "string_type"),
    ({"content": "a", "contents": ["b"]}, ["body"], "value_error"),
    ({"content": "a", "extra": "b"}, ["body", "extra"], "extra_forbidden"),
    ([], ["body"], "model_attributes_type"),
])
def test_a_report_of_the_wrong_shape_is_422(system, body, location, code):
    response = report(system["api"].url, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert [(d["location"], d["code"]) for d in error["details"]] == [(location, code)]


def test_too_many_reports_from_one_address_are_429_with_retry_after(system):
    with stack.api(system["authority"].address, leak_report_rate="2/min") as api:
        answers = [report(api.url, {"content": "hello"}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        refused = answers[2]
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert 1 <= int(refused.headers["Retry-After"]) <= 30
        # The limit counts before parsing: garbage does not get around it.
        assert report(api.url, "{not json").status_code == 429


@pytest.mark.parametrize("count", [0, 101])
def test_the_authority_itself_refuses_none_or_more_than_a_hundred(system, count):
    stub = authority_grpc.stub(system["authority"].address)
    with pytest.raises(grpc.RpcError) as refused:
        stub.RevokeTokensByContent(authority_grpc.pb.RevokeTokensByContentRequest(contents=["x"] * count),
                                   timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "between 1 and 100" in refused.value.details()
