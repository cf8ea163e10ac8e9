"""No open door: the api starts only with a login provider it was told to
use, refuses the dummy provider on a non-loopback address unless explicitly
allowed (one line, exit code 2), and with an OpenID Connect provider that is
down still starts, answers logins with 503, sends browsers without a session
from the page to the login and tells API callers where to log in. (Logins against a real Keycloak: tests/e2e/keycloak.)"""
import pytest
import requests

import stack


def start_api(authority, **settings):
    env = stack.env_of({"authority_address": authority.address, "http_listen": "127.0.0.1:0",
                        "access_token_secret": stack.API_SECRET, **settings})
    return stack.Service("tokengate-api", env)


def refused(service):
    """Starts `service`, expects exit code 2; returns its single output line."""
    with pytest.raises(AssertionError, match="did not start"):
        service.start(timeout=5)
    assert service.process.returncode == 2
    lines = service.log().strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def keycloak_settings(database, **overrides):
    return {"auth_provider": "keycloak", "database_url": database,
            "keycloak_server_url": f"http://127.0.0.1:{stack.free_port()}", "keycloak_realm": "tokengate", "oidc_client_id": "tokengate",
            "oidc_client_secret": "client-secret", "oidc_redirect_uri": "http://127.0.0.1:1/v1/auth/callback",
            **overrides}


def test_no_provider_is_refused(authority):
    line = refused(start_api(authority))
    assert line == ("invalid configuration: TOKENGATE_AUTH_PROVIDER: must be set: keycloak or oidc "
                    "(real logins), or dummy (any user, local use only)")


def test_unknown_provider_is_refused(authority):
    assert "known providers: keycloak, oidc, dummy" in refused(start_api(authority, auth_provider="ldap"))


def test_dummy_on_all_interfaces_is_refused(authority):
    line = refused(start_api(authority, auth_provider="dummy", http_listen="0.0.0.0:0"))
    assert line.startswith("invalid configuration: TOKENGATE_AUTH_PROVIDER: dummy lets anyone log in as anyone")
    assert "TOKENGATE_AUTH_ALLOW_DUMMY=true" in line


def test_bad_trusted_proxies_are_refused_naming_the_entry(authority):
    line = refused(start_api(authority, auth_provider="dummy", trusted_proxies="10.0.0.0/8, 10.1.0.0/33"))
    assert line == ("invalid configuration: TOKENGATE_TRUSTED_PROXIES: '10.1.0.0/33' has a bad prefix length")


def test_admin_users_are_refused_with_a_real_identity_provider(authority, database):
    line = refused(start_api(authority, **keycloak_settings(database, admin_users="alice")))
    assert line.startswith("invalid configuration: TOKENGATE_ADMIN_USERS: is for the dummy provider")


def test_an_empty_admin_claim_is_refused(authority, database):
    line = refused(start_api(authority, **keycloak_settings(database, admin_claim="")))
    assert line.startswith("invalid configuration: TOKENGATE_ADMIN_CLAIM: must be set")


def test_dummy_on_all_interfaces_starts_when_allowed_and_warns(authority):
    with start_api(authority, auth_provider="dummy", http_listen="0.0.0.0:0", auth_allow_dummy=True).start() as api:
        assert "DANGER: the dummy auth provider lets ANYONE" in api.log()
        assert requests.post(f"{api.url}/v1/auth/token", data={"username": "a", "password": "b"}).ok


@pytest.mark.parametrize("missing, variable", [
    ("keycloak_server_url", "TOKENGATE_KEYCLOAK_SERVER_URL"),
    ("keycloak_realm", "TOKENGATE_KEYCLOAK_REALM"),
    ("oidc_client_id", "TOKENGATE_OIDC_CLIENT_ID"),
    ("oidc_client_secret", "TOKENGATE_OIDC_CLIENT_SECRET"),
    ("oidc_redirect_uri", "TOKENGATE_OIDC_REDIRECT_URI"),
    # Browser sessions live in PostgreSQL, so every replica serves every browser.
    ("database_url", "TOKENGATE_DATABASE_URL"),
])
def test_keycloak_without_a_setting_is_refused(authority, database, missing, variable):
    settings = keycloak_settings(database)
    del settings[missing]
    assert refused(start_api(authority, **settings)).startswith(f"invalid configuration: {variable}: ")


def test_redirect_uri_must_be_the_callback(authority, database):
    line = refused(start_api(authority, **keycloak_settings(database, oidc_redirect_uri="https://x.test/login")))
    assert "TOKENGATE_OIDC_REDIRECT_URI: must be the http(s) URL of this api's /v1/auth/callback" in line


def test_scope_without_openid_is_refused(authority, database):
    line = refused(start_api(authority, **keycloak_settings(database, oidc_scope="profile")))
    assert "must include openid" in line


def test_client_secret_is_never_logged(authority, database, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("very-secret-client-secret\n")
    settings = keycloak_settings(database)
    del settings["oidc_client_secret"]
    with start_api(authority, **settings, TOKENGATE_OIDC_CLIENT_SECRET_FILE=secret_file).start() as api:
        assert "TOKENGATE_OIDC_CLIENT_SECRET=<set>" in api.log()
        assert "very-secret" not in api.log()


def test_with_the_idp_down_logins_answer_503_and_the_api_still_serves(authority, database):
    with start_api(authority, **keycloak_settings(database)).start() as api:
        assert "identity provider not reachable yet" in api.log()
        login = requests.get(f"{api.url}/v1/auth/login", allow_redirects=False)
        assert login.status_code == 503
        assert login.headers["Retry-After"]
        assert "Identity provider is unavailable" in login.json()["error"]["message"]
        assert requests.get(f"{api.url}/monitoring/ping").ok


def test_browsers_without_a_session_are_told_where_to_log_in(authority, database):
    with start_api(authority, **keycloak_settings(database)).start() as api:
        page = requests.get(f"{api.url}/", allow_redirects=False)
        assert page.status_code == 302
        assert page.headers["Location"] == "/v1/auth/login?next=%2F"
        response = requests.get(f"{api.url}/v1/users/me")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"]["details"] == {"login_url": "/v1/auth/login"}
        unknown = requests.get(f"{api.url}/v1/users/me", cookies={"tokengate_session": "made-up"})
        assert unknown.status_code == 401
        assert unknown.json()["error"]["details"] == {"login_url": "/v1/auth/login"}


def test_password_login_and_dummy_access_tokens_are_off_with_oidc(authority, database):
    with stack.api(authority.address) as dummy:
        dummy_token = stack.login(dummy.url)
    with start_api(authority, **keycloak_settings(database)).start() as api:
        response = requests.post(f"{api.url}/v1/auth/token", data={"username": "alice", "password": "x"})
        assert response.status_code == 400
        assert "/v1/auth/login" in response.json()["error"]["message"]
        assert requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(dummy_token)).status_code == 401


def test_callback_without_the_state_cookie_is_refused(authority, database):
    with start_api(authority, **keycloak_settings(database)).start() as api:
        response = requests.get(f"{api.url}/v1/auth/callback", params={"code": "c", "state": "s"})
        assert response.status_code == 401
        assert "does not match this browser" in response.json()["error"]["details"]
        assert requests.get(f"{api.url}/v1/auth/callback").status_code == 400
        denied = requests.get(f"{api.url}/v1/auth/callback", params={"error": "access_denied", "state": "s"})
        assert denied.status_code == 401
