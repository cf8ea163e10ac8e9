"""Human login over real HTTP: POST /v1/auth/token (form), the HttpOnly
cookie, logout, GET /v1/users/me with each kind of credential, and 401s with
WWW-Authenticate for missing or bad credentials."""
import time

import requests

import stack


def test_login_answers_a_bearer_access_token_with_expiry(api):
    before = int(time.time())
    response = requests.post(f"{api.url}/v1/auth/token", data={"username": "alice", "password": "x"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_at"}
    assert body["access_token"].startswith("access_token_")
    assert body["token_type"] == "bearer"
    assert before + 36000 <= body["expires_at"] <= int(time.time()) + 36000


def test_login_sets_the_access_token_as_an_http_only_cookie(api):
    response = requests.post(f"{api.url}/v1/auth/token", data={"username": "alice", "password": "x"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"tokengate_session={response.json()['access_token']};")
    attributes = [part.strip() for part in cookie.split(";")]
    assert "HttpOnly" in attributes
    assert "Path=/" in attributes
    assert "Max-Age=36000" in attributes


def test_the_login_cookie_authenticates_a_browser_session(api):
    session = requests.Session()
    assert session.post(f"{api.url}/v1/auth/token", data={"username": "carol", "password": "x"}).ok
    response = session.get(f"{api.url}/v1/users/me")
    assert response.status_code == 200
    assert response.json() == {"name": "carol"}


def test_logout_clears_the_cookie(api):
    response = requests.post(f"{api.url}/v1/auth/logout")
    assert response.status_code == 204
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("tokengate_session=;")
    assert "Max-Age=0" in [part.strip() for part in cookie.split(";")]


def test_users_me_names_the_access_token_user(api, user, access_token):
    response = requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(access_token))
    assert response.status_code == 200
    assert response.json() == {"name": user}


def test_users_me_names_the_personal_token_user(api, user, access_token):
    token = stack.create_token(api.url, access_token)["content"]
    response = requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(token))
    assert response.status_code == 200
    assert response.json() == {"name": user}


def test_login_without_username_is_422_naming_the_field(api):
    response = requests.post(f"{api.url}/v1/auth/token", data={"password": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["details"] == [{"location": ["body", "username"], "code": "missing",
                                 "message": "Field required", "context": {}, "input": None}]


def test_login_with_another_grant_type_is_422(api):
    response = requests.post(f"{api.url}/v1/auth/token",
                             data={"username": "a", "password": "b", "grant_type": "client_credentials"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["location"] == ["body", "grant_type"]


def test_missing_credentials_are_401_with_www_authenticate(api):
    response = requests.get(f"{api.url}/v1/users/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"error": {"code": "unauthorized", "message": "Missing Authorization header",
                                         "details": None}}


def test_tampered_access_token_is_401(api, access_token):
    forged = access_token[:-2] + ("AA" if not access_token.endswith("AA") else "BB")
    response = requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(forged))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["message"] == "Invalid token"
    assert response.json()["error"]["details"] == "Signature verification failed"


def test_access_token_of_an_api_with_another_key_is_401(api, authority):
    with stack.api(authority.address, access_token_secret="another-api-secret-0123456789-0123456789") as other:
        foreign = stack.login(other.url)
    response = requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(foreign))
    assert response.status_code == 401
    assert response.json()["error"]["details"] == "Signature verification failed"


def test_non_bearer_authorization_is_401(api):
    response = requests.get(f"{api.url}/v1/users/me", headers={"Authorization": "Basic YTpi"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["message"] == "Missing Authorization header"


def test_unknown_token_type_is_401(api):
    response = requests.get(f"{api.url}/v1/users/me", headers=stack.bearer("github_pat_123"))
    assert response.status_code == 401
    assert response.json()["error"]["details"] == "PersonalToken was passed but access token was expected"


def test_garbage_personal_token_is_401_with_the_authority_reason(api):
    response = requests.get(f"{api.url}/v1/users/me", headers=stack.bearer("personal_token_a.b.c"))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid token"
    assert response.json()["error"]["details"]
    assert "personal_token_a.b.c" not in response.text


def test_header_names_are_case_insensitive(api, user, access_token):
    token = stack.create_token(api.url, access_token)["content"]
    response = requests.get(f"{api.url}/v1/users/me", headers={"authorization": f"bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"name": user}


def test_tampered_cookie_is_401(api):
    response = requests.get(f"{api.url}/v1/users/me", cookies={"tokengate_session": "access_token_e30.AAAA"})
    assert response.status_code == 401
    assert response.json()["error"]["details"] == "Signature verification failed"


def test_bearer_header_wins_over_the_cookie(api, access_token):
    response = requests.get(f"{api.url}/v1/users/me", headers=stack.bearer("personal_token_x.y.z"),
                            cookies={"tokengate_session": access_token})
    assert response.status_code == 401
