"""Differential test against Data.Rentgen itself (0.7.x from PyPI): its REST
server on its own database (made by its own migrations) and tokengate's
authority + api on another, on the same PostgreSQL, with one shared
personal-token secret and issuer. Every request goes to both; status codes
and bodies must be equal once ids and token contents are replaced by the
order they first appear in (each side mints its own). The same with
personal tokens switched off (a second Data.Rentgen server and a second
authority, api and http2kafka on the same databases). Then tokens that
Data.Rentgen's own code issued are imported (`token-authority
import-data-rentgen`) and must keep working here, revoked ones refused."""
import copy
import datetime
import json
import os
import re
import subprocess
import uuid

import pytest
import requests

import data_rentgen
import stack

ISSUER = "data-rentgen"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CONTENT_RE = re.compile(r"personal_token_[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


@pytest.fixture(scope="module")
def dr_db():
    data_rentgen.require_installed()
    with stack.fresh_database("dr") as db:
        data_rentgen.migrate(db)
        yield db


@pytest.fixture(scope="module")
def dr(dr_db):
    with data_rentgen.server(dr_db) as url:
        yield url


def tokengate_authority(db, **settings):
    return stack.authority(db, secret_key=data_rentgen.PERSONAL_TOKEN_SECRET, token_issuer=ISSUER, **settings)


@pytest.fixture(scope="module")
def tg_db():
    with stack.fresh_database("tg_drc") as db:
        yield db


@pytest.fixture(scope="module")
def tg_authority(tg_db):
    with tokengate_authority(tg_db) as authority:
        yield authority


@pytest.fixture(scope="module")
def tg(tg_authority):
    with stack.api(tg_authority.address) as api:
        yield api.url


@pytest.fixture(scope="module")
def edges(dr_db, tg_authority):
    """Both HTTP→Kafka proxies, each asking its own system (Data.Rentgen's database, tokengate's authority)."""
    kafka = os.environ["TOKENGATE_TEST_KAFKA"]
    with data_rentgen.http2kafka(dr_db, kafka) as dr_edge, tokengate_edge(tg_authority).start() as edge:
        yield dr_edge, edge.url


def tokengate_edge(authority):
    return stack.Service("http2kafka", stack.env_of({
        "authority_address": authority.address, "http_listen": "127.0.0.1:0",
        "kafka_bootstrap_servers": os.environ["TOKENGATE_TEST_KAFKA"], "kafka_topic": f"drc-{uuid.uuid4().hex[:8]}"}))


@pytest.fixture(scope="module")
def switched_off(dr_db, tg_db):
    """Both systems again on the same databases, with personal tokens off:
    (Data.Rentgen's server, its http2kafka), (tokengate's api, its http2kafka)."""
    kafka = os.environ["TOKENGATE_TEST_KAFKA"]
    with data_rentgen.server(dr_db, personal_tokens_enabled=False) as dr_url, \
            data_rentgen.http2kafka(dr_db, kafka, personal_tokens_enabled=False) as dr_edge, \
            tokengate_authority(tg_db, personal_tokens_enabled=False) as authority, \
            stack.api(authority.address) as api, tokengate_edge(authority).start() as edge:
        yield (dr_url, dr_edge), (api.url, edge.url)


class Side:
    """One system under comparison, with a user of this test logged in."""

    def __init__(self, url, user):
        self.url = url
        self.user = user
        self.access_token = stack.login(url, user)

    def call(self, method, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers = {**headers, **stack.bearer(token)}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def as_user(self, method, path, **kwargs):
        return self.call(method, path, token=self.access_token, **kwargs)

    def create(self, name, **body):
        response = self.as_user("POST", "/v1/personal-tokens", json={"name": name, **body})
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def sides(dr, tg):
    """Data.Rentgen and tokengate, each with the same fresh user."""
    user = f"user-{uuid.uuid4().hex[:10]}"
    return Side(dr, user), Side(tg, user)


def normalized(body, names):
    """`body` with each UUID and token content replaced by its order of first
    appearance; tokengate's documented addition `last_used_at` dropped."""
    def text(value):
        value = CONTENT_RE.sub(lambda m: names.setdefault(m.group(0), f"<content-{len(names)}>"), value)
        return UUID_RE.sub(lambda m: names.setdefault(m.group(0), f"<id-{len(names)}>"), value)

    def walk(value):
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items() if key != "last_used_at"}
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, str):
            return text(value)
        return value

    return walk(copy.deepcopy(body))


