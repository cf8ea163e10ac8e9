"""HTTP/1.1 conformance of both edges over raw sockets (no HTTP library to
smooth things over): persistent connections by default, Connection: close and
HTTP/1.0, pipelining (also behind an answer that waits for Kafka), every
desync vector answered once with a JSON error and closed, limits, and slow or
idle clients timed out. The request smuggled behind each vector must never
reach a handler: /metrics' count of /monitoring/ping answers must not move."""
import gzip
import json
import socket
import time
import uuid

import pytest

import authority_grpc
import stack
from conftest import Reader, http2kafka

PING = b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\n\r\n"
PING_200 = {"route": "/monitoring/ping", "method": "GET", "status": "200"}
TIMEOUTS = {"http_header_timeout_seconds": 1, "http_idle_timeout_seconds": 2}


@pytest.fixture(scope="module")
def api(authority):
    with stack.api(authority.address, **TIMEOUTS) as service:
        yield service


@pytest.fixture(scope="module")
def h2k(authority, topic):
    with http2kafka(authority, topic, **TIMEOUTS) as service:
        yield service


@pytest.fixture(params=["api", "http2kafka"])
def edge(request):
    return request.getfixturevalue("api" if request.param == "api" else "h2k")


def connect(edge):
    sock = socket.create_connection(("127.0.0.1", int(edge.url.rsplit(":", 1)[1])), timeout=10)
    return sock


def ping_count(edge):
    return stack.metric(edge.url, "tokengate_http_requests_total", PING_200) or 0


def test_http11_connection_persists_without_a_connection_header(edge):
    with connect(edge) as sock:
        reader = Reader(sock)
        for _ in range(3):
            sock.sendall(PING)
            answer = reader.response()
            assert answer["status"] == 200
            assert "connection" not in answer["headers"]


def test_connection_close_is_honoured(edge):
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = reader.response()
        assert answer["status"] == 200
        assert answer["headers"]["connection"] == "close"
        assert reader.closed()


