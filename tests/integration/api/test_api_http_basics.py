"""What every api response shares, over real HTTP: JSON errors for unknown
routes (404), wrong methods (405) and oversized bodies (413), the request id
header, the liveness ping, Prometheus metrics, and a clean SIGTERM exit; and
that handlers see what was sent: every repeated query value, header names in
any case."""
import re
import socket

import pytest
import requests

import stack


def test_unknown_route_is_404_json(api):
    response = requests.get(f"{api.url}/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_405_json_with_allow(api):
    response = requests.put(f"{api.url}/v1/users/me")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_body_over_the_limit_is_413_json(api, access_token):
    body = '{"name": "' + "x" * (1 << 20) + '"}'
    response = requests.post(f"{api.url}/v1/personal-tokens", data=body,
                             headers={**stack.bearer(access_token), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_configured_body_limit_applies(authority):
    with stack.api(authority.address, max_body_bytes=2048) as api:
        response = requests.post(f"{api.url}/v1/auth/token", data={"username": "a" * 3000, "password": "x"})
        assert response.status_code == 413
        assert requests.post(f"{api.url}/v1/auth/token", data={"username": "a", "password": "x"}).ok


def test_request_id_is_returned_and_taken_from_the_client(api):
    generated = requests.get(f"{api.url}/monitoring/ping").headers["X-Request-ID"]
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", generated)
    echoed = requests.get(f"{api.url}/monitoring/ping", headers={"X-Request-ID": "trace-42.a_b:c"})
    assert echoed.headers["X-Request-ID"] == "trace-42.a_b:c"


def test_unsafe_client_request_id_is_replaced(api):
    response = requests.get(f"{api.url}/monitoring/ping", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["X-Request-ID"] != "bad id <script>"


def test_error_answers_carry_the_request_id(api):
    response = requests.get(f"{api.url}/v1/users/me", headers={"X-Request-ID": "req-401"})
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "req-401"


def test_every_repeated_query_value_reaches_the_handler(api, access_token):
    # The second value is checked too (not only the first)...
    response = requests.get(f"{api.url}/v1/datasets?dataset_id=1&dataset_id=x",
                            headers=stack.bearer(access_token), timeout=10)
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["location"] == ["query", "dataset_id"]
    # ...and the values are counted as a list.
    query = "&".join(f"dataset_id={i}" for i in range(101))
    response = requests.get(f"{api.url}/v1/datasets?{query}", headers=stack.bearer(access_token),
                            timeout=10)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["code"] == "too_long"


def test_header_names_match_in_any_case(api, access_token):
    response = requests.get(f"{api.url}/v1/users/me",
                            headers={"aUTHORIZATION": f"Bearer {access_token}"}, timeout=10)
    assert response.status_code == 200, response.text


def test_ping_answers_ok(api):
    response = requests.get(f"{api.url}/monitoring/ping")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_keep_alive_is_honoured_when_asked(api):
    with requests.Session() as session:
        response = session.get(f"{api.url}/monitoring/ping", headers={"Connection": "keep-alive"})
        assert response.headers.get("Connection", "").lower() != "close"


def test_metrics_count_requests_by_route_and_status(api):
    labels = {"route": "/monitoring/ping", "method": "GET", "status": "200"}
    before = stack.metric(api.url, "tokengate_http_requests_total", labels)
    for _ in range(3):
        requests.get(f"{api.url}/monitoring/ping")
    assert stack.metric(api.url, "tokengate_http_requests_total", labels) == before + 3


def test_metrics_expose_latency_and_verify_cache_families(api):
    response = requests.get(f"{api.url}/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    for family in ["tokengate_http_request_duration_seconds histogram",
                   "tokengate_verify_cache_hits_total counter",
                   "tokengate_verify_cache_misses_total counter",
                   "tokengate_verify_cache_evictions_total counter",
                   "tokengate_verify_rpcs_total counter",
                   "tokengate_verify_rpc_errors_total counter",
                   "tokengate_verify_rpc_duration_seconds histogram",
                   "tokengate_authority_rpc_errors_total counter",
                   "tokengate_revocation_watch_connected gauge"]:
        assert f"# TYPE {family}" in response.text


def test_verify_cache_hits_are_counted(api, access_token):
    token = stack.create_token(api.url, access_token)["content"]
    hits = stack.metric(api.url, "tokengate_verify_cache_hits_total")
    for _ in range(3):
        assert requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(token)).ok
    assert stack.metric(api.url, "tokengate_verify_cache_hits_total") == hits + 2


def test_sigterm_with_an_idle_keep_alive_connection_exits_zero(authority):
    service = stack.api(authority.address)
    with socket.create_connection(("127.0.0.1", service.port)) as conn:
        conn.sendall(b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        assert b"200 OK" in conn.recv(4096)
        service.stop()


def test_bad_configuration_exits_two_with_one_line(authority):
    service = stack.Service("tokengate-api", stack.env_of({"authority_address": authority.address,
                                                          "http_listen": "127.0.0.1:0",
                                                          "auth_provider": "dummy",
                                                          "access_token_secret": "short"}))
    with pytest.raises(AssertionError, match="did not start"):
        service.start(timeout=5)
    assert service.process.returncode == 2
    assert "invalid configuration: TOKENGATE_ACCESS_TOKEN_SECRET: must be at least 32 bytes" in service.log()