def same(dr_response, tg_response, names=None):
    """Asserts equal status codes and (normalized) bodies; returns tokengate's body."""
    assert tg_response.status_code == dr_response.status_code, (dr_response.text, tg_response.text)
    if dr_response.status_code == 204:
        assert tg_response.content == b"" and dr_response.content == b""
        return None
    names = names if names is not None else ({}, {})
    dr_body = normalized(dr_response.json(), names[0])
    tg_body = normalized(tg_response.json(), names[1])
    assert tg_body == dr_body, json.dumps({"data_rentgen": dr_body, "tokengate": tg_body}, indent=1)
    return tg_response.json()


def both(sides, method, path, names=None, token_of=None, **kwargs):
    """Sends one request to both; `token_of(side)` picks the bearer token
    (default: the side's access token; None: no Authorization header)."""
    responses = []
    for side in sides:
        token = token_of(side) if token_of else side.access_token
        responses.append(side.call(method, path, token=token, **copy.deepcopy(kwargs)))
    return same(*responses, names=names)


def corrupt(content, how):
    """A signature that is really another one. The middle character is changed,
    never the last: its low bits are padding that PyJWT (Data.Rentgen) ignores,
    so changing only them would leave the same signature there."""
    head, signature = content.rsplit(".", 1)

    def swap(replacement):
        return f"{head}.{signature[:5]}{replacement}{signature[6:]}"

    return {"replaced": swap("B" if signature[5] == "A" else "A"),
            "appended": f"{content}x",
            # '+' and '/' are base64 but not base64url; Python reads them as '-' and '_'.
            "not_base64url": swap("/" if signature[5] == "-" else "+")}[how]


# --- 401: credentials -----------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic YWxpY2U6eA=="}, {"Authorization": "Bearer"}])
def test_missing_authorization_header(sides, headers):
    body = both(sides, "GET", "/v1/personal-tokens", token_of=lambda side: None, headers=headers)
    assert body["error"]["message"] == "Missing Authorization header"


def test_unknown_bearer_token_is_a_personal_token_of_the_wrong_kind(sides):
    both(sides, "GET", "/v1/personal-tokens", token_of=lambda side: "garbage")


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/v1/personal-tokens", {"name": "new"}),
    ("PATCH", "/v1/personal-tokens/{id}", {}),
    ("DELETE", "/v1/personal-tokens/{id}", None),
])
def test_personal_token_cannot_manage_tokens(sides, method, path, body):
    tokens = {side: side.create("mine") for side in sides}
    dr_side, tg_side = sides
    responses = [side.call(method, path.format(id=tokens[side]["id"]), token=tokens[side]["content"],
                           **({"json": body} if body is not None else {})) for side in sides]
    body = same(*responses)
    assert body["error"]["details"] == "PersonalToken was passed but access token was expected"


def test_revoked_token_names_itself(sides):
    names = ({}, {})
    tokens = {side: side.create("nightly") for side in sides}
    for side in sides:
        assert side.as_user("DELETE", f"/v1/personal-tokens/{tokens[side]['id']}").status_code == 204
    body = both(sides, "GET", "/v1/personal-tokens", names=names, token_of=lambda side: tokens[side]["content"])
    assert body["error"]["details"] == f"PersonalToken name='nightly', id={tokens[sides[1]]['id']} is revoked"


def test_revoked_token_keeps_its_name_through_the_edge_cache(sides):
    _, tg_side = sides
    token = tg_side.create("cached")
    assert tg_side.call("GET", "/v1/personal-tokens", token=token["content"]).status_code == 200
    assert tg_side.as_user("DELETE", f"/v1/personal-tokens/{token['id']}").status_code == 204
    response = tg_side.call("GET", "/v1/personal-tokens", token=token["content"])
    assert response.status_code == 401
    assert response.json()["error"]["details"] == f"PersonalToken name='cached', id={token['id']} is revoked"


@pytest.mark.parametrize("how", ["replaced", "appended", "not_base64url"])
def test_corrupted_signature(sides, how):
    tokens = {side: side.create("signed") for side in sides}
    body = both(sides, "GET", "/v1/personal-tokens", token_of=lambda side: corrupt(tokens[side]["content"], how))
    assert body["error"]["details"] == "Signature verification failed"


