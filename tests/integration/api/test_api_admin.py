"""Administration and the audit trail through the api, all real processes:
the admin role (dummy provider's TOKENGATE_ADMIN_USERS), 403 for others, the
cross-user list, offboarding a user with 50 tokens (every token 401 on the api
AND on http2kafka within 1 s of the 200), a token's events with the right
actor, and the client address: X-Forwarded-For believed only from a trusted
proxy (TOKENGATE_TRUSTED_PROXIES)."""
import concurrent.futures
import os
import subprocess
import threading
import time
import uuid

import pytest
import requests

import stack

ADMIN = "root-admin"
EVENTS = "/v1/openlineage"


@pytest.fixture(scope="module")
def authority(database):
    """Uses are written every second (not every 5), so a first use shows soon."""
    with stack.authority(database, usage_flush_seconds=1) as service:
        yield service


@pytest.fixture(scope="module")
def api(authority, database):
    """An api that makes ADMIN an admin and trusts no proxy."""
    with stack.api(authority.address, database_url=database, admin_users=f"{ADMIN}, other-admin") as service:
        yield service


@pytest.fixture(scope="module")
def proxied_api(authority):
    """An api behind a 'proxy' on loopback: the test's own connections come
    from a trusted peer, so their X-Forwarded-For counts."""
    with stack.api(authority.address, admin_users=ADMIN, trusted_proxies="10.0.0.0/8, 127.0.0.1") as service:
        yield service


@pytest.fixture(scope="module")
def edge(authority):
    """http2kafka behind a 'proxy' on loopback; a valid token with an empty
    event gets 422, a revoked one 401."""
    env = stack.env_of({"authority_address": authority.address, "http_listen": "127.0.0.1:0",
                        "kafka_bootstrap_servers": os.environ["TOKENGATE_TEST_KAFKA"],
                        "kafka_topic": f"admin-{uuid.uuid4().hex[:8]}", "trusted_proxies": "127.0.0.1"})
    with stack.Service("http2kafka", env).start() as service:
        yield service


@pytest.fixture(scope="module")
def admin_token(api):
    return stack.login(api.url, ADMIN)


def events_of(api_url, access_token, token_id, **params):
    response = requests.get(f"{api_url}/v1/personal-tokens/{token_id}/events", params=params,
                            headers=stack.bearer(access_token), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def first_use_of(api_url, access_token, token_id):
    """The token's token.first_used event once the authority wrote it (polled), else None."""
    def find():
        items = events_of(api_url, access_token, token_id)["items"]
        return next((item["data"] for item in items if item["data"]["event"] == "token.first_used"), None)
    return stack.eventually(find, timeout=10)


def test_non_admin_gets_403_with_a_json_error_and_the_attempt_is_audited(api, database, access_token, user):
    victim = f"victim-{uuid.uuid4().hex[:6]}"
    victims_token = stack.create_token(api.url, stack.login(api.url, victim))
    for method, path in [("GET", "/v1/admin/personal-tokens"),
                         ("POST", f"/v1/admin/users/{victim}/revoke-tokens")]:
        response = requests.request(method, api.url + path, headers={
            **stack.bearer(access_token), "X-Request-ID": f"not-admin-{method}"}, timeout=10)
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        assert error["message"] == "Only administrators may do this"
        assert user in error["details"]
    assert requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(victims_token["content"]),
                        timeout=10).status_code == 200, "the refused offboarding revoked nothing"
    records = stack.psql(database, "SELECT actor_kind, actor_name, request_id, detail FROM audit_event"
                                   f" WHERE event = 'management.failed' AND actor_name = '{user}' ORDER BY id")
    assert records.splitlines() == [
        f"user|{user}|not-admin-GET|AdminListTokens: User '{user}' does not have the administrator role",
        f"user|{user}|not-admin-POST|RevokeUserTokens: User '{user}' does not have the administrator role"]


