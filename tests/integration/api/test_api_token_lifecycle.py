"""The seed's story end to end over real HTTP, with two api processes on one
authority: log in → create → use → refresh (old content 401, new 200) →
revoke (401 within 1 s on the other api too, through WatchRevocations), and
with the watch stream off, revocation still lands within the cache TTL."""
import time

import pytest
import requests

import stack


def me(api, token):
    return requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(token), timeout=5)


def wait_until_unauthorized(api, token, timeout):
    """Seconds until `token` gets 401 on `api`, or None if it never did within `timeout`."""
    start = time.monotonic()
    if stack.eventually(lambda: me(api, token).status_code == 401, timeout, interval=0.01):
        return time.monotonic() - start
    return None


def watching(api):
    return stack.eventually(lambda: stack.metric(api.url, "tokengate_revocation_watch_connected") == 1, 10)


@pytest.fixture(scope="module")
def second_api(authority):
    with stack.api(authority.address) as service:
        yield service


def test_seed_story_across_two_api_processes(api, second_api, user):
    assert watching(api) and watching(second_api)
    access = stack.login(api.url, user)
    created = stack.create_token(api.url, access, name="seed")
    old = created["content"]
    for edge in (api, second_api):
        response = me(edge, old)
        assert response.status_code == 200 and response.json() == {"name": user}

    refreshed = requests.patch(f"{api.url}/v1/personal-tokens/{created['id']}", json={},
                               headers=stack.bearer(access))
    assert refreshed.status_code == 200
    new = refreshed.json()["content"]
    assert me(api, old).status_code == 401
    assert me(api, new).status_code == 200
    took = wait_until_unauthorized(second_api, old, 1.0)
    assert took is not None, "the other api still accepts the refreshed token after 1 s"
    assert me(second_api, new).status_code == 200

    revoked = requests.delete(f"{api.url}/v1/personal-tokens/{refreshed.json()['id']}",
                              headers=stack.bearer(access))
    assert revoked.status_code == 204
    assert me(api, new).status_code == 401
    took = wait_until_unauthorized(second_api, new, 1.0)
    assert took is not None, "the other api still accepts the revoked token after 1 s"


def test_revoked_token_reason_says_revoked(api, access_token):
    token = stack.create_token(api.url, access_token, name="gone")
    assert me(api, token["content"]).status_code == 200
    requests.delete(f"{api.url}/v1/personal-tokens/{token['id']}", headers=stack.bearer(access_token))
    response = me(api, token["content"])
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["details"]
    assert token["content"] not in response.text


def test_revocation_on_an_api_that_never_saw_the_token_is_immediate(api, second_api, access_token):
    token = stack.create_token(api.url, access_token)
    requests.delete(f"{api.url}/v1/personal-tokens/{token['id']}", headers=stack.bearer(access_token))
    assert me(second_api, token["content"]).status_code == 401


def test_without_the_watch_stream_revocation_lands_within_the_cache_ttl(database):
    ttl = 2
    with stack.authority(database, verify_cache_ttl_seconds=ttl) as authority, \
            stack.api(authority.address) as manager, \
            stack.api(authority.address, revocation_watch_enabled=False) as deaf:
        assert stack.metric(deaf.url, "tokengate_revocation_watch_connected") == 0
        access = stack.login(manager.url)
        token = stack.create_token(manager.url, access)
        assert me(deaf, token["content"]).status_code == 200
        assert requests.delete(f"{manager.url}/v1/personal-tokens/{token['id']}",
                               headers=stack.bearer(access)).status_code == 204
        # Still served from the deaf api's cache: nothing told it.
        assert me(deaf, token["content"]).status_code == 200
        took = wait_until_unauthorized(deaf, token["content"], ttl + 1.0)
        assert took is not None, f"revoked token still accepted {ttl + 1} s later without the watch"