@pytest.mark.parametrize("authorization", [None, "Basic YWxpY2U6eA==", "Bearer", "Bearer garbage",
                                           "Bearer access_token_abc.def.ghi"])
def test_http2kafka_credentials(edges, authorization):
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    dr_edge, tg_edge = edges
    responses = [requests.post(f"{url}/v1/openlineage", data=b"{}", headers=headers, timeout=10)
                 for url in (dr_edge, tg_edge)]
    same(*responses)


def test_http2kafka_revoked_and_corrupted_personal_tokens(sides, edges):
    """Each edge asks its own system about its own side's token."""
    dr_edge, tg_edge = edges
    names = ({}, {})
    for how in ("revoked", "replaced", "not_base64url"):
        tokens = [side.create(f"edge-{how}") for side in sides]
        if how == "revoked":
            for side, token in zip(sides, tokens):
                assert side.as_user("DELETE", f"/v1/personal-tokens/{token['id']}").status_code == 204
            contents = [token["content"] for token in tokens]
        else:
            contents = [corrupt(token["content"], how) for token in tokens]
        responses = [requests.post(f"{url}/v1/openlineage", data=b"{}", timeout=10,
                                   headers={"Content-Type": "application/json", **stack.bearer(content)})
                     for url, content in zip((dr_edge, tg_edge), contents)]
        same(*responses, names=names)


# --- personal tokens switched off ------------------------------------------------

@pytest.fixture
def off_sides(sides, switched_off):
    """The same user on each system with personal tokens off."""
    (dr_url, _), (tg_url, _) = switched_off
    return Side(dr_url, sides[0].user), Side(tg_url, sides[1].user)


def test_switched_off_personal_tokens_are_refused_naming_why(sides, off_sides, switched_off):
    names = ({}, {})
    tokens = {on: on.create("before") for on in sides}
    contents = [tokens[on]["content"] for on in sides]
    for contents_of in (lambda i: contents[i], lambda i: "personal_token_not.even.one"):
        responses = [off.call("GET", "/v1/personal-tokens", token=contents_of(i)) for i, off in enumerate(off_sides)]
        body = same(*responses, names=names)
        assert body["error"] == {"code": "unauthorized", "message": "Authentication using PersonalTokens is disabled",
                                 "details": None}
        (_, dr_edge), (_, tg_edge) = switched_off
        responses = [requests.post(f"{url}/v1/openlineage", data=b"{}", timeout=10,
                                   headers={"Content-Type": "application/json", **stack.bearer(contents_of(i))})
                     for i, url in enumerate((dr_edge, tg_edge))]
        same(*responses, names=names)


def test_switched_off_tokens_cannot_be_created_or_refreshed_but_are_listed_and_revoked(sides, off_sides):
    names = ({}, {})
    tokens = {off: on.create("kept") for on, off in zip(sides, off_sides)}
    body = both(off_sides, "POST", "/v1/personal-tokens", names=names, json={"name": "new"})
    assert body["error"] == {"code": "forbidden", "message": "Action not allowed",
                             "details": "Authentication using PersonalTokens is disabled"}
    for body in ({}, {"until": str(today() + datetime.timedelta(days=400))}):
        responses = [off.as_user("PATCH", f"/v1/personal-tokens/{tokens[off]['id']}", json=body) for off in off_sides]
        assert same(*responses, names=names)["error"]["message"] == "Action not allowed"
    both(off_sides, "PATCH", f"/v1/personal-tokens/{uuid.uuid4()}", names=names, json={})
    both(off_sides, "GET", "/v1/personal-tokens", names=names)
    responses = [off.as_user("DELETE", f"/v1/personal-tokens/{tokens[off]['id']}") for off in off_sides]
    same(*responses, names=names)
    responses = [off.as_user("PATCH", f"/v1/personal-tokens/{tokens[off]['id']}", json={}) for off in off_sides]
    assert same(*responses, names=names)["error"]["code"] == "not_found"  # Revoked comes before switched off.


