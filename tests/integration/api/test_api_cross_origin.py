"""Cross-site request forgery, over real HTTP: every state-changing request
authenticated by the session cookie must come from the api's own pages
(`Sec-Fetch-Site: same-origin`, or an `Origin` equal to the api's own or one
of TOKENGATE_ALLOWED_ORIGINS) and send a JSON body as application/json;
otherwise it is refused with a 403 and changes nothing. The dummy login
refuses cross-origin form posts too. Bearer-authenticated requests (curl,
scripts: no Origin) are unaffected. (The same, from a real Chromium page on
another port: tests/e2e/browser/cross_origin.test.mjs.)"""
import uuid

import pytest
import requests

import stack

ADMIN = "csrf-admin"
OTHER_ORIGIN_PORT = 8002  # Never connected to: only named in an Origin header.
ALLOWED_ORIGIN = "https://ui.example.test"


@pytest.fixture(scope="module")
def api(authority):
    with stack.api(authority.address, admin_users=ADMIN, allowed_origins=f"{ALLOWED_ORIGIN}, http://x.test") as service:
        yield service


@pytest.fixture
def session(api, user):
    """A cookie session as a browser holds it; the login itself is same-origin."""
    browser = requests.Session()
    response = browser.post(f"{api.url}/v1/auth/token", data={"username": user, "password": "x"},
                            headers={"Origin": api.url})
    assert response.status_code == 200, response.text
    return browser


def tokens_of(api, access_token):
    response = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(access_token))
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


# Each state-changing route the session cookie may call: method, path (with
# {id}: a live token of the user, {user}: the user) and JSON body.
ROUTES = [
    ("POST", "/v1/personal-tokens", {"name": "from-the-page"}),
    ("PATCH", "/v1/personal-tokens/{id}", {}),
    ("DELETE", "/v1/personal-tokens/{id}", None),
    ("POST", "/v1/admin/users/{user}/revoke-tokens", None),
]
OK = {"POST": 200, "PATCH": 200, "DELETE": 204}

CROSS_ORIGIN = {
    "another_port": {"Origin": f"http://127.0.0.1:{OTHER_ORIGIN_PORT}"},
    "another_site": {"Origin": "https://evil.example"},
    "opaque_origin": {"Origin": "null"},
    "cross_site_fetch": {"Sec-Fetch-Site": "cross-site"},
    "same_site_fetch": {"Sec-Fetch-Site": "same-site", "Origin": f"http://127.0.0.1:{OTHER_ORIGIN_PORT}"},
    "no_browser_headers": {},
}


def call(api, browser, method, path, body, user, token_id, headers, **kwargs):
    """`browser` sends its cookie; `kwargs` go to requests (e.g. data=)."""
    url = api.url + path.format(id=token_id, user=user)
    if body is not None and "data" not in kwargs:
        kwargs["json"] = body
    return browser.request(method, url, headers=headers, timeout=10, **kwargs)


def prepared(api, user):
    """The user's access token (for checks by bearer) and a live token of
    theirs. The admin route acts on `user` while ADMIN's session calls it."""
    access_token = stack.login(api.url, user)
    return access_token, stack.create_token(api.url, access_token)


def works(api, token):
    return requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(token["content"])).status_code == 200


def admin_session(api):
    browser = requests.Session()
    assert browser.post(f"{api.url}/v1/auth/token", data={"username": ADMIN, "password": "x"}).ok
    return browser


def caller_for(api, path, session):
    return admin_session(api) if path.startswith("/v1/admin/") else session


def assert_refused(response, message="Cross-origin request refused"):
    assert response.status_code == 403, response.text
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert error["message"] == message
    assert isinstance(error["details"], str) and error["details"]


@pytest.mark.parametrize("how", CROSS_ORIGIN)
@pytest.mark.parametrize("method,path,body", ROUTES)
def test_cross_origin_cookie_request_is_refused_and_changes_nothing(api, session, user, method, path, body, how):
    access_token, token = prepared(api, user)
    before = tokens_of(api, access_token)
    response = call(api, caller_for(api, path, session), method, path, body, user, token["id"],
                    {**CROSS_ORIGIN[how], "Content-Type": "application/json"} if body is not None
                    else CROSS_ORIGIN[how])
    assert_refused(response)
    assert tokens_of(api, access_token) == before
    assert works(api, token)


SAME_ORIGIN = {
    "origin": lambda api: {"Origin": api.url},
    "fetch_metadata": lambda api: {"Sec-Fetch-Site": "same-origin"},
    "both": lambda api: {"Origin": api.url, "Sec-Fetch-Site": "same-origin"},
    "allowed_origin": lambda api: {"Origin": ALLOWED_ORIGIN},
}


