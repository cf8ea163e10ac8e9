"""Answers that carry a secret (a token's content, a login's access token and
session cookie) tell every cache, the browser's included, to keep no copy:
`Cache-Control: no-store` and, for HTTP/1.0 caches, `Pragma: no-cache`.
(The OpenID Connect callback, which sets the session cookie, is checked
against a real Keycloak in tests/e2e/keycloak/test_keycloak_login.py.)"""
import requests

import stack


def assert_not_stored(response):
    assert response.status_code == 200, response.text
    assert response.headers.get("Cache-Control") == "no-store"
    assert response.headers.get("Pragma") == "no-cache"


def test_login_answer_is_not_stored(api, user):
    response = requests.post(f"{api.url}/v1/auth/token", data={"username": user, "password": "x"})
    assert "access_token" in response.json()
    assert_not_stored(response)


def test_created_token_answer_is_not_stored(api, access_token):
    response = requests.post(f"{api.url}/v1/personal-tokens", json={"name": "cached?"},
                             headers=stack.bearer(access_token))
    assert response.json()["content"].startswith("personal_token_")
    assert_not_stored(response)


def test_refreshed_token_answer_is_not_stored(api, access_token):
    token = stack.create_token(api.url, access_token)
    response = requests.patch(f"{api.url}/v1/personal-tokens/{token['id']}", json={},
                              headers=stack.bearer(access_token))
    assert response.json()["content"].startswith("personal_token_")
    assert_not_stored(response)
