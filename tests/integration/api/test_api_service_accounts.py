"""Service accounts (issue 23) through the api, all real processes (authority,
api, http2kafka, PostgreSQL, Kafka): an admin creates one and names managers;
a manager creates its tokens, which verify as the account on both edges; a
non-manager gets 404; offboarding a manager leaves the account's tokens alive
and takes the person off the list; disabling revokes every token on both
edges within 1 s, audited in one transaction; a person and an account of the
same name never share tokens or history."""
import datetime
import os
import time
import uuid

import pytest
import requests
from confluent_kafka.admin import AdminClient, NewTopic
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport

import stack

ADMIN = "sa-admin"
EVENTS = "/v1/openlineage"


@pytest.fixture(scope="module")
def api(authority, database):
    with stack.api(authority.address, database_url=database, admin_users=ADMIN) as service:
        yield service


@pytest.fixture(scope="module")
def edge(authority):
    """http2kafka on a topic of its own (the broker does not create topics)."""
    kafka, topic = os.environ["TOKENGATE_TEST_KAFKA"], f"sa-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka})  # Kept alive until the topic exists.
    admin.create_topics([NewTopic(topic, 1, 1)], request_timeout=30)[topic].result(timeout=60)
    env = stack.env_of({"authority_address": authority.address, "http_listen": "127.0.0.1:0",
                        "kafka_bootstrap_servers": kafka, "kafka_topic": topic})
    with stack.Service("http2kafka", env).start() as service:
        yield service


@pytest.fixture(scope="module")
def admin(api):
    return stack.login(api.url, ADMIN)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call(method, url, token, **kwargs):
    return requests.request(method, url, headers=stack.bearer(token), timeout=10, **kwargs)


