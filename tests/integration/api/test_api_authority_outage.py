"""The api when the token authority goes away and comes back (a real
authority stopped with SIGTERM, then restarted on the same port): answers
verified before keep working until their TTL, unknown tokens and token
management get 503 with Retry-After (fail closed), and everything is normal
again once the authority is back, without restarting the api."""
import pytest
import requests

import stack

TTL_SECONDS = 4
RETRY_AFTER = 3


def me(api, token):
    return requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(token), timeout=5)


def assert_unavailable(response):
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(RETRY_AFTER)
    assert response.json()["error"]["code"] == "service_unavailable"


@pytest.fixture(scope="module")
def outage(database):
    """An api whose authority is down; `seen` was verified before, `unseen` never."""
    port = stack.free_port()
    authority = stack.authority(database, port=port, verify_cache_ttl_seconds=TTL_SECONDS)
    with stack.api(authority.address, retry_after_seconds=RETRY_AFTER) as api:
        # Answers cached before the revocation stream opens are dropped when it does.
        assert stack.eventually(lambda: requests.get(f"{api.url}/monitoring/ready").status_code == 200)
        access = stack.login(api.url)
        seen = stack.create_token(api.url, access)["content"]
        unseen = stack.create_token(api.url, access)["content"]
        assert me(api, seen).status_code == 200
        authority.stop()
        yield {"api": api, "access": access, "seen": seen, "unseen": unseen, "port": port}


def test_token_verified_before_still_works(outage):
    assert me(outage["api"], outage["seen"]).status_code == 200


def test_unseen_token_is_503_with_retry_after(outage):
    assert_unavailable(me(outage["api"], outage["unseen"]))


def test_token_management_is_503_with_retry_after(outage):
    api, headers = outage["api"], stack.bearer(outage["access"])
    assert_unavailable(requests.post(f"{api.url}/v1/personal-tokens", json={"name": "x"}, headers=headers))
    assert_unavailable(requests.get(f"{api.url}/v1/personal-tokens", headers=headers))


def test_human_login_still_works(outage):
    assert stack.login(outage["api"].url)


def test_failed_rpcs_are_counted(outage):
    assert stack.metric(outage["api"].url, "tokengate_verify_rpc_errors_total") >= 1
    assert stack.metric(outage["api"].url, "tokengate_authority_rpc_errors_total",
                        {"method": "IssueToken", "code": "14"}) >= 1


def test_cached_answer_expires_after_its_ttl_and_fails_closed(outage):
    expired = stack.eventually(lambda: me(outage["api"], outage["seen"]).status_code == 503,
                               TTL_SECONDS + 2)
    assert expired, "a cached answer outlived its TTL while the authority was down"
    assert_unavailable(me(outage["api"], outage["seen"]))


def test_authority_back_means_normal_service_without_api_restart(database, outage):
    with stack.authority(database, port=outage["port"], verify_cache_ttl_seconds=TTL_SECONDS):
        api = outage["api"]
        back = stack.eventually(lambda: me(api, outage["unseen"]).status_code == 200, 20)
        assert back, "the api did not recover after the authority came back"
        assert me(api, outage["seen"]).status_code == 200
        assert stack.create_token(api.url, outage["access"])["content"]
        assert stack.eventually(
            lambda: stack.metric(api.url, "tokengate_revocation_watch_connected") == 1, 20)


def test_token_database_down_is_named_in_the_503(api, authority, database):
    """The authority is up but its database refuses it: the 503 says which part is down."""
    access = stack.login(api.url)
    unseen = stack.create_token(api.url, access)["content"]
    name = database.rsplit("/", 1)[1]
    stack.psql(stack.admin_url(), f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    stack.psql(stack.admin_url(), f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  f"WHERE datname = '{name}'")
    try:
        created = requests.post(f"{api.url}/v1/personal-tokens", json={"name": "x"},
                                headers=stack.bearer(access), timeout=10)
        verified = me(api, unseen)
    finally:
        stack.psql(stack.admin_url(), f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    for response in (created, verified):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["message"] == "The token database is unavailable, retry later"