# --- 422 -------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "page=0&page_size=51&foo=1",
    "page=x&personal_token_id=abc",
    "page_size=0",
    "personal_token_id=urn:uuid:zz",
    "personal_token_id=0192f1a2-b3c4-7d5e-8f60",
])
def test_list_query_errors(sides, query):
    assert both(sides, "GET", f"/v1/personal-tokens?{query}")["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("body", [
    {"until": str(today() + datetime.timedelta(days=30)), "extra": 1},
    {"name": 5},
    {"name": "past", "until": "2020-01-01"},
    {"name": "too-late", "until": str(today() + datetime.timedelta(days=400))},
    {"name": "dotted", "until": "31.12.2030"},
    {"name": "month", "until": "2030-13-01"},
    {"name": "day", "until": "2030-02-30"},
    {"name": "short", "until": "2030-1-01"},
    {"name": "slashes", "until": "2030/12/01"},
    {"name": "time", "until": "2030-12-01T10:00:00"},
    {"name": "number", "until": 1900000000},
    {"name": "bool", "until": True},
])
def test_create_body_errors(sides, body):
    both(sides, "POST", "/v1/personal-tokens", json=body)


def test_refresh_errors(sides):
    names = ({}, {})
    tokens = {side: side.create("refreshable") for side in sides}
    path = "/v1/personal-tokens/{}"
    for kwargs in ({}, {"json": {"until": "2020-01-01"}},
                   {"json": {"until": str(today() + datetime.timedelta(days=400))}}, {"json": {"other": 1}}):
        responses = [side.as_user("PATCH", path.format(tokens[side]["id"]), **kwargs) for side in sides]
        assert same(*responses, names=names)["error"]["code"] == "invalid_request"
    both(sides, "PATCH", "/v1/personal-tokens/not-a-uuid", json={})
    both(sides, "DELETE", "/v1/personal-tokens/0192f1a2-b3c4-7d5e-8f60", json={})


# --- 409 / 404 -------------------------------------------------------------------

def test_duplicate_name_is_409_with_details(sides):
    for side in sides:
        side.create("twice")
    body = both(sides, "POST", "/v1/personal-tokens", json={"name": "twice"})
    assert body["error"]["details"] == {"entity_type": "PersonalToken", "field": "name", "value": "twice"}


def test_unknown_or_revoked_token_is_404_with_details(sides):
    names = ({}, {})
    unknown = str(uuid.uuid4())
    body = both(sides, "PATCH", f"/v1/personal-tokens/{unknown}", names=names, json={})
    assert body["error"]["message"] == f"PersonalToken with id='{unknown}' not found"
    both(sides, "DELETE", f"/v1/personal-tokens/{unknown}", names=names)
    tokens = {side: side.create("revoke-twice") for side in sides}
    for attempt in range(2):  # 204, then 404: already revoked.
        responses = [side.as_user("DELETE", f"/v1/personal-tokens/{tokens[side]['id']}") for side in sides]
        same(*responses, names=names)
    too_late = {"until": str(today() + datetime.timedelta(days=400))}
    for body in ({}, too_late):  # Not found comes before a too late `until`.
        responses = [side.as_user("PATCH", f"/v1/personal-tokens/{tokens[side]['id']}", json=body)
                     for side in sides]
        assert same(*responses, names=names)["error"]["code"] == "not_found"
    both(sides, "PATCH", f"/v1/personal-tokens/{unknown}", names=names, json=too_late)


# --- 200: shapes and the list ----------------------------------------------------

def test_create_refresh_and_revoke_answer_alike(sides):
    names = ({}, {})
    created = [side.as_user("POST", "/v1/personal-tokens", json={"name": "shape"}) for side in sides]
    same(*created, names=names)
    created_30 = [side.as_user("POST", "/v1/personal-tokens",
                               json={"name": "shape-30", "until": str(today() + datetime.timedelta(days=30))})
                  for side in sides]
    same(*created_30, names=names)
    refreshed = [side.as_user("PATCH", f"/v1/personal-tokens/{response.json()['id']}",
                              json={"until": str(today() + datetime.timedelta(days=7))})
                 for side, response in zip(sides, created)]
    same(*refreshed, names=names)
    revoked = [side.as_user("DELETE", f"/v1/personal-tokens/{response.json()['id']}")
               for side, response in zip(sides, refreshed)]
    same(*revoked, names=names)


def test_empty_list_has_one_page(sides):
    body = both(sides, "GET", "/v1/personal-tokens")
    assert body["meta"]["pages_count"] == 1 and body["items"] == []
    both(sides, "GET", "/v1/personal-tokens?page=3&page_size=1")


