"""Human login against a real Keycloak (deploy/local/keycloak.sh, the realm
of deploy/keycloak/), the real api, authority and PostgreSQL. Keycloak
starts once for the whole file; tests run in file order and the last one
stops it. Browsers are Chromium (the first test, Keycloak's own form) or
`requests` posting Keycloak's form like a browser would."""
import base64
import collections
import html
import json
import os
import pathlib
import re
import subprocess
import tempfile
import time

import pytest
import requests

import stack

ROOT = pathlib.Path(__file__).resolve().parents[3]
KEYCLOAK_SH = ROOT / "deploy/local/keycloak.sh"
BROWSER_DIR = ROOT / "tests/e2e/browser"
CLIENT_SECRET = next(c["secret"] for c in json.loads((ROOT / "deploy/keycloak/tokengate-realm.json").read_text())
                     ["clients"] if c["clientId"] == "tokengate")
JWKS_MIN_REFRESH_SECONDS = 1
CLOCK_SKEW_SECONDS = 1


# --- Keycloak and the stack, once per file ----------------------------------------

class Keycloak:
    def __init__(self, port, run_dir):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "KEYCLOAK_PORT": str(port), "KEYCLOAK_DIR": str(run_dir)}

    def script(self, action):
        result = subprocess.run([str(KEYCLOAK_SH), action], env=self.env, capture_output=True, text=True,
                                timeout=180)
        assert result.returncode == 0, f"keycloak.sh {action}: {result.stdout}\n{result.stderr}"

    def token(self, realm, client_id, user, password, scope="openid"):
        """A token answer of the password grant (clients with direct access grants)."""
        response = requests.post(f"{self.url}/realms/{realm}/protocol/openid-connect/token", timeout=10, data={
            "grant_type": "password", "client_id": client_id, "username": user, "password": password,
            "scope": scope})
        assert response.status_code == 200, response.text
        return response.json()

    def admin(self, method, path, **kwargs):
        token = self.token("master", "admin-cli", "admin", "admin")["access_token"]
        response = requests.request(method, f"{self.url}/admin/realms/tokengate{path}", timeout=10,
                                    headers={"Authorization": f"Bearer {token}"}, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.text else None

    def client(self, client_id):
        return self.admin("GET", "/clients", params={"clientId": client_id})[0]

    def set_access_token_lifespan(self, client_id, seconds):
        client = self.client(client_id)
        client.setdefault("attributes", {})["access.token.lifespan"] = str(seconds)
        self.admin("PUT", f"/clients/{client['id']}", json=client)

    def user_id(self, name):
        return self.admin("GET", "/users", params={"username": name, "exact": "true"})[0]["id"]


@pytest.fixture(scope="module")
def keycloak():
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="tokengate-keycloak-"))
    kc = Keycloak(stack.free_port(), run_dir)
    kc.script("start")
    try:
        yield kc
    finally:
        kc.script("stop")


@pytest.fixture(scope="module")
def database():
    with stack.fresh_database("tg_kc") as url:
        yield url


@pytest.fixture(scope="module")
def authority(database):
    with stack.authority(database) as service:
        yield service


@pytest.fixture(scope="module")
def api(keycloak, authority, database):
    port = stack.free_port()
    env = stack.env_of({
        "authority_address": authority.address, "database_url": database, "http_listen": f"127.0.0.1:{port}", "http_threads": 8,
        "web_dir": ROOT / "web", "auth_provider": "keycloak", "keycloak_server_url": keycloak.url,
        "keycloak_realm": "tokengate", "oidc_client_id": "tokengate", "oidc_client_secret": CLIENT_SECRET,
        "oidc_redirect_uri": f"http://127.0.0.1:{port}/v1/auth/callback",
        "oidc_jwks_min_refresh_seconds": JWKS_MIN_REFRESH_SECONDS,
        "oidc_clock_skew_seconds": CLOCK_SKEW_SECONDS})
    with stack.Service("tokengate-api", env).start() as service:
        yield service


# --- a browser, as far as requests can be one ----------------------------------------

