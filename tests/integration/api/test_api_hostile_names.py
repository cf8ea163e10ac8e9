"""Names that try to be something else, over real HTTP against a real
authority and PostgreSQL: a NUL that would make `victim\\0x` the victim, CR/LF
that would forge log lines, C1 controls. Each is refused with a 422 in
pydantic's shape (and INVALID_ARGUMENT on gRPC), and after a run full of
them every line of every process log is still one well-formed log line.
Also the per-owner limits: a cap on live tokens (409) and a creation rate
(429 with Retry-After)."""
import re
import uuid

import grpc
import pytest
import requests

import authority_grpc
import stack

ADMIN = "root-admin"
PATTERN = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
HOSTILE_USERS = ["victim\x00x", "eve\r\n2026-12-07T00:00:00.000Z INFO tokengate-api: admin revoked 42 tokens",
                 "eve\ninjected", "csi\x9b31m", "del\x7f"]
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) [\w.-]+: [^\x00-\x1f\x7f]*$")


@pytest.fixture(scope="module")
def authority(database):
    # Small limits, so the tests can reach them.
    with stack.authority(database, max_tokens_per_owner=3, max_token_creations_per_hour=5) as service:
        yield service


@pytest.fixture(scope="module")
def api(authority, database):
    with stack.api(authority.address, database_url=database, admin_users=ADMIN) as service:
        yield service


def login(api, user):
    return requests.post(f"{api.url}/v1/auth/token", data={"username": user, "password": "x"}, timeout=10)


def assert_pattern_mismatch(response, location, value):
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert details == [{"location": location, "code": "string_pattern_mismatch",
                        "message": f"String should match pattern '{PATTERN}'",
                        "context": {"pattern": PATTERN}, "input": value}], details


@pytest.mark.parametrize("hostile", HOSTILE_USERS)
def test_login_with_a_control_character_in_the_name_is_refused(api, hostile):
    assert_pattern_mismatch(login(api, hostile), ["body", "username"], hostile)


def test_a_nul_does_not_make_another_user_the_victim(api):
    victim = stack.login(api.url, "victim")
    victims_token = stack.create_token(api.url, victim, name="victims")
    response = login(api, "victim\x00x")
    assert response.status_code == 422
    assert "access_token" not in response.text
    listed = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(victim), timeout=10).json()
    assert [item["id"] for item in listed["items"]] == [victims_token["id"]]


@pytest.mark.parametrize("name", ["abc\x00def", "abc\r\ndef", "tab\there", "nel\x85"])
def test_a_token_name_with_a_control_character_is_refused(api, access_token, name):
    response = requests.post(f"{api.url}/v1/personal-tokens", json={"name": name},
                             headers=stack.bearer(access_token), timeout=10)
    assert_pattern_mismatch(response, ["body", "name"], name)
    listed = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(access_token), timeout=10)
    assert listed.json()["meta"]["total_count"] == 0


def test_grpc_refuses_control_characters_in_user_and_token_names(authority):
    stub = authority_grpc.stub(authority.address)
    for user, name, field in [("victim\x00x", "etl", "user_name"), ("alice", "abc\x00def", "name"),
                              ("eve\r\nforged", "etl", "user_name")]:
        with pytest.raises(grpc.RpcError) as refused:
            stub.IssueToken(authority_grpc.pb.IssueTokenRequest(user_name=user, name=name), timeout=5)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        trailers = dict(refused.value.trailing_metadata())
        assert trailers["tokengate-field"] == field
        assert trailers["tokengate-code"] == "string_pattern_mismatch"


def test_admin_acting_on_a_hostile_user_name_is_refused(api):
    admin = stack.login(api.url, ADMIN)
    response = requests.post(f"{api.url}/v1/admin/users/eve%0D%0AINFO%20forged/revoke-tokens",
                             headers=stack.bearer(admin), timeout=10)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["location"] == ["path", "user_name"]


def test_live_tokens_beyond_the_cap_are_a_conflict(api):
    access = stack.login(api.url, f"capped-{uuid.uuid4().hex[:8]}")
    ids = [stack.create_token(api.url, access, name=f"t{i}")["id"] for i in range(3)]
    response = requests.post(f"{api.url}/v1/personal-tokens", json={"name": "t3"},
                             headers=stack.bearer(access), timeout=10)
    assert response.status_code == 409, response.text
    assert response.json() == {"error": {
        "code": "conflict", "details": None,
        "message": "User may have at most 3 active personal tokens; revoke one before creating another"}}
    assert requests.delete(f"{api.url}/v1/personal-tokens/{ids[0]}", headers=stack.bearer(access),
                           timeout=10).status_code == 204
    stack.create_token(api.url, access, name="t3")


def test_creations_beyond_the_hourly_rate_are_429_with_retry_after(api):
    access = stack.login(api.url, f"rated-{uuid.uuid4().hex[:8]}")
    for i in range(5):
        created = stack.create_token(api.url, access, name=f"t{i % 2}")
        assert requests.delete(f"{api.url}/v1/personal-tokens/{created['id']}", headers=stack.bearer(access),
                               timeout=10).status_code == 204
    response = requests.post(f"{api.url}/v1/personal-tokens", json={"name": "one-more"},
                             headers=stack.bearer(access), timeout=10)
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "too_many_requests"
    assert "at most 5 per hour" in response.json()["error"]["message"]
    assert 3500 < int(response.headers["Retry-After"]) <= 3600


def test_every_log_line_is_one_well_formed_record(api, authority):
    # Runs last in this module: the hostile names above have all been tried.
    stub = authority_grpc.stub(authority.address)
    for user in HOSTILE_USERS:
        login(api, user)
        try:
            stub.ListTokens(authority_grpc.pb.ListTokensRequest(user_name=user), timeout=5)
        except grpc.RpcError:
            pass  # Refused (the other tests say so); only the logs matter here.
    for service in (api, authority):
        lines = service.log().split("\n")
        assert lines[-1] == "", "the log ends with a complete line"
        bad = [line for line in lines[:-1] if not LOG_LINE.match(line)]
        assert not bad, f"{service.program}: lines that are not one log record: {bad}"
        forged = [line for line in lines if line.endswith(": admin revoked 42 tokens")]
        assert not forged, f"{service.program}: a forged record: {forged}"