def test_list_is_by_name_and_shows_the_newest_token_of_each_name(sides):
    names = ({}, {})
    created = {side: [side.create(name) for name in ("charlie", "alpha", "bravo", "delta")] for side in sides}
    for side in sides:  # Refreshing makes a newer token of the same name; only it is listed.
        assert side.as_user("PATCH", f"/v1/personal-tokens/{created[side][2]['id']}", json={}).status_code == 200
    body = both(sides, "GET", "/v1/personal-tokens", names=names)
    assert [item["data"]["name"] for item in body["items"]] == ["alpha", "bravo", "charlie", "delta"]
    both(sides, "GET", "/v1/personal-tokens?page=2&page_size=3", names=names)
    picked = [side.as_user("GET", "/v1/personal-tokens", params={"personal_token_id": created[side][3]["id"]})
              for side in sides]
    same(*picked, names=names)


def test_repeated_personal_token_id_selects_every_id_given(sides):
    names = ({}, {})
    created = {side: [side.create(name) for name in ("charlie", "alpha", "bravo", "delta")] for side in sides}
    for side in sides:
        assert side.as_user("DELETE", f"/v1/personal-tokens/{created[side][2]['id']}").status_code == 204
    picked = [side.as_user("GET", "/v1/personal-tokens", params=[("personal_token_id", created[side][0]["id"]),
                                                                 ("personal_token_id", created[side][3]["id"]),
                                                                 ("personal_token_id", created[side][2]["id"])])
              for side in sides]
    body = same(*picked, names=names)
    assert [item["data"]["name"] for item in body["items"]] == ["charlie", "delta"]
    both(sides, "GET", "/v1/personal-tokens?personal_token_id=abc&personal_token_id="
         "0192f1a2-b3c4-7d5e-8f60-0123456789ab&personal_token_id=0192f1a2-b3c4-7d5e-8f60", names=names)


# --- tokens issued by Data.Rentgen, imported ---------------------------------------

def run_import(target_db, *args):
    binary = stack.BINARIES["token-authority"]
    env = stack.env_of({"database_url": target_db, "secret_key": data_rentgen.PERSONAL_TOKEN_SECRET,
                        "token_issuer": ISSUER})
    return subprocess.run([str(binary), "import-data-rentgen", *args], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=60)


def import_data_rentgen(target_db, source_db):
    result = run_import(target_db, "--from", source_db)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def rows(db, table):
    return int(stack.psql(db, f'SELECT count(*) FROM "{table}"'))


def test_import_without_source_says_what_is_missing():
    with stack.fresh_database("tg_drimport") as db:
        result = run_import(db)
        assert result.returncode == 1
        assert "needs --from <libpq URL of the Data.Rentgen database>" in result.stderr


def test_import_from_a_database_that_is_not_data_rentgen_fails_clearly():
    with stack.fresh_database("tg_drimport") as db, stack.fresh_database("not_dr") as other:
        result = run_import(db, "--from", other)
        assert result.returncode == 1
        assert "does not look like a Data.Rentgen database" in result.stderr


def test_import_clashing_user_changes_nothing(dr, dr_db):
    Side(dr, f"clash-{uuid.uuid4().hex[:8]}").create("a-token")
    user_id = stack.psql(dr_db, 'SELECT max(id) FROM "user"')
    with stack.fresh_database("tg_drimport") as db:
        assert run_import(db, "--from", dr_db).returncode == 0  # Migrates, then imports.
        stack.psql(db, "TRUNCATE personal_token, \"user\" CASCADE")  # token_notice refers to them.
        stack.psql(db, f"INSERT INTO \"user\" (id, name) VALUES ({user_id}, 'somebody-else')")
        result = run_import(db, "--from", dr_db)
        assert result.returncode == 1
        assert f"user id={user_id} name='somebody-else' here" in result.stderr
        assert (rows(db, "user"), rows(db, "personal_token")) == (1, 0)


def test_import_overlapping_live_token_changes_nothing(dr, dr_db):
    owner = Side(dr, f"overlap-{uuid.uuid4().hex[:8]}")
    token = owner.create("same-name")
    with stack.fresh_database("tg_drimport") as db:
        assert run_import(db, "--from", dr_db).returncode == 0
        # Here, a different live token of that user and name over the same days.
        stack.psql(db, f"DELETE FROM personal_token WHERE id = '{token['id']}'")
        stack.psql(db, "INSERT INTO personal_token (id, user_id, name, scopes, since, until) VALUES "
                       f"('{uuid.uuid4()}', (SELECT id FROM \"user\" WHERE name = '{owner.user}'), 'same-name', "
                       f"'[\"all:read\"]', '{token['data']['since']}', '{token['data']['until']}')")
        before = rows(db, "personal_token")
        result = run_import(db, "--from", dr_db)
        assert result.returncode == 1
        assert f"personal token id={token['id']}" in result.stderr and "overlaps a live token" in result.stderr
        assert rows(db, "personal_token") == before


