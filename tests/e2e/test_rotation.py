"""Rotation with a grace window and uses of dead tokens (issue 24), every part
real: PostgreSQL, Kafka, the authority, the api and http2kafka processes, and a
webhook receiver for the owner's notices. A refresh with grace_seconds keeps the
old content working on both edges until the grace ends and kills it within a
second after, also across a kill -9 of the authority; revoking the new token
ends the old one too. A dead token sent 500 times from one address and user
agent leaves one audit record and one notice; a second address one more each."""
import datetime
import os
import time
import uuid

import pytest
import requests

import notice_receivers
import seed_story
import stack

KAFKA = os.environ["TOKENGATE_TEST_KAFKA"]
SECRET = "webhook-secret-0123456789abcdef"
GRACE = 3


@pytest.fixture(scope="module")
def system():
    with seed_story.kafka_topic(KAFKA, prefix="rotate") as topic, stack.fresh_database("tg_rotate") as db, \
            notice_receivers.WebhookReceiver(SECRET) as hook:
        authority_settings = dict(webhook_url=hook.url, webhook_secret=SECRET, expiry_scan_seconds=1,
                                  public_url="https://tokens.example.test", shutdown_grace_seconds=1,
                                  max_rotation_grace_seconds=60)
        authority = stack.authority(db, **authority_settings)
        api = stack.api(authority.address, trusted_proxies="127.0.0.1/32")
        edge = stack.Service("http2kafka", stack.env_of({
            "authority_address": authority.address, "http_listen": "127.0.0.1:0",
            "kafka_bootstrap_servers": KAFKA, "kafka_topic": topic})).start()
        system = {"db": db, "hook": hook, "authority": authority, "api": api, "edge": edge,
                  "authority_settings": authority_settings}
        assert stack.eventually(lambda: watching(system), 10)
        yield system
        for service in (edge, api, system["authority"]):
            service.stop()


def watching(system):
    return all(stack.metric(s.url, "tokengate_revocation_watch_connected") == 1
               for s in (system["api"], system["edge"]))


@pytest.fixture
def owner(system):
    user = f"owner-{uuid.uuid4().hex[:8]}"
    return user, stack.login(system["api"].url, user)


def me(system, content, **headers):
    return requests.get(f"{system['api'].url}/v1/users/me", headers={**stack.bearer(content), **headers},
                        timeout=5).status_code


def emit(system, content):
    event = {"eventTime": datetime.datetime.now(datetime.timezone.utc).isoformat(), "eventType": "START",
             "producer": "https://example.test/rotate-test", "run": {"runId": str(uuid.uuid4()), "facets": {}},
             "job": {"namespace": "rotate", "name": "job", "facets": {}}, "inputs": [], "outputs": []}
    return requests.post(f"{system['edge'].url}/v1/openlineage", json=event, headers=stack.bearer(content),
                         timeout=10).status_code


def both(system, content):
    return me(system, content), emit(system, content)


def refresh(system, access, token_id, **body):
    return requests.patch(f"{system['api'].url}/v1/personal-tokens/{token_id}", json=body,
                          headers=stack.bearer(access), timeout=10)


def rotate(system, access, grace=GRACE):
    old = stack.create_token(system["api"].url, access, name=f"etl-{uuid.uuid4().hex[:6]}")
    assert both(system, old["content"]) == (200, 201)  # Cached on both edges before the refresh.
    response = refresh(system, access, old["id"], grace_seconds=grace)
    assert response.status_code == 200, response.text
    return old, response.json(), time.monotonic() + grace


def test_the_old_content_works_through_the_grace_and_dies_within_a_second_after(system, owner):
    _, access = owner
    old, new, grace_ends = rotate(system, access)
    assert both(system, old["content"]) == (200, 201), "the old content must work right after the refresh"
    assert both(system, new["content"]) == (200, 201)

    listed = requests.get(f"{system['api'].url}/v1/personal-tokens", headers=stack.bearer(access), timeout=10).json()
    retiring = [item["data"] for item in listed["items"] if item["id"] == old["id"]]
    assert retiring and retiring[0]["rotated_to"] == new["id"] and retiring[0]["retiring_until"], listed

    while time.monotonic() < grace_ends - 0.3:
        assert both(system, new["content"]) == (200, 201)
        assert both(system, old["content"]) == (200, 201), "the old content died before its grace ended"
        time.sleep(0.2)
    assert stack.eventually(lambda: both(system, old["content"]) == (401, 401), grace_ends + 1.0 - time.monotonic()
                            + 0.3, interval=0.02), "the old content still works a second after its grace"
    assert both(system, new["content"]) == (200, 201)
    assert stack.eventually(lambda: stack.psql(
        system["db"], f"SELECT revoked_at IS NOT NULL FROM personal_token WHERE id = '{old['id']}'") == "t", 5)


