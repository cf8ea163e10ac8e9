"""Narrow personal tokens (issue 21) on the api edge, over real HTTP against a
real authority: scopes, namespaces and networks are accepted on create,
returned in `data` only when set, narrowed (never widened) by PATCH, refused
with pydantic-shaped 422s when malformed, enforced on every request (scopes
on the lineage reads, networks on every bearer request, the client address
taken as the edge computes it), listed for admins and recorded in the
token's history."""
import http.client
import json
import uuid

import pytest
import requests

import stack

ADMIN = "limits-admin"


@pytest.fixture(scope="module")
def api(authority, database):
    with stack.api(authority.address, database_url=database, admin_users=ADMIN) as service:
        yield service


@pytest.fixture(scope="module")
def proxied_api(authority, database):
    """Behind a 'proxy' on 127.0.0.1: the test's own connections come from a
    trusted peer there, so their X-Forwarded-For counts."""
    with stack.api(authority.address, database_url=database, trusted_proxies="127.0.0.1") as service:
        yield service


@pytest.fixture(scope="module")
def ipv6_api(authority, database):
    """Listening on the IPv6 loopback only: its clients come from ::1."""
    with stack.api(authority.address, database_url=database, http_listen="[::1]:0") as service:
        yield service


def create(api_url, access_token, **body):
    body.setdefault("name", f"t-{uuid.uuid4().hex[:12]}")
    return requests.post(f"{api_url}/v1/personal-tokens", json=body, headers=stack.bearer(access_token),
                         timeout=10)


def created(api_url, access_token, **body):
    response = create(api_url, access_token, **body)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(api_url, access_token, token_id, **body):
    return requests.patch(f"{api_url}/v1/personal-tokens/{token_id}", json=body,
                          headers=stack.bearer(access_token), timeout=10)


def details(response):
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    return [(tuple(d["location"]), d["code"]) for d in error["details"]]