def test_import_token_of_another_user_here_changes_nothing(dr, dr_db):
    token = Side(dr, f"owner-{uuid.uuid4().hex[:8]}").create("owned")
    with stack.fresh_database("tg_drimport") as db:
        assert run_import(db, "--from", dr_db).returncode == 0
        stack.psql(db, "INSERT INTO \"user\" (name) VALUES ('intruder')")
        stack.psql(db, "UPDATE personal_token SET user_id = (SELECT id FROM \"user\" WHERE name = 'intruder') "
                       f"WHERE id = '{token['id']}'")
        result = run_import(db, "--from", dr_db)
        assert result.returncode == 1
        assert f"personal token id={token['id']} belongs to user id=" in result.stderr


def test_tokens_data_rentgen_issued_keep_working_after_import(dr, dr_db):
    user = f"etl-{uuid.uuid4().hex[:10]}"
    dr_side = Side(dr, user)
    live = dr_side.create("live")
    later = dr_side.create("later", until=str(today() + datetime.timedelta(days=3)))
    revoked = dr_side.create("revoked")
    assert dr_side.as_user("DELETE", f"/v1/personal-tokens/{revoked['id']}").status_code == 204
    refreshed_away = dr_side.create("refreshed")
    refreshed = dr_side.as_user("PATCH", f"/v1/personal-tokens/{refreshed_away['id']}", json={}).json()
    dr_list = dr_side.as_user("GET", "/v1/personal-tokens").json()

    with stack.fresh_database("tg_drimport") as db:
        first = import_data_rentgen(db, dr_db)
        assert re.search(r"personal tokens: [1-9]\d* added, 0 newly revoked, 0 already here", first), first
        # Each token added is audited once, by the system.
        added = int(re.search(r"personal tokens: (\d+) added", first).group(1))
        assert stack.psql(db, "SELECT count(*) FROM audit_event WHERE event = 'token.created' AND "
                              "actor_kind = 'system' AND actor_name = 'import-data-rentgen'") == str(added)
        again = import_data_rentgen(db, dr_db)
        assert re.search(r"users: 0 added, \d+ already here; personal tokens: 0 added, 0 newly revoked", again)
        rows_before = stack.psql(db, "SELECT string_agg(id::text || user_id::text || coalesce(revoked_at::text, ''), ',' "
                                     "ORDER BY id) FROM personal_token")
        with tokengate_authority(db) as authority, stack.api(authority.address) as api:
            for token in (live, later, refreshed):
                response = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(token["content"]),
                                        timeout=10)
                assert response.status_code == 200, response.text
                listed = response.json()
                for item in listed["items"]:
                    item["data"].pop("last_used_at")
                assert listed == dr_list
            for token in (revoked, refreshed_away):
                here = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(token["content"]),
                                    timeout=10)
                there = requests.get(f"{dr}/v1/personal-tokens", headers=stack.bearer(token["content"]), timeout=10)
                assert (here.status_code, here.json()) == (there.status_code, there.json())

            # Revoked in Data.Rentgen after the import: a new import carries it over, at once.
            assert dr_side.as_user("DELETE", f"/v1/personal-tokens/{later['id']}").status_code == 204
            third = import_data_rentgen(db, dr_db)
            assert "0 added, 1 newly revoked" in third, third

            def refused():
                response = requests.get(f"{api.url}/v1/personal-tokens", headers=stack.bearer(later["content"]),
                                        timeout=10)
                return response.status_code == 401 and response.json()["error"]["details"] == (
                    f"PersonalToken name='later', id={later['id']} is revoked")

            assert stack.eventually(refused, timeout=10)
        rows_after = stack.psql(db, "SELECT string_agg(id::text || user_id::text || coalesce(revoked_at::text, ''), ',' "
                                    "ORDER BY id) FROM personal_token")
        assert rows_after != rows_before and rows_after.count(",") == rows_before.count(",")