def test_a_grace_above_the_cap_is_422_and_changes_nothing(system, owner):
    _, access = owner
    token = stack.create_token(system["api"].url, access)
    response = refresh(system, access, token["id"], grace_seconds=61)
    assert response.status_code == 422, response.text
    detail = response.json()["error"]["details"][0]
    assert (detail["location"], detail["code"]) == (["body", "grace_seconds"], "less_than_equal")
    assert refresh(system, access, token["id"], grace_seconds=-1).status_code == 422
    assert both(system, token["content"]) == (200, 201)


def test_revoking_the_new_token_in_the_grace_ends_both(system, owner):
    _, access = owner
    old, new, _ = rotate(system, access, grace=60)
    deleted = requests.delete(f"{system['api'].url}/v1/personal-tokens/{new['id']}", headers=stack.bearer(access),
                              timeout=10)
    assert deleted.status_code == 204
    started = time.monotonic()
    for content in (old["content"], new["content"]):
        assert stack.eventually(lambda: both(system, content) == (401, 401), 1.0, interval=0.02), \
            f"still accepted {time.monotonic() - started:.2f} s after the new token was revoked"


def test_revoking_the_old_token_in_the_grace_ends_only_the_old_one(system, owner):
    _, access = owner
    old, new, _ = rotate(system, access, grace=60)
    deleted = requests.delete(f"{system['api'].url}/v1/personal-tokens/{old['id']}", headers=stack.bearer(access),
                              timeout=10)
    assert deleted.status_code == 204
    assert stack.eventually(lambda: both(system, old["content"]) == (401, 401), 1.0, interval=0.02)
    assert both(system, new["content"]) == (200, 201)


def test_a_grace_survives_a_kill_9_of_the_authority(system, owner):
    _, access = owner
    old, new, grace_ends = rotate(system, access, grace=8)
    authority = system["authority"]
    authority.kill()
    system["authority"] = stack.authority(system["db"], port=authority.port, **system["authority_settings"])
    assert stack.eventually(lambda: watching(system), 10)
    assert time.monotonic() < grace_ends - 1, "the restart took the whole grace; nothing was tested"
    assert both(system, old["content"]) == (200, 201), "the old content died with the authority"
    assert stack.eventually(lambda: both(system, old["content"]) == (401, 401), grace_ends + 1.3 - time.monotonic(),
                            interval=0.02), "the old content outlived its grace after the restart"
    assert both(system, new["content"]) == (200, 201)


def dead_use_records(system, token_id):
    return stack.psql(system["db"], "SELECT event, client_address, user_agent, detail FROM audit_event "
                                    f"WHERE token_id = '{token_id}' AND event LIKE 'token.used_after_%' ORDER BY id")


def test_a_dead_token_sent_500_times_leaves_one_record_and_one_notice_per_address(system, owner):
    user, access = owner
    token = stack.create_token(system["api"].url, access, name="my-etl")
    requests.delete(f"{system['api'].url}/v1/personal-tokens/{token['id']}", headers=stack.bearer(access), timeout=10)
    agent = "openlineage-java/1.53.0"
    with requests.Session() as session:
        for _ in range(500):
            answer = session.get(f"{system['api'].url}/v1/users/me", timeout=5,
                                 headers={**stack.bearer(token["content"]), "User-Agent": agent,
                                          "X-Forwarded-For": "10.1.2.3"})
            assert answer.status_code == 401
    recorded = lambda: dead_use_records(system, token["id"])
    assert stack.eventually(recorded, 10), "no record of the dead token's use"
    told = lambda: [c for c in system["hook"].received() if c["body"]["token"]["id"] == token["id"]]
    assert stack.eventually(told, 20), "the owner's notice never arrived"
    time.sleep(2.5)  # Two more flush intervals: nothing else may arrive.
    assert recorded() == f"token.used_after_revocation|10.1.2.3|{agent}|after: user; edge: api"
    notices = told()
    assert len(notices) == 1, notices
    body = notices[0]["body"]
    assert body["event"] == "token.used_after_revocation" and body["client_address"] == "10.1.2.3"
    assert "my-etl" in body["message"] and "10.1.2.3" in body["message"] and agent in body["message"]
    assert token["content"] not in notices[0]["raw"].decode()

    for _ in range(20):
        me(system, token["content"], **{"User-Agent": agent, "X-Forwarded-For": "10.9.9.9"})
    assert stack.eventually(lambda: len(recorded().splitlines()) == 2, 10), recorded()
    assert stack.eventually(lambda: len(told()) == 2, 20), told()

    events = requests.get(f"{system['api'].url}/v1/personal-tokens/{token['id']}/events",
                          headers=stack.bearer(access), timeout=10).json()
    assert [e for e in events["items"] if e["data"]["event"] == "token.used_after_revocation"]


def test_a_leak_revoked_token_still_used_says_so(system, owner):
    _, access = owner
    token = stack.create_token(system["api"].url, access)
    requests.post(f"{system['api'].url}/v1/personal-tokens/revoke", json={"content": token["content"]}, timeout=10)
    assert stack.eventually(lambda: emit(system, token["content"]) == 401, 2)
    assert stack.eventually(lambda: dead_use_records(system, token["id"]), 10)
    assert dead_use_records(system, token["id"]).endswith("after: leak-report; edge: http2kafka")
