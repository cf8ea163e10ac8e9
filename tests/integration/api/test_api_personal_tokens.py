"""Personal-token management over real HTTP, forwarded to a real authority:
response shapes (Data.Rentgen's), paging, and every validation and error
answer of docs/design.md §6 with its status code and details."""
import datetime
import re
import uuid

import pytest
import requests

import stack

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def create(api, access_token, **body):
    return requests.post(f"{api.url}/v1/personal-tokens", json=body, headers=stack.bearer(access_token))


def details(response):
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    return [(tuple(d["location"]), d["code"]) for d in error["details"]]


# --- shapes -------------------------------------------------------------------

def test_create_answers_id_data_and_content_once(api, access_token):
    response = create(api, access_token, name="etl", until=str(today() + datetime.timedelta(days=30)))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "data", "content"}
    assert UUID_RE.match(body["id"])
    assert body["data"] == {"id": body["id"], "name": "etl", "scopes": ["all:read", "all:write"],
                            "since": str(today()), "until": str(today() + datetime.timedelta(days=30)),
                            "last_used_at": None}
    assert body["content"].startswith("personal_token_")


def test_create_without_until_gets_the_maximum(api, access_token):
    body = create(api, access_token, name="default-until").json()
    assert body["data"]["until"] == str(today() + datetime.timedelta(days=366))


def test_list_pages_with_data_rentgen_meta(api, access_token):
    ids = [stack.create_token(api.url, access_token, name=f"t{i}")["id"] for i in range(3)]
    response = requests.get(f"{api.url}/v1/personal-tokens", params={"page": 1, "page_size": 2},
                            headers=stack.bearer(access_token))
    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"page": 1, "page_size": 2, "total_count": 3, "pages_count": 2,
                            "has_next": True, "has_previous": False, "next_page": 2, "previous_page": None}
    assert [item["id"] for item in body["items"]] == ids[:2]  # By name: t0, t1, t2.
    assert set(body["items"][0]) == {"id", "data"}
    assert set(body["items"][0]["data"]) == {"id", "name", "scopes", "since", "until", "last_used_at"}
    assert "content" not in response.text

    second = requests.get(f"{api.url}/v1/personal-tokens", params={"page": 2, "page_size": 2},
                          headers=stack.bearer(access_token)).json()
    assert second["meta"]["has_previous"] and second["meta"]["previous_page"] == 1
    assert not second["meta"]["has_next"] and second["meta"]["next_page"] is None
    assert [item["id"] for item in second["items"]] == ids[2:]


def test_list_filters_by_personal_token_id(api, access_token):
    wanted = stack.create_token(api.url, access_token)["id"]
    stack.create_token(api.url, access_token)
    body = requests.get(f"{api.url}/v1/personal-tokens", params={"personal_token_id": wanted},
                        headers=stack.bearer(access_token)).json()
    assert [item["id"] for item in body["items"]] == [wanted]


def test_list_of_a_new_user_is_empty(api, access_token):
    body = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(access_token)).json()
    assert body["items"] == []
    assert body["meta"]["total_count"] == 0 and body["meta"]["page_size"] == 20


def test_list_accepts_a_personal_token(api, access_token):
    token = stack.create_token(api.url, access_token)
    response = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(token["content"]))
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [token["id"]]


def test_users_see_only_their_own_tokens(api, access_token):
    stack.create_token(api.url, access_token)
    other = stack.login(api.url, f"other-{uuid.uuid4().hex[:8]}")
    body = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(other)).json()
    assert body["items"] == []


def test_refresh_answers_a_new_id_same_name_and_new_until(api, access_token):
    old = stack.create_token(api.url, access_token, name="to-refresh")
    until = str(today() + datetime.timedelta(days=10))
    response = requests.patch(f"{api.url}/v1/personal-tokens/{old['id']}", json={"until": until},
                              headers=stack.bearer(access_token))
    assert response.status_code == 200
    new = response.json()
    assert new["id"] != old["id"]
    assert new["data"]["name"] == "to-refresh" and new["data"]["until"] == until
    assert new["content"].startswith("personal_token_") and new["content"] != old["content"]


def test_refresh_with_empty_object_extends_to_the_maximum(api, access_token):
    old = stack.create_token(api.url, access_token, until=str(today() + datetime.timedelta(days=2)))
    response = requests.patch(f"{api.url}/v1/personal-tokens/{old['id']}", json={},
                              headers=stack.bearer(access_token))
    assert response.status_code == 200
    assert response.json()["data"]["until"] == str(today() + datetime.timedelta(days=366))