def start_login(api_url, browser):
    """GET /v1/auth/login → Keycloak's form; returns the form's action URL."""
    response = browser.get(f"{api_url}/v1/auth/login", timeout=10)
    assert response.status_code == 200, response.text
    match = re.search(r'<form[^>]+action="([^"]+)"', response.text)
    assert match, "Keycloak's login form"
    # Keycloak marks its cookies Secure; browsers send them to http://127.0.0.1 (a secure context), requests does not.
    for cookie in browser.cookies:
        cookie.secure = False
    return html.unescape(match.group(1))


def submit_credentials(browser, action, user, password):
    return browser.post(action, data={"username": user, "password": password}, allow_redirects=False, timeout=10)


def callback_url(api_url, browser, user, password):
    """Logs in at Keycloak; returns the callback URL Keycloak sends the browser to (not yet visited)."""
    response = submit_credentials(browser, start_login(api_url, browser), user, password)
    assert response.status_code == 302, response.text[:500]
    location = response.headers["Location"]
    assert location.startswith(f"{api_url}/v1/auth/callback?"), location
    return location


def refreshes(api_url):
    """The api's count of session refreshes by outcome: tells a refresh that never happened from one
    whose new tokens still carried the old claims."""
    lines = requests.get(f"{api_url}/metrics", timeout=10).text.splitlines()
    return [line for line in lines if line.startswith("tokengate_oidc_refreshes_total")]


def login(api_url, user, password):
    """A requests.Session logged in to the api; also returns the session cookie."""
    browser = requests.Session()
    response = browser.get(callback_url(api_url, browser, user, password), allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == "/"
    # It sets the session cookie: no cache may keep it.
    assert (response.headers["Cache-Control"], response.headers["Pragma"]) == ("no-store", "no-cache")
    # From here on it acts as the api's own page does: a browser marks those requests same-origin.
    browser.headers["Sec-Fetch-Site"] = "same-origin"
    return browser, browser.cookies.get("tokengate_session")


def me(api_url, **kwargs):
    return requests.get(f"{api_url}/v1/users/me", timeout=10, **kwargs)


def bearer_status(api_url, token):
    return me(api_url, headers=stack.bearer(token)).status_code


def error_of(response):
    body = response.json()["error"]
    return f"{body['message']}: {body.get('details')}"


def jwt_header(token):
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# --- the tests, in order ------------------------------------------------------------

def test_browser_login_through_keycloak_then_a_token_works_with_curl(api, keycloak):
    assert (BROWSER_DIR / "node_modules/playwright-core").is_dir(), "run tests/e2e/browser/npm-install.sh"
    shots = pathlib.Path(stack.BUILD) / "e2e-keycloak-screenshots"
    result = subprocess.run(["node", "keycloak_login.mjs", api.url, "alice", "alice-password", str(shots)],
                            cwd=BROWSER_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{api.log()[-3000:]}"
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"login latency (callback → page showing the user): {outcome['login_latency_ms']:.0f} ms")
    curl = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                           f"Authorization: Bearer {outcome['token']}", f"{api.url}/v1/users/me"],
                          capture_output=True, text=True, timeout=10)
    assert curl.stdout == "200"
    assert outcome["token"] not in api.log()


def test_wrong_password_gets_no_session(api, keycloak):
    browser = requests.Session()
    response = submit_credentials(browser, start_login(api.url, browser), "alice", "wrong-password")
    assert response.status_code == 200, "Keycloak shows its form again instead of redirecting"
    assert "Invalid username or password" in response.text
    assert "tokengate_session" not in browser.cookies
    assert me(api.url, cookies=browser.cookies).status_code == 401


def test_login_needs_the_state_this_browser_started_with(api, keycloak):
    victim = requests.Session()
    url = callback_url(api.url, victim, "alice", "alice-password")
    # Another browser (an attacker's link): it lacks the state cookie.
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 401
    assert "does not match this browser" in error_of(response)
    # A state this api never issued.
    forged = re.sub(r"state=[^&]+", "state=forged-state", url)
    response = requests.get(forged, cookies={"tokengate_login": "forged-state"}, allow_redirects=False, timeout=10)
    assert response.status_code == 401
    assert "Unknown or expired login state" in error_of(response)