def test_http10_closes_unless_keep_alive(edge):
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(b"GET /monitoring/ping HTTP/1.0\r\n\r\n")
        assert reader.response()["headers"]["connection"] == "close"
        assert reader.closed()
    with connect(edge) as sock:
        reader = Reader(sock)
        for _ in range(2):
            sock.sendall(b"GET /monitoring/ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            answer = reader.response()
            assert answer["status"] == 200
            assert answer["headers"]["connection"] == "keep-alive"


def test_head_is_answered_with_get_headers_and_no_body(edge):
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(b"HEAD /monitoring/ping HTTP/1.1\r\nHost: x\r\n\r\n" + PING)
        head = reader.response(to_head=True)
        assert head["status"] == 200
        assert head["headers"]["content-length"] == str(len(b'{"status":"ok"}'))
        assert reader.response()["body"] == b'{"status":"ok"}'


def test_pipelined_requests_are_answered_in_order(edge):
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(b"".join(
            f"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\nX-Request-ID: pipe-{i}\r\n\r\n".encode()
            for i in range(5)))
        ids = [reader.response()["headers"]["x-request-id"] for _ in range(5)]
        assert ids == [f"pipe-{i}" for i in range(5)]


def test_an_answer_from_kafka_keeps_its_place_in_the_pipeline(h2k, authority):
    token = authority_grpc.stub(authority.address).IssueToken(
        authority_grpc.pb.IssueTokenRequest(user_name="writer", name=f"t-{uuid.uuid4().hex[:8]}"),
        timeout=10).content
    event = gzip.compress(json.dumps({
        "eventTime": "2026-01-01T00:00:00Z", "eventType": "START",
        "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "ns", "name": "job"},
        "producer": "test"}).encode())
    post = (b"POST /v1/openlineage HTTP/1.1\r\nHost: x\r\nX-Request-ID: event-1\r\n"
            b"Content-Encoding: gzip\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\n"
            b"Content-Length: " + str(len(event)).encode() + b"\r\n\r\n" + event)
    with connect(h2k) as sock:
        reader = Reader(sock)
        sock.sendall(post + b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\nX-Request-ID: ping-2\r\n\r\n")
        first, second = reader.response(), reader.response()
        assert (first["status"], first["headers"]["x-request-id"]) == (201, "event-1")
        assert (second["status"], second["headers"]["x-request-id"]) == (200, "ping-2")


CHUNKED = b"POST /monitoring/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
VECTORS = {
    "unknown_method": (b"BREW /monitoring/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 38\r\n\r\n", 501),
    "malformed_request_line": (b"GET  /monitoring/ping HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "lowercase_method": (b"get /monitoring/ping HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    "bad_version": (b"GET /monitoring/ping HTTP/1.2x\r\nHost: x\r\n\r\n", 400),
    "http2_version": (b"GET /monitoring/ping HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    "bare_lf": (b"GET /monitoring/ping HTTP/1.1\nHost: x\n\n", 400),
    "content_length_and_chunked": (
        b"POST /monitoring/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "differing_content_lengths": (
        b"POST /monitoring/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n", 400),
    "content_length_list": (b"POST /monitoring/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 44\r\n\r\n", 400),
    "signed_content_length": (b"POST /monitoring/ping HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n\r\n", 400),
    "unknown_transfer_coding": (b"POST /monitoring/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", 501),
    "chunked_not_last": (b"POST /monitoring/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 501),
    "te_in_http10": (b"POST /monitoring/ping HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "bad_chunk_size": (CHUNKED + b"0x0\r\n\r\n", 400),
    "negative_chunk_size": (CHUNKED + b"-1\r\n\r\n", 400),
    "bad_chunk_extension": (CHUNKED + b"0;\r\n\r\n", 400),
    "chunk_extension_bare_quote": (CHUNKED + b"0;a=\"b\r\n\r\n", 400),
    "chunk_data_without_crlf": (CHUNKED + b"1\r\nab\r\n0\r\n\r\n", 400),
    "obs_fold": (b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400),
    "space_before_colon": (b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\nContent-Length : 44\r\n\r\n", 400),
    "missing_host": (b"GET /monitoring/ping HTTP/1.1\r\n\r\n", 400),
    "two_hosts": (b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
    "control_character": (b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    "too_many_headers": (b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\n"
                         + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n", 431),
    "headers_too_large": (b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 40000 + b"\r\n\r\n", 431),
    "request_line_too_long": (b"GET /monitoring/ping?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    "body_over_the_limit": (b"POST /monitoring/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n", 413),
}


@pytest.mark.parametrize("vector", sorted(VECTORS))
def test_desync_vector_is_answered_once_and_closed(edge, vector):
    first, status = VECTORS[vector]
    before = ping_count(edge)
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(first + PING)
        answer = reader.response()
        assert answer["status"] == status, answer["body"]
        assert answer["headers"]["connection"] == "close"
        assert answer["headers"]["x-request-id"]
        assert answer["headers"]["content-type"] == "application/json"
        assert json.loads(answer["body"])["error"]["message"]
        assert reader.closed()
    assert ping_count(edge) == before


def test_bytes_sent_after_the_error_are_never_run(edge):
    """The issue's report: the smuggled request arrives in a later packet."""
    before = ping_count(edge)
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(VECTORS["unknown_method"][0])
        assert reader.response()["status"] == 501
        try:
            sock.sendall(PING)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert reader.closed()
    assert ping_count(edge) == before


def test_refusals_are_counted_by_reason(edge):
    before = stack.metric(edge.url, "tokengate_http_rejected_total", {"reason": "cl_and_te"}) or 0
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(VECTORS["content_length_and_chunked"][0])
        assert reader.response()["status"] == 400
    assert stack.eventually(lambda: stack.metric(edge.url, "tokengate_http_rejected_total",
                                                 {"reason": "cl_and_te"}) == before + 1)


def test_chunked_body_with_extensions_and_trailers_is_accepted(api):
    with connect(api) as sock:
        reader = Reader(sock)
        sock.sendall(b"POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                     b"9;ext=\"v\"\r\nusername=\r\n1c\r\nchunky&password=any-password\r\n"
                     b"0\r\nX-Trailer: t\r\n\r\n" + PING)
        assert reader.response()["status"] == 200
        assert reader.response()["status"] == 200


def test_expect_100_continue_is_answered_before_the_body(edge):
    """A client that sends `Expect: 100-continue` waits for the interim answer
    before its body (curl: 1 s, then it sends the body anyway)."""
    body = b"x" * 2048
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(b"POST /monitoring/ping HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        interim = reader.response()  # Before any body byte is sent (the socket's timeout is 10 s).
        assert (interim["version"], interim["status"], interim["body"]) == ("HTTP/1.1", 100, b"")
        sock.sendall(body + PING)
        assert reader.response()["status"] >= 400  # The route is GET only; what matters is one final answer.
        assert reader.response()["status"] == 200
        assert reader.buffer == b""


def test_slow_headers_time_out_with_408(edge):
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(b"GET /monitoring/ping HTTP/1.1\r\nHost: x\r\n")
        answer = reader.response()
        assert answer["status"] == 408
        assert json.loads(answer["body"])["error"]["code"] == "request_timeout"
        assert reader.closed()


def test_slow_headers_cannot_be_kept_alive_by_dribbling(edge):
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(b"GET /monitoring/ping HTTP/1.1\r\n")
        deadline = time.monotonic() + 10
        answer = None
        sock.settimeout(0.3)
        while answer is None and time.monotonic() < deadline:
            try:
                sock.sendall(b"X: y\r\n")
                answer = reader.response()
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        assert answer is not None and answer["status"] == 408


def test_idle_connection_is_closed(edge):
    with connect(edge) as sock:
        reader = Reader(sock)
        sock.sendall(PING)
        assert reader.response()["status"] == 200
        assert reader.closed()