def create_account(api, admin, name, **fields):
    response = call("POST", f"{api.url}/v1/admin/service-accounts", admin, json={"name": name, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def add_manager(api, admin, name, person):
    response = call("PUT", f"{api.url}/v1/admin/service-accounts/{name}/managers/{person}", admin)
    assert response.status_code == 200, response.text
    return response.json()


def create_account_token(api, login, account, **body):
    response = call("POST", f"{api.url}/v1/service-accounts/{account}/personal-tokens", login,
                    json={"name": unique("etl"), **body})
    assert response.status_code == 200, response.text
    return response.json()


def on_api(api, content):
    return call("GET", f"{api.url}/v1/users/me", content)


def on_edge(edge, content):
    # A valid token with an empty event gets 422; a revoked one 401.
    return requests.post(edge.url + EVENTS, data=b"{}", timeout=10,
                         headers={**stack.bearer(content), "Content-Type": "application/json"}).status_code


def test_a_manager_creates_a_write_only_token_that_verifies_as_the_account(api, edge, admin, database):
    name, alice = unique("etl-prod"), unique("alice")
    created = create_account(api, admin, name, description="nightly ETL", email="etl@example.com")
    assert created["data"]["owner_name"] == f"sa:{name}"
    assert add_manager(api, admin, name, alice)["data"]["managers"] == [alice]

    login = stack.login(api.url, alice)
    managed = call("GET", f"{api.url}/v1/service-accounts", login).json()["items"]
    assert [item["id"] for item in managed] == [name]

    token = create_account_token(api, login, name)
    assert token["data"]["scopes"] == ["all:write"], "an emitter's token unless asked otherwise"
    me = on_api(api, token["content"])
    assert me.status_code == 200, me.text
    assert me.json()["name"] == f"sa:{name}"
    assert on_edge(edge, token["content"]) == 422
    # Its own list is the account's, not alice's.
    listed = call("GET", f"{api.url}/v1/service-accounts/{name}/personal-tokens", login).json()
    assert [item["id"] for item in listed["items"]] == [token["id"]]
    assert call("GET", f"{api.url}/v1/personal-tokens", login).json()["items"] == []
    # The audit names the person acting and the account.
    record = stack.psql(database, "SELECT actor_kind, actor_name, user_name FROM audit_event "
                                  f"WHERE event = 'token.created' AND token_id = '{token['id']}'")
    assert record == f"user|{alice}|sa:{name}"
    history = call("GET", f"{api.url}/v1/service-accounts/{name}/personal-tokens/{token['id']}/events", login)
    assert history.status_code == 200, history.text
    assert [item["data"]["event"] for item in history.json()["items"]] == ["token.created"]


def test_the_openlineage_client_emits_with_an_accounts_token(api, edge, admin):
    name, alice = unique("etl-prod"), unique("alice")
    create_account(api, admin, name)
    add_manager(api, admin, name, alice)
    token = create_account_token(api, stack.login(api.url, alice), name)
    config = HttpConfig.from_dict({"type": "http", "url": edge.url, "endpoint": EVENTS, "compression": "gzip",
                                   "auth": {"type": "api_key", "apiKey": token["content"]}})
    client = OpenLineageClient(transport=HttpTransport(config))
    client.emit(RunEvent(eventType=RunState.START, eventTime=datetime.datetime.now(datetime.timezone.utc).isoformat(),
                         run=Run(runId=str(uuid.uuid4())), job=Job(namespace="spark://etl", name="nightly"),
                         producer="https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client/python"))
    # emit raises on any answer but 2xx; the write-only token may not read lineage.
    assert call("GET", f"{api.url}/v1/datasets", token["content"]).status_code == 403


def test_the_creator_may_ask_for_read_and_write(api, admin):
    name, alice = unique("etl"), unique("alice")
    create_account(api, admin, name)
    add_manager(api, admin, name, alice)
    token = create_account_token(api, stack.login(api.url, alice), name, scopes=["all:read", "all:write"])
    assert token["data"]["scopes"] == ["all:read", "all:write"]


def test_a_non_manager_gets_404_and_an_admin_may_not_create(api, admin):
    name, bob = unique("etl"), unique("bob")
    create_account(api, admin, name)
    bobs = stack.login(api.url, bob)
    base = f"{api.url}/v1/service-accounts/{name}/personal-tokens"
    unknown = f"{api.url}/v1/service-accounts/{unique('none')}/personal-tokens"
    for url in (base, unknown):
        listed = call("GET", url, bobs)
        assert listed.status_code == 404, listed.text
        assert call("POST", url, bobs, json={"name": "x"}).status_code == 404
    # Same answer whether or not it exists: the message names only what was asked.
    assert call("GET", base, bobs).json()["error"]["code"] == call("GET", unknown, bobs).json()["error"]["code"]
    assert call("GET", f"{api.url}/v1/service-accounts", bobs).json() == {"items": []}
    # An admin sees it (lists its tokens) but only managers create them.
    assert call("GET", base, admin).status_code == 200
    refused = call("POST", base, admin, json={"name": "x"})
    assert refused.status_code == 403, refused.text


def test_non_admins_cannot_administer_accounts(api, admin):
    bob = stack.login(api.url, unique("bob"))
    name = unique("etl")
    assert call("POST", f"{api.url}/v1/admin/service-accounts", bob, json={"name": name}).status_code == 403
    create_account(api, admin, name)
    assert call("PUT", f"{api.url}/v1/admin/service-accounts/{name}/managers/x", bob).status_code == 403
    assert call("DELETE", f"{api.url}/v1/admin/service-accounts/{name}", bob).status_code == 403
    assert call("GET", f"{api.url}/v1/admin/service-accounts", bob).status_code == 403


def test_bad_names_and_duplicates(api, admin):
    bad = call("POST", f"{api.url}/v1/admin/service-accounts", admin, json={"name": "a:b"})
    assert bad.status_code == 422, bad.text
    name = unique("etl")
    create_account(api, admin, name)
    again = call("POST", f"{api.url}/v1/admin/service-accounts", admin, json={"name": name})
    assert again.status_code == 409, again.text


def test_a_person_cannot_take_an_accounts_name(api, admin):
    name = unique("etl")
    create_account(api, admin, name)
    impostor = stack.login(api.url, f"sa:{name}")
    response = call("GET", f"{api.url}/v1/personal-tokens", impostor)
    assert response.status_code == 403, response.text
    assert call("POST", f"{api.url}/v1/personal-tokens", impostor, json={"name": "x"}).status_code == 403


def test_a_person_and_an_account_of_the_same_name_share_nothing(api, admin, database):
    name = unique("etl-prod")
    create_account(api, admin, name)
    add_manager(api, admin, name, name)  # The person of that name manages the account.
    person = stack.login(api.url, name)
    personal = stack.create_token(api.url, person, name="same")
    account = create_account_token(api, person, name, name="same")
    assert call("GET", f"{api.url}/v1/personal-tokens", person).json()["items"][0]["id"] == personal["id"]
    listed = call("GET", f"{api.url}/v1/service-accounts/{name}/personal-tokens", person).json()["items"]
    assert [item["id"] for item in listed] == [account["id"]]
    assert on_api(api, personal["content"]).json()["name"] == name
    assert on_api(api, account["content"]).json()["name"] == f"sa:{name}"
    # Each token's history is reachable only under its own owner.
    assert call("GET", f"{api.url}/v1/personal-tokens/{account['id']}/events", person).status_code == 404
    assert call("GET", f"{api.url}/v1/service-accounts/{name}/personal-tokens/{personal['id']}/events",
                person).status_code == 404
    owners = stack.psql(database, "SELECT DISTINCT user_id FROM personal_token WHERE id IN "
                                  f"('{personal['id']}', '{account['id']}')").splitlines()
    assert len(owners) == 2


def test_offboarding_a_manager_keeps_the_accounts_token(api, edge, admin, database):
    name, alice, bob = unique("etl-prod"), unique("alice"), unique("bob")
    create_account(api, admin, name)
    add_manager(api, admin, name, alice)
    login = stack.login(api.url, alice)
    own = stack.create_token(api.url, login)
    pipeline = create_account_token(api, login, name)
    for content in (own["content"], pipeline["content"]):
        assert on_api(api, content).status_code == 200
        assert on_edge(edge, content) == 422

    response = call("POST", f"{api.url}/v1/admin/users/{alice}/revoke-tokens", admin)
    answered = time.monotonic()
    assert response.status_code == 200, response.text
    assert response.json() == {"revoked_count": 1, "token_ids": [own["id"]],
                               "removed_from_service_accounts": [name]}
    assert stack.eventually(lambda: on_api(api, own["content"]).status_code == 401
                            and on_edge(edge, own["content"]) == 401, timeout=1.0), "alice's token still works"

    print(f"offboarding: personal token 401 on both edges {(time.monotonic() - answered) * 1000:.0f} ms after the 200")
    assert on_api(api, pipeline["content"]).status_code == 200
    assert on_edge(edge, pipeline["content"]) == 422

    # alice no longer manages it; bob never did: both 404.
    for person in (alice, bob):
        response = call("GET", f"{api.url}/v1/service-accounts/{name}/personal-tokens", stack.login(api.url, person))
        assert response.status_code == 404, response.text
    listing = call("GET", f"{api.url}/v1/admin/service-accounts", admin, params={"page_size": 50}).json()
    assert next(item for item in listing["items"] if item["id"] == name)["data"]["managers"] == []
    record = stack.psql(database, "SELECT actor_kind, actor_name, user_name, detail FROM audit_event "
                                  f"WHERE event = 'service_account.manager_removed' AND user_name = 'sa:{name}'")
    assert record == f"admin|{ADMIN}|sa:{name}|manager {alice} (offboarding)"


def test_disabling_revokes_every_token_on_both_edges_in_one_transaction(api, edge, admin, database):
    name, alice = unique("etl"), unique("alice")
    create_account(api, admin, name)
    add_manager(api, admin, name, alice)
    login = stack.login(api.url, alice)
    tokens = [create_account_token(api, login, name) for _ in range(5)]
    for token in tokens:
        assert on_api(api, token["content"]).status_code == 200
        assert on_edge(edge, token["content"]) == 422

    response = call("DELETE", f"{api.url}/v1/admin/service-accounts/{name}", admin)
    answered = time.monotonic()
    assert response.status_code == 200, response.text
    assert sorted(response.json()["token_ids"]) == sorted(t["id"] for t in tokens)

    def all_refused():
        return all(on_api(api, t["content"]).status_code == 401 and on_edge(edge, t["content"]) == 401
                   for t in tokens)
    assert stack.eventually(all_refused, timeout=1.0), "a token of the disabled account still works after 1 s"
    print(f"disable: 5 tokens 401 on both edges {(time.monotonic() - answered) * 1000:.0f} ms after the 200")

    # One record per token plus one for the disable, all in one transaction.
    rows = stack.psql(database, "SELECT event, xmin::text FROM audit_event WHERE user_name = "
                                f"'sa:{name}' AND event IN ('token.revoked', 'service_account.disabled')")
    events = [line.split("|") for line in rows.splitlines()]
    assert sorted(e for e, _ in events) == ["service_account.disabled"] + ["token.revoked"] * 5
    assert len({xmin for _, xmin in events}) == 1
    # Gone for its managers, and no new tokens.
    assert call("GET", f"{api.url}/v1/service-accounts", login).json() == {"items": []}
    assert call("POST", f"{api.url}/v1/service-accounts/{name}/personal-tokens", login,
                json={"name": "again"}).status_code == 404