def test_replayed_code_is_refused(api, keycloak):
    browser = requests.Session()
    url = callback_url(api.url, browser, "alice", "alice-password")
    assert browser.get(url, allow_redirects=False, timeout=10).status_code == 302
    replay = browser.get(url, allow_redirects=False, timeout=10)
    assert replay.status_code == 401
    assert "Unknown or expired login state" in error_of(replay)
    # The same code under a fresh state of this browser: Keycloak itself refuses a second use.
    start_login(api.url, browser)
    state = browser.cookies.get("tokengate_login", path="/v1/auth")
    code = re.search(r"code=([^&]+)", url).group(1)
    response = browser.get(f"{api.url}/v1/auth/callback", params={"code": code, "state": state},
                           allow_redirects=False, timeout=10)
    assert response.status_code == 401
    assert "refused the grant (invalid_grant)" in error_of(response)


def test_keycloak_access_token_for_this_api_is_a_human_credential(api, keycloak):
    token = keycloak.token("tokengate", "tokengate-cli", "bob", "bob-password")["access_token"]
    assert me(api.url, headers=stack.bearer(token)).json() == {"name": "bob"}
    created = stack.create_token(api.url, token)
    assert bearer_status(api.url, created["content"]) == 200


def test_the_realm_role_makes_an_admin_and_a_refresh_rereads_it(api, keycloak):
    # The realm's client mapper puts realm roles into the tokengate client's ID token too.
    client = keycloak.client("tokengate")["id"]
    example = keycloak.admin("GET", f"/clients/{client}/evaluate-scopes/generate-example-id-token",
                             params={"scope": "openid", "userId": keycloak.user_id("carol")})
    assert "tokengate-admin" in example["realm_access"]["roles"]

    carol, _ = login(api.url, "carol", "carol-password")
    alice = stack.create_token(api.url, keycloak.token("tokengate", "tokengate-cli", "alice",
                                                       "alice-password")["access_token"], name="leaver")
    listed = carol.get(f"{api.url}/v1/admin/personal-tokens", params={"user": "alice", "active": "true"},
                       timeout=10)
    assert listed.status_code == 200, listed.text
    assert alice["id"] in [item["id"] for item in listed.json()["items"]]
    # A script with carol's Keycloak access token is an admin too (realm_access is in it by default).
    script = keycloak.token("tokengate", "tokengate-cli", "carol", "carol-password")["access_token"]
    assert requests.get(f"{api.url}/v1/admin/personal-tokens", headers=stack.bearer(script),
                        timeout=10).status_code == 200

    keycloak.set_access_token_lifespan("tokengate", 1)
    role = keycloak.admin("GET", "/roles/tokengate-admin")
    bob = keycloak.user_id("bob")
    try:
        browser, _ = login(api.url, "bob", "bob-password")
        offboard = f"{api.url}/v1/admin/users/alice/revoke-tokens"
        assert browser.post(offboard, timeout=10).status_code == 403
        # Granted in Keycloak: the session's next refresh (access token of 1 s) makes bob an admin.
        keycloak.admin("POST", f"/users/{bob}/role-mappings/realm", json=[role])
        # A loaded Keycloak may time a refresh out (503, the session and its old role live on).
        seen = collections.Counter()

        def became(status, method, url):
            seen.clear()

            def answered():
                got = getattr(browser, method)(url, timeout=10).status_code
                seen[got] += 1
                return got == status

            return stack.eventually(answered, timeout=30)

        listing = f"{api.url}/v1/admin/personal-tokens"
        assert became(200, "get", listing), \
            f"bob is an admin after his next refresh; answers: {dict(seen)}; {refreshes(api.url)}"
        revoked = browser.post(offboard, timeout=10)
        assert revoked.status_code == 200, revoked.text
        assert alice["id"] in revoked.json()["token_ids"]
        assert bearer_status(api.url, alice["content"]) == 401
        # Withdrawn in Keycloak: gone again at the next refresh.
        keycloak.admin("DELETE", f"/users/{bob}/role-mappings/realm", json=[role])
        assert became(403, "post", offboard), \
            f"bob is no admin after his next refresh; answers: {dict(seen)}; {refreshes(api.url)}"
    finally:
        keycloak.set_access_token_lifespan("tokengate", 300)
        keycloak.admin("DELETE", f"/users/{bob}/role-mappings/realm", json=[role])


