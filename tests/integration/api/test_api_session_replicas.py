"""Browser sessions that any api replica serves: two api processes on one
database (as the chart runs them behind a Service without affinity), with a
stand-in OpenID Connect provider. A login started on one replica finishes on
the other; the session works on both, survives a restart of the replica that
made it, and a logout through one ends it on the other at once. The session
table holds neither the cookie nor the provider's tokens."""
import time

import pytest
import requests

import stack
from stand_in_idp import StandInIdp

SESSION_SECRET = "test-session-secret-0123456789-abcdefgh"
CLIENT_SECRET = "client-secret"


@pytest.fixture(scope="module")
def idp():
    provider = StandInIdp(client_secret=CLIENT_SECRET)
    yield provider
    provider.close()


class Replicas:
    """Api processes on fixed ports (chosen free), so one can restart on its
    own port; the callback is on the second, so a login crosses replicas."""

    def __init__(self, authority, database, idp):
        self.ports = [stack.free_port(), stack.free_port()]
        self.env = stack.env_of({
            "authority_address": authority.address, "database_url": database, "http_threads": 8,
            "auth_provider": "keycloak", "keycloak_server_url": idp.url, "keycloak_realm": "tokengate",
            "oidc_client_id": "tokengate", "oidc_client_secret": CLIENT_SECRET,
            "oidc_redirect_uri": f"http://127.0.0.1:{self.ports[1]}/v1/auth/callback",
            "session_secret": SESSION_SECRET})
        self.services = [self.start(i) for i in range(2)]

    def start(self, index):
        env = {**self.env, "TOKENGATE_HTTP_LISTEN": f"127.0.0.1:{self.ports[index]}"}
        return stack.Service("tokengate-api", env).start()

    def url(self, index):
        return f"http://127.0.0.1:{self.ports[index]}"

    def restart(self, index):
        self.services[index].stop()
        self.services[index] = self.start(index)

    def stop(self):
        for service in self.services:
            service.stop()


@pytest.fixture
def replicas(authority, database, idp):
    group = Replicas(authority, database, idp)
    yield group
    group.stop()


def log_in(replicas, first, user):
    """A browser (cookie jar) logged in as `user`: the login starts on replica `first`."""
    browser = requests.Session()
    start = browser.get(f"{replicas.url(first)}/v1/auth/login", params={"next": "/"}, allow_redirects=False)
    assert start.status_code == 302, start.text
    at_idp = browser.get(start.headers["Location"], allow_redirects=False)
    assert at_idp.status_code == 302, at_idp.text
    callback = browser.get(at_idp.headers["Location"], allow_redirects=False)
    assert callback.status_code == 302, callback.text
    assert browser.cookies.get("tokengate_session"), "no session cookie after the callback"
    return browser


def me(replicas, index, browser):
    return browser.get(f"{replicas.url(index)}/v1/users/me", timeout=10)


def test_a_login_started_on_one_replica_finishes_on_the_other_and_works_on_both(replicas, idp):
    idp.user = "alice"
    browser = log_in(replicas, 0, "alice")
    for index in (0, 1):
        answer = me(replicas, index, browser)
        assert answer.status_code == 200, (index, answer.text)
        assert answer.json()["name"] == "alice"


def test_the_session_survives_a_restart_of_every_replica(replicas, idp):
    idp.user = "bob"
    browser = log_in(replicas, 0, "bob")
    replicas.restart(0)
    replicas.restart(1)
    for index in (0, 1):
        assert me(replicas, index, browser).status_code == 200, index


def test_logout_through_one_replica_ends_the_session_on_the_other_at_once(replicas, idp):
    idp.user = "carol"
    browser = log_in(replicas, 1, "carol")
    cookie = browser.cookies.get("tokengate_session")
    assert me(replicas, 0, browser).status_code == 200
    logout = browser.get(f"{replicas.url(1)}/v1/auth/logout", allow_redirects=False, timeout=10)
    assert logout.status_code == 302, logout.text
    ended = time.monotonic()
    # The browser dropped its cookie; a copy of it (a stolen one) must be worthless on the other replica.
    answer = requests.get(f"{replicas.url(0)}/v1/users/me", cookies={"tokengate_session": cookie}, timeout=10)
    assert answer.status_code == 401, answer.text
    assert time.monotonic() - ended < 1.0


def test_the_session_table_holds_neither_the_cookie_nor_the_idp_tokens(replicas, idp, database):
    idp.user = "dave"
    browser = log_in(replicas, 0, "dave")
    cookie = browser.cookies.get("tokengate_session")
    rows = stack.psql(database, "SELECT string_agg(session::text, ' ') FROM session WHERE user_name = 'dave'")
    assert "dave" in rows, rows
    assert cookie not in rows
    for refresh_token in list(idp.refresh_tokens):
        assert refresh_token not in rows


def test_a_replica_with_another_session_secret_does_not_serve_the_session(replicas, idp, authority, database):
    idp.user = "erin"
    browser = log_in(replicas, 0, "erin")
    env = {**replicas.env, "TOKENGATE_HTTP_LISTEN": "127.0.0.1:0",
           "TOKENGATE_SESSION_SECRET": "another-session-secret-0123456789-abcdef"}
    with stack.Service("tokengate-api", env).start() as stranger:
        answer = browser.get(f"{stranger.url}/v1/users/me", timeout=10)
        assert answer.status_code == 401, answer.text
        assert "TOKENGATE_SESSION_SECRET" in stranger.log()