def get_from(url, path, token, source="127.0.0.1", headers=None):
    """GET with the client socket bound to `source` (any 127/8 address reaches
    a server on 127.0.0.1; "::1" a server on [::1]); returns (status, parsed JSON body)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}", **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


# --- shapes ---------------------------------------------------------------------

def test_limits_come_back_in_data(api, access_token):
    body = created(api.url, access_token, scopes=["all:write"], namespaces=["spark-*", "airflow-team-a"],
                   networks=["10.0.0.0/8", "2001:db8::/32"])
    data = body["data"]
    assert data["scopes"] == ["all:write"]
    assert data["namespaces"] == ["spark-*", "airflow-team-a"]
    assert data["networks"] == ["10.0.0.0/8", "2001:db8::/32"]
    assert list(data) == ["id", "name", "scopes", "namespaces", "networks", "since", "until", "last_used_at"]
    listed = requests.get(f"{api.url}/v1/personal-tokens", params={"personal_token_id": body["id"]},
                          headers=stack.bearer(access_token), timeout=10).json()
    assert listed["items"][0]["data"] == data


def test_a_client_that_sends_no_limits_gets_todays_shape(api, access_token):
    data = created(api.url, access_token)["data"]
    assert list(data) == ["id", "name", "scopes", "since", "until", "last_used_at"]
    assert data["scopes"] == ["all:read", "all:write"]


def test_a_bare_address_is_a_single_host_network(api, access_token):
    data = created(api.url, access_token, networks=["192.0.2.7", "::1"])["data"]
    assert data["networks"] == ["192.0.2.7/32", "::1/128"]


@pytest.mark.parametrize("body,expected", [
    ({"scopes": []}, [(("body", "scopes"), "too_short")]),
    ({"scopes": ["all:admin"]}, [(("body", "scopes", 0), "enum")]),
    ({"scopes": ["all:read", "all:read"]}, [(("body", "scopes"), "value_error")]),
    ({"scopes": "all:read"}, [(("body", "scopes"), "list_type")]),
    ({"namespaces": [""]}, [(("body", "namespaces", 0), "string_too_short")]),
    ({"namespaces": ["a" * 256]}, [(("body", "namespaces", 0), "string_too_long")]),
    ({"namespaces": ["ok", 5]}, [(("body", "namespaces", 1), "string_type")]),
    ({"namespaces": ["tab\there"]}, [(("body", "namespaces", 0), "string_pattern_mismatch")]),
    ({"namespaces": [f"ns-{i}" for i in range(21)]}, [(("body", "namespaces"), "too_long")]),
    ({"networks": ["10.0.0.0/33"]}, [(("body", "networks", 0), "value_error")]),
    ({"networks": ["not-an-address"]}, [(("body", "networks", 0), "value_error")]),
    ({"networks": ["10.0.0.1/8"]}, [(("body", "networks", 0), "value_error")]),
    ({"networks": [f"10.0.0.{i}/32" for i in range(21)]}, [(("body", "networks"), "too_long")]),
    ({"networks": ["10.0.0.0/8", "10.0.0.0/8"]}, [(("body", "networks"), "value_error")]),
])
def test_malformed_limits_are_422_in_pydantics_shape(api, access_token, body, expected):
    response = create(api.url, access_token, **body)
    assert details(response) == expected
    detail = response.json()["error"]["details"][0]
    assert set(detail) == {"location", "message", "code", "context", "input"}


def test_too_many_entries_names_the_limit(api, access_token):
    response = create(api.url, access_token, namespaces=[f"ns-{i}" for i in range(21)])
    detail = response.json()["error"]["details"][0]
    assert detail["message"] == "List should have at most 20 items after validation, not 21"
    assert detail["context"] == {"field_type": "List", "max_length": 20, "actual_length": 21}


# --- narrowing on PATCH ------------------------------------------------------------

def test_refresh_keeps_the_limits(api, access_token):
    old = created(api.url, access_token, scopes=["all:write"], namespaces=["spark-*"], networks=["10.0.0.0/8"])
    response = refresh(api.url, access_token, old["id"])
    assert response.status_code == 200, response.text
    new = response.json()["data"]
    assert (new["scopes"], new["namespaces"], new["networks"]) == (["all:write"], ["spark-*"], ["10.0.0.0/8"])


def test_refresh_narrows(api, access_token):
    old = created(api.url, access_token, namespaces=["spark-*"], networks=["10.0.0.0/8"])
    response = refresh(api.url, access_token, old["id"], scopes=["all:write"], namespaces=["spark-etl-*"],
                       networks=["10.1.0.0/16"])
    assert response.status_code == 200, response.text
    new = response.json()
    assert new["id"] != old["id"]
    assert (new["data"]["scopes"], new["data"]["namespaces"], new["data"]["networks"]) == \
        (["all:write"], ["spark-etl-*"], ["10.1.0.0/16"])


def test_refresh_may_limit_an_unlimited_token(api, access_token):
    old = created(api.url, access_token)
    new = refresh(api.url, access_token, old["id"], namespaces=["team-a"], networks=["127.0.0.1"]).json()
    assert new["data"]["namespaces"] == ["team-a"] and new["data"]["networks"] == ["127.0.0.1/32"]


@pytest.mark.parametrize("old,wider,field", [
    ({"scopes": ["all:write"]}, {"scopes": ["all:read", "all:write"]}, "scopes"),
    ({"scopes": ["all:write"]}, {"scopes": ["all:read"]}, "scopes"),
    ({"namespaces": ["spark-etl-*"]}, {"namespaces": ["spark-*"]}, "namespaces"),
    ({"namespaces": ["team-a"]}, {"namespaces": ["team-a", "team-b"]}, "namespaces"),
    ({"namespaces": ["team-a"]}, {"namespaces": ["team-*"]}, "namespaces"),
    ({"networks": ["10.1.0.0/16"]}, {"networks": ["10.0.0.0/8"]}, "networks"),
    ({"networks": ["10.0.0.0/8"]}, {"networks": ["192.168.0.0/16"]}, "networks"),
    ({"networks": ["10.0.0.0/8"]}, {"networks": ["::/0"]}, "networks"),
])
def test_widening_on_refresh_is_422_and_keeps_the_old_token(api, access_token, old, wider, field):
    token = created(api.url, access_token, **old)
    response = refresh(api.url, access_token, token["id"], **wider)
    assert details(response) == [(("body", field), "value_error")]
    assert "wider" in response.json()["error"]["details"][0]["message"]
    listed = requests.get(f"{api.url}/v1/personal-tokens", params={"personal_token_id": token["id"]},
                          headers=stack.bearer(access_token), timeout=10).json()
    assert [item["id"] for item in listed["items"]] == [token["id"]], "a refused refresh leaves the old token live"


def test_refresh_rejects_malformed_limits(api, access_token):
    token = created(api.url, access_token)
    assert details(refresh(api.url, access_token, token["id"], networks=["300.0.0.0/8"])) == \
        [(("body", "networks", 0), "value_error")]


# --- scopes at the edge -------------------------------------------------------------

def test_read_only_token_reads_lineage_and_knows_its_user(api, access_token, user):
    token = created(api.url, access_token, scopes=["all:read"])["content"]
    assert get_from(api.url, "/v1/datasets", token)[0] == 200
    assert get_from(api.url, "/v1/users/me", token) == (200, {"name": user})


def test_write_only_token_cannot_read_lineage_but_knows_its_user(api, access_token, user):
    token = created(api.url, access_token, scopes=["all:write"])["content"]
    for path in ("/v1/datasets", "/v1/jobs", "/v1/runs", "/v1/locations"):
        status, body = get_from(api.url, path, token)
        assert status == 403 and body["error"]["code"] == "forbidden", (path, body)
    assert get_from(api.url, "/v1/users/me", token) == (200, {"name": user})


# --- networks at the edge -------------------------------------------------------------

def test_token_bound_to_a_network_is_refused_from_elsewhere(api, access_token):
    token = created(api.url, access_token, networks=["127.0.0.2/32"])["content"]
    for path in ("/v1/users/me", "/v1/datasets", "/v1/personal-tokens"):
        status, body = get_from(api.url, path, token, source="127.0.0.1")
        assert status == 403, (path, body)
        assert body["error"]["message"] == "token not allowed from this address"
    assert get_from(api.url, "/v1/users/me", token, source="127.0.0.2")[0] == 200
    assert get_from(api.url, "/v1/datasets", token, source="127.0.0.2")[0] == 200


def test_refusal_by_network_is_not_cached_for_other_addresses(api, access_token):
    """The verify cache holds the answer, not the address: the same token, one
    request from outside and one from inside, in either order."""
    token = created(api.url, access_token, networks=["127.0.0.3/32"])["content"]
    assert get_from(api.url, "/v1/users/me", token, source="127.0.0.3")[0] == 200
    assert get_from(api.url, "/v1/users/me", token, source="127.0.0.1")[0] == 403
    assert get_from(api.url, "/v1/users/me", token, source="127.0.0.3")[0] == 200


def test_trusted_proxys_forwarded_address_is_honoured(proxied_api, authority, access_token):
    token = created(proxied_api.url, access_token, networks=["198.51.100.0/24", "2001:db8::/32"])["content"]
    assert get_from(proxied_api.url, "/v1/users/me", token, headers={"X-Forwarded-For": "198.51.100.9"})[0] == 200
    assert get_from(proxied_api.url, "/v1/users/me", token, headers={"X-Forwarded-For": "203.0.113.9"})[0] == 403
    # IPv6 client addresses as the proxy reports them.
    assert get_from(proxied_api.url, "/v1/users/me", token, headers={"X-Forwarded-For": "2001:db8::7"})[0] == 200
    assert get_from(proxied_api.url, "/v1/users/me", token, headers={"X-Forwarded-For": "2001:db9::7"})[0] == 403


def test_ipv6_address_forwarded_by_a_trusted_proxy(proxied_api, access_token):
    token = created(proxied_api.url, access_token, networks=["::1/128"])["content"]
    assert get_from(proxied_api.url, "/v1/users/me", token, headers={"X-Forwarded-For": "::1"})[0] == 200
    assert get_from(proxied_api.url, "/v1/users/me", token, headers={"X-Forwarded-For": "::2"})[0] == 403


def test_ipv6_client_and_ipv6_networks(api, ipv6_api, access_token):
    v6_url = f"http://[::1]:{ipv6_api.port}"
    bound_v6 = created(api.url, access_token, networks=["::1/128"])["content"]
    bound_v4 = created(api.url, access_token, networks=["127.0.0.1/32"])["content"]
    assert get_from(v6_url, "/v1/users/me", bound_v6, source="::1")[0] == 200
    status, body = get_from(v6_url, "/v1/users/me", bound_v4, source="::1")
    assert status == 403 and body["error"]["message"] == "token not allowed from this address"
    assert get_from(api.url, "/v1/users/me", bound_v6)[0] == 403  # 127.0.0.1 is not ::1.


def test_untrusted_peers_forwarded_address_is_ignored(api, access_token):
    token = created(api.url, access_token, networks=["198.51.100.0/24"])["content"]
    assert get_from(api.url, "/v1/users/me", token, headers={"X-Forwarded-For": "198.51.100.9"})[0] == 403


# --- admin listing and history ----------------------------------------------------------

def test_admin_listing_shows_the_limits(api, access_token, user):
    token = created(api.url, access_token, scopes=["all:write"], namespaces=["spark-*"], networks=["10.0.0.0/8"])
    admin = stack.login(api.url, ADMIN)
    items = requests.get(f"{api.url}/v1/admin/personal-tokens", params={"user_name": user},
                         headers=stack.bearer(admin), timeout=10).json()["items"]
    [data] = [item["data"] for item in items if item["id"] == token["id"]]
    assert (data["scopes"], data["namespaces"], data["networks"]) == (["all:write"], ["spark-*"], ["10.0.0.0/8"])


def test_history_records_the_limits_of_create_and_refresh(api, access_token):
    old = created(api.url, access_token, scopes=["all:write"], namespaces=["spark-*"], networks=["10.0.0.0/8"])
    new = refresh(api.url, access_token, old["id"], namespaces=["spark-etl"]).json()
    # The refresh is in both tokens' histories: one record, by its id.
    events = list({e["id"]: e["data"] for token_id in (old["id"], new["id"])
                   for e in requests.get(f"{api.url}/v1/personal-tokens/{token_id}/events",
                                         headers=stack.bearer(access_token), timeout=10).json()["items"]}.values())
    [refreshed] = [e for e in events if e["event"] == "token.refreshed" and e["token_id"] == new["id"]]
    assert "scopes=all:write" in refreshed["detail"]
    assert "namespaces=spark-etl" in refreshed["detail"]
    assert "networks=10.0.0.0/8" in refreshed["detail"]
    [created_event] = [e for e in events if e["event"] == "token.created"]
    assert "namespaces=spark-*" in created_event["detail"]