def test_tokens_of_another_realm_or_client_are_refused(api, keycloak):
    other_realm = keycloak.token("other", "tokengate", "alice", "alice-password")
    other_client = keycloak.token("tokengate", "other-app", "alice", "alice-password")
    own_cli = keycloak.token("tokengate", "tokengate-cli", "alice", "alice-password")
    cases = [
        # Signed by the other realm's keys, which this issuer's JWKS does not have.
        (other_realm["id_token"], "unknown key"),
        (other_realm["access_token"], "unknown key"),
        (other_client["id_token"], "another client"),
        (other_client["access_token"], "another client"),
        (own_cli["id_token"], "another client"),  # An ID token is for the client that asked, not for us.
        (own_cli["refresh_token"], "not accepted"),  # Keycloak signs refresh tokens with HMAC.
    ]
    for token, reason in cases:
        response = me(api.url, headers=stack.bearer(token))
        assert response.status_code == 401, reason
        assert reason in error_of(response)


def test_tampered_and_expired_tokens_are_refused(api, keycloak):
    token = keycloak.token("tokengate", "tokengate-cli", "alice", "alice-password")["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["preferred_username"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = me(api.url, headers=stack.bearer(f"{header}.{forged}.{signature}"))
    assert response.status_code == 401
    assert "Signature verification failed" in error_of(response)

    keycloak.set_access_token_lifespan("tokengate-cli", 1)
    try:
        short = keycloak.token("tokengate", "tokengate-cli", "alice", "alice-password")["access_token"]
    finally:
        keycloak.set_access_token_lifespan("tokengate-cli", 300)
    # Valid now; refused once exp + the api's skew has passed.
    assert stack.eventually(lambda: bearer_status(api.url, short) == 401, timeout=10)
    assert "Token has expired" in error_of(me(api.url, headers=stack.bearer(short)))


def test_key_rotation_in_keycloak_needs_no_restart(api, keycloak):
    before = jwt_header(keycloak.token("tokengate", "tokengate-cli", "alice", "alice-password")["access_token"])
    browser, _ = login(api.url, "alice", "alice-password")
    realm_id = keycloak.admin("GET", "")["id"]
    keycloak.admin("POST", "/components", json={
        "name": "rotated", "providerId": "rsa-generated", "providerType": "org.keycloak.keys.KeyProvider",
        "parentId": realm_id, "config": {"priority": ["500"], "keySize": ["2048"], "algorithm": ["RS256"],
                                         "active": ["true"], "enabled": ["true"]}})
    token = keycloak.token("tokengate", "tokengate-cli", "alice", "alice-password")["access_token"]
    assert jwt_header(token)["kid"] != before["kid"], "Keycloak signs with the new key"
    # The unknown kid makes the api refetch the JWKS (rate-limited to once per JWKS_MIN_REFRESH_SECONDS).
    assert stack.eventually(lambda: bearer_status(api.url, token) == 200, timeout=10)
    new_browser, _ = login(api.url, "alice", "alice-password")
    assert new_browser.get(f"{api.url}/v1/users/me", timeout=10).json() == {"name": "alice"}
    assert browser.get(f"{api.url}/v1/users/me", timeout=10).status_code == 200, "old sessions live on"


def test_session_refreshes_and_ends_when_keycloak_ends_it(api, keycloak):
    keycloak.set_access_token_lifespan("tokengate", 1)
    try:
        check_refresh_then_end(api, keycloak)
    finally:
        keycloak.set_access_token_lifespan("tokengate", 300)


def check_refresh_then_end(api, keycloak):
    browser, _ = login(api.url, "bob", "bob-password")
    refreshed = {"outcome": "ok"}
    before = stack.metric(api.url, "tokengate_oidc_refreshes_total", refreshed)

    def refreshed_and_still_in():
        assert browser.get(f"{api.url}/v1/users/me", timeout=10).status_code == 200
        return stack.metric(api.url, "tokengate_oidc_refreshes_total", refreshed) > before

    assert stack.eventually(refreshed_and_still_in, timeout=10)
    # An administrator ends bob's sessions in Keycloak: the next refresh is refused.
    keycloak.admin("POST", f"/users/{keycloak.user_id('bob')}/logout")
    # A loaded Keycloak may time a refresh out (503, the session lives on); the refusal follows.
    seen = collections.Counter()

    def ended():
        status = browser.get(f"{api.url}/v1/users/me", timeout=10).status_code
        seen[status] += 1
        return status == 401

    assert stack.eventually(ended, timeout=30), \
        f"the session ends at its next refresh; answers: {dict(seen)}; {refreshes(api.url)}"
    response = browser.get(f"{api.url}/v1/users/me", timeout=10)
    assert response.json()["error"]["details"] == {"login_url": "/v1/auth/login"}


def test_logout_ends_the_session_here_and_at_keycloak(api, keycloak):
    browser, cookie = login(api.url, "bob", "bob-password")
    bob = keycloak.user_id("bob")
    assert keycloak.admin("GET", f"/users/{bob}/sessions"), "bob has a Keycloak session"
    response = browser.get(f"{api.url}/v1/auth/logout", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{keycloak.url}/realms/tokengate/protocol/openid-connect/logout?")
    assert me(api.url, cookies={"tokengate_session": cookie}).status_code == 401, "the old cookie is worthless"
    assert keycloak.admin("GET", f"/users/{bob}/sessions") == []


def test_a_keycloak_group_makes_a_service_account_manager_until_a_refresh_says_otherwise(api, keycloak):
    """dana is in the realm's group tokengate-sa-etl-prod: she manages service
    account etl-prod with no admin call naming her; taken out of the group in
    Keycloak, she loses it at her session's next refresh."""
    admin = keycloak.token("tokengate", "tokengate-cli", "carol", "carol-password")["access_token"]
    created = requests.post(f"{api.url}/v1/admin/service-accounts", json={"name": "etl-prod"},
                            headers=stack.bearer(admin), timeout=10)
    assert created.status_code == 200, created.text
    assert created.json()["data"]["managers"] == []

    keycloak.set_access_token_lifespan("tokengate", 1)
    dana = keycloak.user_id("dana")
    group = next(g for g in keycloak.admin("GET", "/groups") if g["name"] == "tokengate-sa-etl-prod")["id"]
    try:
        browser, _ = login(api.url, "dana", "dana-password")
        managed = browser.get(f"{api.url}/v1/service-accounts", timeout=10)
        assert managed.status_code == 200, managed.text
        assert [item["id"] for item in managed.json()["items"]] == ["etl-prod"]
        tokens = f"{api.url}/v1/service-accounts/etl-prod/personal-tokens"
        issued = browser.post(tokens, json={"name": "spark-nightly"}, timeout=10)
        assert issued.status_code == 200, issued.text
        assert me(api.url, headers=stack.bearer(issued.json()["content"])).json()["name"] == "sa:etl-prod"
        # A script with dana's Keycloak access token manages it too (the group is in that token).
        script = keycloak.token("tokengate", "tokengate-cli", "dana", "dana-password")["access_token"]
        assert requests.get(tokens, headers=stack.bearer(script), timeout=10).status_code == 200

        keycloak.admin("DELETE", f"/users/{dana}/groups/{group}")
        seen = collections.Counter()

        def gone():
            status = browser.get(tokens, timeout=10).status_code
            seen[status] += 1
            return status == 404

        assert stack.eventually(gone, timeout=30), \
            f"dana still manages etl-prod after her refresh: {dict(seen)}; {refreshes(api.url)}"
        assert browser.get(f"{api.url}/v1/service-accounts", timeout=10).json() == {"items": []}
        # The account's token is the account's: it outlives her membership.
        assert bearer_status(api.url, issued.json()["content"]) == 200
    finally:
        keycloak.set_access_token_lifespan("tokengate", 300)
        keycloak.admin("PUT", f"/users/{dana}/groups/{group}")


def test_keycloak_down_logins_503_personal_tokens_still_work(api, keycloak):
    browser, _ = login(api.url, "alice", "alice-password")
    response = browser.post(f"{api.url}/v1/personal-tokens", json={"name": "survives-keycloak"}, timeout=10)
    assert response.status_code == 200, response.text
    personal_token = response.json()["content"]
    keycloak.script("stop")
    login_attempt = requests.get(f"{api.url}/v1/auth/login", allow_redirects=False, timeout=10)
    assert login_attempt.status_code == 503
    assert "Identity provider is unavailable" in login_attempt.json()["error"]["message"]
    assert login_attempt.headers["Retry-After"]
    assert bearer_status(api.url, personal_token) == 200