def test_no_credentials_get_401(api, user):
    response = requests.get(f"{api.url}/v1/admin/personal-tokens", timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    response = requests.post(f"{api.url}/v1/admin/users/{user}/revoke-tokens", timeout=10)
    assert response.status_code == 401


def test_a_personal_token_never_acts_as_admin(api, admin_token):
    # Even one that belongs to the admin.
    content = stack.create_token(api.url, admin_token)["content"]
    response = requests.get(f"{api.url}/v1/admin/personal-tokens", headers=stack.bearer(content), timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid token"


def test_admin_lists_tokens_across_users(api, admin_token):
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    a = stack.create_token(api.url, stack.login(api.url, alice), name="etl")
    bob_token = stack.login(api.url, bob)
    b1 = stack.create_token(api.url, bob_token, name="b1")
    b2 = stack.create_token(api.url, bob_token, name="b2")
    assert requests.delete(f"{api.url}/v1/personal-tokens/{b1['id']}", headers=stack.bearer(bob_token),
                           timeout=10).status_code == 204

    everyone = requests.get(f"{api.url}/v1/admin/personal-tokens", params={"page_size": 50},
                            headers=stack.bearer(admin_token), timeout=10)
    assert everyone.status_code == 200, everyone.text
    owners = {item["id"]: item["data"]["user_name"] for item in everyone.json()["items"]}
    assert owners[a["id"]] == alice and owners[b2["id"]] == bob

    bobs = requests.get(f"{api.url}/v1/admin/personal-tokens", params={"user": bob},
                        headers=stack.bearer(admin_token), timeout=10).json()
    assert bobs["meta"]["total_count"] == 2
    assert [item["id"] for item in bobs["items"]] == [b2["id"], b1["id"]]  # newest first
    assert bobs["items"][1]["data"]["revoked_at"] is not None
    assert bobs["items"][0]["data"]["revoked_at"] is None

    active = requests.get(f"{api.url}/v1/admin/personal-tokens", params={"user": bob, "active": "true"},
                          headers=stack.bearer(admin_token), timeout=10).json()
    assert [item["id"] for item in active["items"]] == [b2["id"]]
    assert active["meta"] == {"page": 1, "page_size": 20, "total_count": 1, "pages_count": 1,
                              "has_next": False, "has_previous": False, "next_page": None,
                              "previous_page": None}


def test_admin_list_rejects_bad_query_with_422(api, admin_token):
    response = requests.get(f"{api.url}/v1/admin/personal-tokens", params={"active": "maybe", "page": "0"},
                            headers=stack.bearer(admin_token), timeout=10)
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert [d["location"] for d in details] == [["query", "active"], ["query", "page"]]
    assert details[0]["code"] == "bool_parsing"


def test_offboarding_an_unknown_user_is_404(api, admin_token):
    response = requests.post(f"{api.url}/v1/admin/users/nobody-{uuid.uuid4().hex[:8]}/revoke-tokens",
                             headers=stack.bearer(admin_token), timeout=10)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


def test_offboarding_50_tokens_reaches_both_edges_within_a_second(api, edge, admin_token, user):
    owner = stack.login(api.url, user)
    contents = {}
    for i in range(50):
        issued = stack.create_token(api.url, owner, name=f"leaver-{i}")
        contents[issued["id"]] = issued["content"]
    keep = stack.create_token(api.url, stack.login(api.url, f"stayer-{uuid.uuid4().hex[:6]}"))

    sessions = threading.local()

    def session():
        if not hasattr(sessions, "value"):
            sessions.value = requests.Session()
        return sessions.value

    def on_api(content):
        return session().get(f"{api.url}/v1/users/me", headers=stack.bearer(content), timeout=10).status_code

    def on_edge(content):
        return session().post(edge.url + EVENTS, data=b"{}", timeout=10,
                              headers={**stack.bearer(content), "Content-Type": "application/json"}).status_code

    # Both edges have every token cached as valid (the edge checks the token before the event: 422).
    assert {on_api(c) for c in contents.values()} == {200}
    assert {on_edge(c) for c in contents.values()} == {422}

    response = requests.post(f"{api.url}/v1/admin/users/{user}/revoke-tokens",
                             headers=stack.bearer(admin_token), timeout=10)
    answered = time.monotonic()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["revoked_count"] == 50
    assert sorted(body["token_ids"]) == sorted(contents)

    # Polled in parallel, so a round over all 100 pairs stays short on a busy machine.
    first_401 = {}
    deadline = answered + 1.0
    pending = [(edge_name, token_id) for token_id in contents for edge_name in ("api", "http2kafka")]

    def check(pair):
        edge_name, token_id = pair
        status = (on_api if edge_name == "api" else on_edge)(contents[token_id])
        return pair, status, time.monotonic() - answered

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        while pending and time.monotonic() < deadline:
            still = []
            for pair, status, seen_at in pool.map(check, pending):
                if status == 401:
                    first_401[pair] = seen_at
                else:
                    still.append(pair)
            pending = still
    assert not pending, f"{len(pending)} token/edge pairs still accepted 1 s after the 200: {pending[:4]}"
    slowest = max(first_401.values())
    print(f"offboarding 50 tokens: slowest 401 {slowest * 1000:.0f} ms after the 200 "
          f"(api {max(v for (e, _), v in first_401.items() if e == 'api') * 1000:.0f} ms, "
          f"http2kafka {max(v for (e, _), v in first_401.items() if e == 'http2kafka') * 1000:.0f} ms)")

    # Someone else's token is untouched; the user's list is empty.
    assert on_api(keep["content"]) == 200
    listed = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(owner), timeout=10).json()
    assert listed["items"] == []
    # Nothing left to revoke: a second call answers 0.
    again = requests.post(f"{api.url}/v1/admin/users/{user}/revoke-tokens",
                          headers=stack.bearer(admin_token), timeout=10)
    assert again.json() == {"revoked_count": 0, "token_ids": []}


def test_events_show_create_and_admin_revoke_with_their_actors(api, admin_token, access_token, user):
    issued = stack.create_token(api.url, access_token, name="audited")
    assert requests.post(f"{api.url}/v1/admin/users/{user}/revoke-tokens", headers={
        **stack.bearer(admin_token), "User-Agent": "offboarding-script/1.0", "X-Request-ID": "offboard-42"},
        timeout=10).status_code == 200

    page = events_of(api.url, access_token, issued["id"])
    kinds = [item["data"]["event"] for item in page["items"]]
    assert kinds == ["token.revoked", "token.created"], page  # newest first
    revoked, created = (item["data"] for item in page["items"])
    assert (created["actor_kind"], created["actor_name"], created["user_name"]) == ("user", user, user)
    assert created["token_name"] == "audited" and created["token_id"] == issued["id"]
    assert (revoked["actor_kind"], revoked["actor_name"]) == ("admin", ADMIN)
    assert revoked["user_agent"] == "offboarding-script/1.0"
    assert revoked["request_id"] == "offboard-42"
    assert created["client_address"] == "127.0.0.1"
    assert page["meta"]["total_count"] == 2
    assert "content" not in str(page) and issued["content"] not in str(page)


def test_events_of_someone_elses_token_are_404(api, access_token):
    theirs = stack.create_token(api.url, stack.login(api.url, f"other-{uuid.uuid4().hex[:6]}"))
    response = requests.get(f"{api.url}/v1/personal-tokens/{theirs['id']}/events",
                            headers=stack.bearer(access_token), timeout=10)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


def test_events_are_paged(api, access_token):
    issued = stack.create_token(api.url, access_token)
    refreshed = requests.patch(f"{api.url}/v1/personal-tokens/{issued['id']}", json={},
                               headers=stack.bearer(access_token), timeout=10)
    assert refreshed.status_code == 200
    first = events_of(api.url, access_token, issued["id"], page=1, page_size=1)
    assert first["meta"]["has_next"] is True and first["meta"]["page_size"] == 1
    second = events_of(api.url, access_token, issued["id"], page=2, page_size=1)
    assert first["items"][0]["id"] > second["items"][0]["id"]
    bad = requests.get(f"{api.url}/v1/personal-tokens/{issued['id']}/events", params={"page_size": 51},
                       headers=stack.bearer(access_token), timeout=10)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["location"] == ["query", "page_size"]


def test_forwarded_for_is_ignored_from_an_untrusted_peer(api, access_token):
    issued = requests.post(f"{api.url}/v1/personal-tokens", json={"name": "spoof"},
                           headers={**stack.bearer(access_token), "X-Forwarded-For": "203.0.113.66"},
                           timeout=10).json()
    created = events_of(api.url, access_token, issued["id"])["items"][-1]["data"]
    assert created["client_address"] == "127.0.0.1"


def test_forwarded_for_from_a_trusted_proxy_names_the_client(proxied_api, user):
    owner = stack.login(proxied_api.url, user)
    # The client forged the first entry; the proxies appended what they saw.
    headers = {**stack.bearer(owner), "X-Forwarded-For": "6.6.6.6, 198.51.100.23, 10.1.2.3",
               "User-Agent": "curl/8.0"}
    issued = requests.post(f"{proxied_api.url}/v1/personal-tokens", json={"name": "proxied"},
                           headers=headers, timeout=10).json()
    created = events_of(proxied_api.url, owner, issued["id"])["items"][-1]["data"]
    assert created["client_address"] == "198.51.100.23"
    assert created["user_agent"] == "curl/8.0"
    # The api's verify miss sends the same origin: the token's first use names the client.
    used = requests.get(f"{proxied_api.url}/v1/users/me", timeout=10, headers={
        **stack.bearer(issued["content"]), "X-Forwarded-For": "198.51.100.24", "User-Agent": "script/2"})
    assert used.status_code == 200
    first = first_use_of(proxied_api.url, owner, issued["id"])
    assert first and (first["client_address"], first["user_agent"]) == ("198.51.100.24", "script/2")


def test_first_use_on_http2kafka_records_the_forwarded_client_and_user_agent(api, edge, access_token, user,
                                                                             admin_token):
    issued = stack.create_token(api.url, access_token)
    response = requests.post(edge.url + EVENTS, data=b"{}", timeout=10, headers={
        **stack.bearer(issued["content"]), "Content-Type": "application/json",
        "X-Forwarded-For": "6.6.6.6, 198.51.100.7", "User-Agent": "openlineage-python/1.40 \xe9"})
    assert response.status_code == 422, response.text
    used = first_use_of(api.url, access_token, issued["id"])
    assert used, "token.first_used is recorded (batched every second here)"
    assert used["client_address"] == "198.51.100.7"
    assert used["user_agent"] == "openlineage-python/1.40 ?"  # Only printable ASCII travels.
    # The admin list shows where the token was last used from.
    listed = requests.get(f"{api.url}/v1/admin/personal-tokens", params={"user": user},
                          headers=stack.bearer(admin_token), timeout=10).json()
    (item,) = [item for item in listed["items"] if item["id"] == issued["id"]]
    assert item["data"]["last_used_from"] == "198.51.100.7"
    assert item["data"]["last_used_at"] is not None


def test_http2kafka_refuses_a_bad_trusted_proxy_list():
    env = stack.env_of({"http_listen": "127.0.0.1:0", "trusted_proxies": "127.0.0.1, proxy.internal"})
    result = subprocess.run([str(stack.BINARIES["http2kafka"])], env={"PATH": "/usr/bin:/bin", **env},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == ("invalid configuration: TOKENGATE_TRUSTED_PROXIES: "
                                     "'proxy.internal' is not an IP address or CIDR")