@pytest.mark.parametrize("how", SAME_ORIGIN)
@pytest.mark.parametrize("method,path,body", ROUTES)
def test_same_origin_cookie_request_is_served(api, session, user, method, path, body, how):
    _, token = prepared(api, user)
    response = call(api, caller_for(api, path, session), method, path, body, user, token["id"],
                    SAME_ORIGIN[how](api))
    assert response.status_code == OK[method], response.text


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
@pytest.mark.parametrize("method,path,body", [route for route in ROUTES if route[2] is not None])
def test_json_body_in_another_content_type_is_refused(api, session, user, method, path, body, content_type):
    access_token, token = prepared(api, user)
    before = tokens_of(api, access_token)
    headers = {"Origin": api.url, "Sec-Fetch-Site": "same-origin"}
    if content_type:
        headers["Content-Type"] = content_type
    response = call(api, session, method, path, body, user, token["id"], headers,
                    data=b'{"name": "x="}' if method == "POST" else b"{}")
    assert_refused(response, "Unsupported content type")
    assert "application/json" in response.json()["error"]["details"]
    assert tokens_of(api, access_token) == before
    assert works(api, token)


def test_json_with_charset_is_accepted(api, session, user):
    response = session.post(f"{api.url}/v1/personal-tokens", data=b'{"name": "charset"}',
                            headers={"Origin": api.url, "Content-Type": "application/json; charset=UTF-8"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("method,path,body", ROUTES)
def test_bearer_requests_are_unaffected(api, user, method, path, body):
    """A script's request carries no Origin; even a foreign Origin and a
    text/plain body do not matter without the cookie."""
    token = stack.login(api.url, ADMIN if path.startswith("/v1/admin/") else user)
    for headers in ({}, {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}):
        token_id = prepared(api, user)[1]["id"]
        kwargs = {"data": b'{"name": "%s"}' % uuid.uuid4().hex.encode(),
                  "headers": {**headers, **stack.bearer(token), "Content-Type": "text/plain"}}
        if body is None:
            kwargs = {"headers": {**headers, **stack.bearer(token)}}
        elif method == "PATCH":
            kwargs["data"] = b"{}"
        response = requests.request(method, api.url + path.format(id=token_id, user=user), timeout=10, **kwargs)
        assert response.status_code == OK[method], response.text


def test_safe_methods_with_the_cookie_are_unaffected(api, session):
    response = session.get(f"{api.url}/v1/users/me", headers={"Origin": "https://evil.example",
                                                              "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200


@pytest.mark.parametrize("how", [how for how in CROSS_ORIGIN if how != "no_browser_headers"])
def test_cross_origin_login_is_refused(api, how):
    response = requests.post(f"{api.url}/v1/auth/token", data={"username": "victim", "password": "x"},
                             headers=CROSS_ORIGIN[how])
    assert_refused(response)
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("headers", [{}, {"Origin": "ORIGIN"}, {"Sec-Fetch-Site": "same-origin"},
                                     {"Origin": ALLOWED_ORIGIN}])
def test_login_from_the_page_or_a_script_is_served(api, headers):
    headers = {name: api.url if value == "ORIGIN" else value for name, value in headers.items()}
    response = requests.post(f"{api.url}/v1/auth/token", data={"username": "alice", "password": "x"},
                             headers=headers)
    assert response.status_code == 200, response.text


def test_an_origin_matching_only_the_host_header_is_the_apis_own(api, session):
    """Behind a proxy the api is reached by the name in Host; its own pages
    then send that origin."""
    # The cookie by hand: requests would match its jar against the Host header.
    cookie = {"Cookie": f"tokengate_session={session.cookies['tokengate_session']}", "Host": "tokens.example.test"}
    response = requests.post(f"{api.url}/v1/personal-tokens", json={"name": "proxied"},
                             headers={**cookie, "Origin": "https://tokens.example.test"})
    assert response.status_code == 200, response.text
    refused = requests.post(f"{api.url}/v1/personal-tokens", json={"name": "proxied-2"},
                            headers={**cookie, "Origin": "https://other.example.test"})
    assert_refused(refused)


def test_a_bad_allowed_origin_is_refused_at_start(authority):
    env = stack.env_of({"authority_address": authority.address, "http_listen": "127.0.0.1:0",
                        "auth_provider": "dummy", "access_token_secret": stack.API_SECRET,
                        "allowed_origins": "https://ok.example, ftp://nope.example/path"})
    service = stack.Service("tokengate-api", env)
    with pytest.raises(AssertionError, match="did not start"):
        service.start(timeout=5)
    assert service.process.returncode == 2
    assert ("TOKENGATE_ALLOWED_ORIGINS: 'ftp://nope.example/path' is not an origin "
            "(scheme://host[:port], http or https)") in service.log()