def test_refresh_without_body_is_422_as_in_data_rentgen(api, access_token):
    old = stack.create_token(api.url, access_token)
    response = requests.patch(f"{api.url}/v1/personal-tokens/{old['id']}", headers=stack.bearer(access_token))
    assert response.json()["error"]["details"] == [
        {"location": ["body"], "code": "missing", "message": "Field required", "context": {}, "input": None}]


def test_revoke_is_204_and_removes_the_token_from_the_list(api, access_token):
    token = stack.create_token(api.url, access_token)
    response = requests.delete(f"{api.url}/v1/personal-tokens/{token['id']}", headers=stack.bearer(access_token))
    assert response.status_code == 204
    assert response.content == b""
    listed = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(access_token)).json()
    assert token["id"] not in [item["id"] for item in listed["items"]]


# --- human login required -----------------------------------------------------

@pytest.mark.parametrize("method", ["create", "refresh", "revoke"])
def test_personal_token_cannot_manage_tokens(api, access_token, method):
    token = stack.create_token(api.url, access_token)
    headers = stack.bearer(token["content"])
    url = f"{api.url}/v1/personal-tokens"
    response = {
        "create": lambda: requests.post(url, json={"name": "x"}, headers=headers),
        "refresh": lambda: requests.patch(f"{url}/{token['id']}", json={}, headers=headers),
        "revoke": lambda: requests.delete(f"{url}/{token['id']}", headers=headers),
    }[method]()
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.json()["error"]["message"] == "Invalid token"


def test_management_without_credentials_is_401(api):
    response = requests.post(f"{api.url}/v1/personal-tokens", json={"name": "x"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


# --- validation (422) ---------------------------------------------------------

@pytest.mark.parametrize("params,expected", [
    ({"page": 0}, [(("query", "page"), "greater_than")]),
    ({"page": "abc"}, [(("query", "page"), "int_parsing")]),
    ({"page_size": 0}, [(("query", "page_size"), "greater_than")]),
    ({"page_size": 51}, [(("query", "page_size"), "less_than_equal")]),
    ({"personal_token_id": "not-a-uuid"}, [(("query", "personal_token_id", 0), "uuid_parsing")]),
])
def test_list_rejects_bad_query(api, access_token, params, expected):
    response = requests.get(f"{api.url}/v1/personal-tokens", params=params, headers=stack.bearer(access_token))
    assert details(response) == expected


def test_list_ignores_unknown_query_parameters_as_data_rentgen_does(api, access_token):
    response = requests.get(f"{api.url}/v1/personal-tokens", params={"search_query": "x"},
                            headers=stack.bearer(access_token))
    assert response.status_code == 200


def test_page_size_limit_message_names_the_maximum(api, access_token):
    response = requests.get(f"{api.url}/v1/personal-tokens", params={"page_size": 51},
                            headers=stack.bearer(access_token))
    assert response.json()["error"]["details"][0]["message"] == "Input should be less than or equal to 50"


def test_page_size_fifty_is_allowed(api, access_token):
    response = requests.get(f"{api.url}/v1/personal-tokens", params={"page_size": 50},
                            headers=stack.bearer(access_token))
    assert response.status_code == 200


@pytest.mark.parametrize("body,expected", [
    ({}, [(("body", "name"), "missing")]),
    ({"name": ""}, [(("body", "name"), "string_too_short")]),
    ({"name": "x" * 65}, [(("body", "name"), "string_too_long")]),
    ({"name": 5}, [(("body", "name"), "string_type")]),
    ({"name": "ok", "owner": "someone"}, [(("body", "owner"), "extra_forbidden")]),
    ({"name": "ok", "until": "31.12.2030"}, [(("body", "until"), "date_from_datetime_parsing")]),
    ({"name": "ok", "until": 20301231}, [(("body", "until"), "date_from_datetime_inexact")]),
    ({"name": "ok", "until": True}, [(("body", "until"), "date_type")]),
])
def test_create_rejects_bad_body(api, access_token, body, expected):
    assert details(create(api, access_token, **body)) == expected


def test_name_of_sixty_four_characters_is_allowed(api, access_token):
    assert create(api, access_token, name="é" * 64).status_code == 200


def test_create_rejects_non_json_body(api, access_token):
    response = requests.post(f"{api.url}/v1/personal-tokens", data="name=etl",
                             headers=stack.bearer(access_token))
    assert details(response) == [(("body",), "json_invalid")]


def test_create_rejects_non_object_body(api, access_token):
    response = requests.post(f"{api.url}/v1/personal-tokens", json=["etl"], headers=stack.bearer(access_token))
    assert details(response) == [(("body",), "model_attributes_type")]


@pytest.mark.parametrize("days", [0, -1])
def test_until_not_in_the_future_is_date_future(api, access_token, days):
    response = create(api, access_token, name="past", until=str(today() + datetime.timedelta(days=days)))
    assert details(response) == [(("body", "until"), "date_future")]


def test_until_beyond_the_maximum_is_less_than_equal_naming_the_max_date(api, access_token):
    response = create(api, access_token, name="far", until=str(today() + datetime.timedelta(days=367)))
    assert details(response) == [(("body", "until"), "less_than_equal")]
    max_day = str(today() + datetime.timedelta(days=366))
    assert response.json()["error"]["details"][0]["message"] == f"Input should be less than or equal to {max_day}"


def test_refresh_until_beyond_the_maximum_is_422(api, access_token):
    token = stack.create_token(api.url, access_token)
    response = requests.patch(f"{api.url}/v1/personal-tokens/{token['id']}",
                              json={"until": str(today() + datetime.timedelta(days=400))},
                              headers=stack.bearer(access_token))
    assert details(response) == [(("body", "until"), "less_than_equal")]


def test_refresh_rejects_unknown_body_field(api, access_token):
    token = stack.create_token(api.url, access_token)
    response = requests.patch(f"{api.url}/v1/personal-tokens/{token['id']}", json={"name": "new"},
                              headers=stack.bearer(access_token))
    assert details(response) == [(("body", "name"), "extra_forbidden")]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_bad_uuid_in_path_is_422(api, access_token, method):
    response = getattr(requests, method)(f"{api.url}/v1/personal-tokens/not-a-uuid", json={},
                                         headers=stack.bearer(access_token))
    assert details(response) == [(("path", "token_id"), "uuid_parsing")]


# --- conflicts and missing tokens ---------------------------------------------

def test_duplicate_live_name_is_409(api, access_token):
    stack.create_token(api.url, access_token, name="twice")
    response = create(api, access_token, name="twice")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict", "message": "PersonalToken with name='twice' already exists",
        "details": {"entity_type": "PersonalToken", "field": "name", "value": "twice"}}


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_unknown_token_id_is_404(api, access_token, method):
    token_id = str(uuid.uuid4())
    response = getattr(requests, method)(f"{api.url}/v1/personal-tokens/{token_id}", json={},
                                         headers=stack.bearer(access_token))
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found", "message": f"PersonalToken with id='{token_id}' not found",
        "details": {"entity_type": "PersonalToken", "field": "id", "value": token_id}}


