"""Shared by the raw-socket tests of both edges: a token authority on a fresh
database, a Kafka topic of the module's own, http2kafka on them, and a reader of HTTP answers
that does no more than Content-Length framing (as our answers are framed)."""
import os
import uuid

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

import stack


@pytest.fixture(scope="module")
def authority():
    with stack.fresh_database("tg_http") as db:
        with stack.authority(db) as service:
            yield service


@pytest.fixture(scope="module")
def topic():
    kafka = os.environ["TOKENGATE_TEST_KAFKA"]
    name = f"http-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": kafka})
    admin.create_topics([NewTopic(name, 1, 1)], request_timeout=30)[name].result(timeout=60)
    yield name
    admin.delete_topics([name], request_timeout=30)[name].result(timeout=60)


def http2kafka(authority, topic, **settings):
    """A started http2kafka on `authority` writing to `topic`."""
    env = stack.env_of({"authority_address": authority.address, "http_listen": "127.0.0.1:0",
                        "kafka_bootstrap_servers": os.environ["TOKENGATE_TEST_KAFKA"],
                        "kafka_topic": topic, **settings})
    return stack.Service("http2kafka", env).start()


class Reader:
    """Reads HTTP responses (Content-Length framed, as ours are) off a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buffer += chunk

    def response(self, to_head=False):
        """The next answer; `to_head`: the answer to a HEAD request (no body)."""
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = 0 if to_head else int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return {"version": version, "status": int(status), "headers": headers, "body": body}

    def closed(self):
        """True when the peer closed after everything read so far."""
        if self.buffer:
            return False
        try:
            return self.sock.recv(65536) == b""
        except ConnectionResetError:
            return True
