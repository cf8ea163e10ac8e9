"""Every way a request is refused, over plain HTTP against the real binary:
the status, the JSON error of docs/design.md §6 and its headers, and that nothing
refused ever reaches the topic."""
import concurrent.futures
import gzip
import time
import uuid
import zlib

import jwt
import openapi_spec_validator
import pytest
import requests

import stack
from conftest import (EVENTS, KAFKA, authority_grpc, body_of, gzipped, http2kafka, issue,
                      message_count, run_event)


def post(edge, data, token=None, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(edge.url + EVENTS, data=data, headers=headers, timeout=30)


def error_of(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-ID"]
    error = response.json()["error"]
    assert error["code"] == code, error
    assert set(error) == {"code", "message", "details"}
    return error


@pytest.fixture(scope="module")
def gzip_bomb():
    """1 GiB of zeros, gzip-compressed to about a megabyte."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros) for _ in range(1024)]
    parts.append(compressor.flush())
    return b"".join(parts)


# --- credentials -----------------------------------------------------------

def test_missing_authorization_is_401_with_bearer_challenge(edge):
    error = error_of(post(edge, body_of(run_event())), 401, "unauthorized")
    assert error["message"] == "Missing Authorization header"


def test_challenge_header_names_bearer(edge):
    assert post(edge, body_of(run_event())).headers["WWW-Authenticate"] == "Bearer"


def test_non_bearer_scheme_is_401(edge, writer_token):
    response = post(edge, body_of(run_event()), Authorization=f"Basic {writer_token}")
    assert error_of(response, 401, "unauthorized")["message"] == "Missing Authorization header"


def test_access_token_is_401(edge):
    error = error_of(post(edge, body_of(run_event()), token="access_token_abc.def"), 401, "unauthorized")
    assert error["details"] == "Access token was passed but PersonalToken was expected"


def test_forged_personal_token_is_401(edge):
    forged = jwt.encode({"iss": "tokengate", "jti": str(uuid.uuid4()), "sub_id": 1, "exp": 4102444800},
                        "not-the-authority-secret-0123456789abcdef", algorithm="HS256")
    error = error_of(post(edge, body_of(run_event()), token=f"personal_token_{forged}"), 401, "unauthorized")
    assert error["message"] == "Invalid token"
    assert error["details"] == "Signature verification failed"


def test_expired_personal_token_is_401(edge, authority_stub, writer_token):
    # The authority's own claims and secret, with an expiry in the past.
    claims = jwt.decode(writer_token.removeprefix("personal_token_"), options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 3600
    claims["nbf"] = claims["exp"] - 86400
    expired = jwt.encode(claims, stack.AUTHORITY_SECRET, algorithm="HS256")
    error = error_of(post(edge, body_of(run_event()), token=f"personal_token_{expired}"), 401, "unauthorized")
    assert error["details"] == "Token has expired"


def test_revoked_token_is_refused_within_a_second(edge, authority_stub):
    issued = issue(authority_stub, user="revoker")
    assert post(edge, body_of(run_event()), token=issued.content).status_code == 201  # Now cached.
    authority_stub.RevokeToken(authority_grpc.pb.RevokeTokenRequest(user_name="revoker",
                                                                    token_id=issued.token.id), timeout=10)
    revoked_at = time.monotonic()
    answers = []

    def refused():
        answers.append(post(edge, body_of(run_event()), token=issued.content))
        return answers[-1].status_code == 401

    assert stack.eventually(refused, timeout=5, interval=0.01), "the revoked token still works after 5 s"
    elapsed = time.monotonic() - revoked_at
    assert elapsed < 1.0, f"revocation took {elapsed:.3f} s to reach the edge"
    assert all(a.status_code in (201, 401) for a in answers)
    assert issued.token.id in error_of(answers[-1], 401, "unauthorized")["details"]


def test_read_only_token_is_403(edge, authority_stub):
    reader = issue(authority_stub, scopes=["all:read"], user="reader").content
    error = error_of(post(edge, body_of(run_event()), token=reader), 403, "forbidden")
    assert "all:write" in error["details"]


def test_unknown_token_while_authority_is_down_is_503(topic):
    with stack.fresh_database("tg_h2k_down") as db:
        authority = stack.authority(db)
        edge = http2kafka(authority.address, topic)
        try:
            token = issue(authority_grpc.stub(authority.address)).content
            authority.stop()
            response = post(edge, body_of(run_event()), token=token)
            error_of(response, 503, "service_unavailable")
            assert int(response.headers["Retry-After"]) >= 1
        finally:
            edge.stop()
            authority.kill()
    assert message_count(KAFKA, topic) == 0


# --- body ------------------------------------------------------------------

def test_unsupported_content_encoding_is_400(edge, writer_token):
    response = post(edge, gzipped(run_event()), token=writer_token, **{"Content-Encoding": "br"})
    error = error_of(response, 400, "bad_request")
    assert "br" in error["message"]


def test_wrong_content_type_is_415(edge, writer_token):
    response = post(edge, body_of(run_event()), token=writer_token, **{"Content-Type": "text/plain"})
    error_of(response, 415, "unsupported_media_type")


def test_zero_byte_body_is_422_missing_body(edge, writer_token):
    error = error_of(post(edge, b"", token=writer_token, **{"Content-Type": "application/json"}), 422,
                     "invalid_request")
    assert error["details"][0]["location"] == ["body"]
    assert error["details"][0]["code"] == "missing"


def test_truncated_gzip_is_422(edge, writer_token):
    body = gzipped(run_event())
    response = post(edge, body[:len(body) // 2], token=writer_token, **{"Content-Encoding": "gzip"})
    error = error_of(response, 422, "invalid_request")
    assert error["details"][0]["code"] == "gzip_invalid"
    assert "truncated" in error["details"][0]["message"]


def test_gzip_of_non_json_is_422(edge, writer_token):
    response = post(edge, gzip.compress(b"this is not json"), token=writer_token,
                    **{"Content-Encoding": "gzip"})
    error = error_of(response, 422, "invalid_request")
    assert error["details"][0]["code"] == "json_invalid"


def test_gigabyte_gzip_bomb_is_413_quickly(edge, writer_token, gzip_bomb):
    assert len(gzip_bomb) < 4 << 20
    started = time.monotonic()
    response = post(edge, gzip_bomb, token=writer_token, **{"Content-Encoding": "gzip"})
    error_of(response, 413, "request_too_large")
    assert time.monotonic() - started < 5, "inflating stopped at the limit, not at a gigabyte"
    assert stack.metric(edge.url, "tokengate_http2kafka_events_rejected_total", {"reason": "too_large"}) == 1


def test_plain_body_over_the_limit_is_413(authority, topic, writer_token):
    small = http2kafka(authority.address, topic, max_body_bytes=4096)
    try:
        event = run_event()
        event["padding"] = "x" * 5000
        error_of(post(small, body_of(event), token=writer_token), 413, "request_too_large")
    finally:
        small.stop()


def test_deeply_nested_json_is_422(edge, writer_token):
    event = run_event()
    event["inputs"] = "@"
    body = body_of(event).replace(b'"@"', b"[" * 100000 + b"]" * 100000)
    error = error_of(post(edge, body, token=writer_token), 422, "invalid_request")
    assert error["details"][0]["code"] == "json_invalid"


def test_invalid_utf8_is_422(edge, writer_token):
    body = body_of(run_event(name="NAME")).replace(b"NAME", b"n\xff\xfeme")
    error = error_of(post(edge, body, token=writer_token), 422, "invalid_request")
    assert error["details"][0]["code"] == "json_invalid"


def test_missing_fields_are_listed_in_data_rentgens_shape(edge, writer_token):
    event = run_event()
    del event["eventTime"]
    event["run"]["runId"] = "not-a-uuid"
    event["eventType"] = "BEGIN"
    error = error_of(post(edge, body_of(event), token=writer_token), 422, "invalid_request")
    assert error["message"] == "Invalid request"
    by_location = {tuple(d["location"]): d for d in error["details"]}
    assert set(by_location) == {("body", "eventTime"), ("body", "eventType"), ("body", "run", "runId")}
    for detail in error["details"]:
        assert set(detail) == {"location", "message", "code", "context", "input"}
    assert by_location[("body", "eventTime")]["code"] == "missing"
    assert by_location[("body", "eventType")]["code"] == "enum"
    assert by_location[("body", "eventType")]["input"] == "BEGIN"
    assert by_location[("body", "run", "runId")]["code"] == "uuid_parsing"


def test_incomplete_parent_facet_is_422(edge, writer_token):
    event = run_event(parent={"run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "airflow"}})
    error = error_of(post(edge, body_of(event), token=writer_token), 422, "invalid_request")
    assert [d["location"] for d in error["details"]] == [["body", "run", "facets", "parent", "job", "name"]]


def test_other_methods_on_the_events_path_are_405(edge):
    response = requests.get(edge.url + EVENTS, timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_nothing_refused_reaches_the_topic(edge, topic, writer_token):
    post(edge, b"{}", token=writer_token)
    post(edge, gzipped(run_event()), token=writer_token, **{"Content-Encoding": "br"})
    post(edge, body_of(run_event()))
    accepted = post(edge, body_of(run_event()), token=writer_token)
    assert accepted.status_code == 201, accepted.text
    assert message_count(KAFKA, topic) == 1
    assert stack.metric(edge.url, "tokengate_http2kafka_events_accepted_total") == 1
    assert stack.metric(edge.url, "tokengate_http2kafka_events_rejected_total", {"reason": "invalid_event"}) == 1


# --- Kafka -----------------------------------------------------------------

def test_unreachable_kafka_is_503_once_the_message_times_out(authority, writer_token):
    closed_port = stack.free_port()
    edge = http2kafka(authority.address, "input.runs", bootstrap=f"127.0.0.1:{closed_port}",
                      kafka_message_timeout_ms=1000, retry_after_seconds=3)
    try:
        started = time.monotonic()
        response = post(edge, body_of(run_event()), token=writer_token)
        error_of(response, 503, "service_unavailable")
        assert response.headers["Retry-After"] == "3"
        assert 0.9 < time.monotonic() - started < 5
        assert stack.metric(edge.url, "tokengate_http2kafka_kafka_delivery_errors_total",
                            {"error": "UNAVAILABLE"}) == 1
    finally:
        edge.stop()


def test_full_producer_queue_is_503_at_once(authority, writer_token):
    closed_port = stack.free_port()
    edge = http2kafka(authority.address, "input.runs", bootstrap=f"127.0.0.1:{closed_port}",
                      kafka_queue_max_messages=1, kafka_message_timeout_ms=5000)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            first = pool.submit(post, edge, body_of(run_event()), writer_token)
            assert stack.eventually(
                lambda: stack.metric(edge.url, "tokengate_http2kafka_kafka_queue_depth") == 1)
            started = time.monotonic()
            error_of(post(edge, body_of(run_event()), token=writer_token), 503, "service_unavailable")
            assert time.monotonic() - started < 1, "a full queue answers at once"
            error_of(first.result(timeout=30), 503, "service_unavailable")
    finally:
        edge.stop()


def test_sigterm_answers_waiting_events_before_exiting(authority, writer_token):
    closed_port = stack.free_port()
    edge = http2kafka(authority.address, "input.runs", bootstrap=f"127.0.0.1:{closed_port}",
                      kafka_message_timeout_ms=60000, shutdown_grace_seconds=1)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(post, edge, body_of(run_event()), writer_token)
        assert stack.eventually(
            lambda: stack.metric(edge.url, "tokengate_http2kafka_kafka_queue_depth") == 1)
        started = time.monotonic()
        edge.stop()  # Asserts exit code 0.
        error_of(waiting.result(timeout=30), 503, "service_unavailable")
        assert time.monotonic() - started < 10, "the grace period bounds the shutdown"


def test_event_larger_than_kafka_takes_is_413(authority, topic, writer_token):
    edge = http2kafka(authority.address, topic, kafka_max_message_bytes=2000)
    try:
        event = run_event()
        event["padding"] = "x" * 3000
        error_of(post(edge, body_of(event), token=writer_token), 413, "request_too_large")
    finally:
        edge.stop()
    assert message_count(KAFKA, topic) == 0


def test_fire_and_forget_answers_on_enqueue_and_still_delivers(authority, topic, writer_token):
    edge = http2kafka(authority.address, topic, delivery_mode="fire-and-forget")
    try:
        for _ in range(3):
            assert post(edge, gzipped(run_event()), token=writer_token,
                        **{"Content-Encoding": "gzip"}).status_code == 201
    finally:
        edge.stop()  # SIGTERM flushes the producer.
    assert message_count(KAFKA, topic) == 3


# --- the rest of the surface -----------------------------------------------

def test_ping_needs_no_credentials(edge):
    response = requests.get(edge.url + "/monitoring/ping", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_document_is_valid_openapi_3_1(edge):
    openapi_spec_validator.validate(requests.get(edge.url + "/openapi.json", timeout=10).json())


def test_openapi_offers_http_bearer(edge):
    document = requests.get(edge.url + "/openapi.json", timeout=10).json()
    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http", "scheme": "bearer", "description": "A personal token: personal_token_..."}
    assert document["paths"][EVENTS]["post"]["security"] == [{"HTTPBearer": []}]


def test_docs_page_loads_local_swagger_assets(edge):
    page = requests.get(edge.url + "/docs", timeout=10)
    assert page.status_code == 200
    assert "/static/swagger-ui/swagger-ui-bundle.js" in page.text
    bundle = requests.get(edge.url + "/static/swagger-ui/swagger-ui-bundle.js", timeout=10)
    assert bundle.status_code == 200
    assert "javascript" in bundle.headers["Content-Type"]


def test_docs_page_forbids_framing_and_keeps_no_token(edge):
    page = requests.get(edge.url + "/docs", timeout=10)
    assert page.headers["Content-Security-Policy"] == (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in page.text
    initializer = requests.get(edge.url + "/docs/swagger-initializer.js", timeout=10)
    assert initializer.status_code == 200
    assert "persistAuthorization: false" in initializer.text


def test_only_the_swagger_ui_files_the_docs_page_uses_are_served(edge):
    for name in ["index.html", "oauth2-redirect.html", "swagger-ui-bundle.js.map", "swagger-initializer.js"]:
        response = requests.get(f"{edge.url}/static/swagger-ui/{name}", timeout=10)
        assert response.status_code == 404, name
    assert requests.get(f"{edge.url}/static/swagger-ui/swagger-ui.css", timeout=10).status_code == 200