def test_another_users_token_is_404(api, access_token):
    token = stack.create_token(api.url, access_token)
    other = stack.login(api.url, f"other-{uuid.uuid4().hex[:8]}")
    response = requests.delete(f"{api.url}/v1/personal-tokens/{token['id']}", headers=stack.bearer(other))
    assert response.status_code == 404


def test_disabled_personal_tokens_answer_as_data_rentgen(database):
    """Data.Rentgen's shapes: creating (and refreshing) is an action not
    allowed; a personal token is refused naming the reason, with no details;
    a login still lists and revokes."""
    with stack.authority(database) as authority, stack.api(authority.address) as api:
        access_token = stack.login(api.url)
        token = stack.create_token(api.url, access_token)
    with stack.authority(database, personal_tokens_enabled=False) as authority, \
            stack.api(authority.address) as api:
        access_token = stack.login(api.url)
        for response in (create(api, access_token, name="nope"),
                         requests.patch(f"{api.url}/v1/personal-tokens/{token['id']}", json={},
                                        headers=stack.bearer(access_token))):
            assert response.status_code == 403
            assert response.json() == {"error": {"code": "forbidden", "message": "Action not allowed",
                                                 "details": "Authentication using PersonalTokens is disabled"}}
        for content in (token["content"], "personal_token_not.even.one"):
            response = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(content))
            assert response.status_code == 401
            assert response.json() == {"error": {"code": "unauthorized",
                                                 "message": "Authentication using PersonalTokens is disabled",
                                                 "details": None}}
        listed = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(access_token))
        assert [item["id"] for item in listed.json()["items"]] == [token["id"]]
        unknown = requests.patch(f"{api.url}/v1/personal-tokens/{uuid.uuid4()}", json={},
                                 headers=stack.bearer(access_token))
        assert unknown.status_code == 404  # Data.Rentgen looks the token up first.
        revoked = requests.delete(f"{api.url}/v1/personal-tokens/{token['id']}", headers=stack.bearer(access_token))
        assert revoked.status_code == 204
