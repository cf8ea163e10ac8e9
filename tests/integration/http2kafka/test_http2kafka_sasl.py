"""http2kafka on the test broker's SASL_PLAINTEXT listener (PLAIN), as on a
managed Kafka: with the right password an event reaches the topic; with a
wrong one the client gets 503, the log says why, and nothing is written.
The test reads the topic through the plaintext listener."""
import os

import requests

import stack
from conftest import EVENTS, KAFKA, body_of, http2kafka, message_count, read_messages, run_event

SASL_BOOTSTRAP = os.environ["TOKENGATE_TEST_KAFKA_SASL"]


def sasl_edge(authority, topic, password):
    return http2kafka(authority.address, topic, bootstrap=SASL_BOOTSTRAP,
                      kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN",
                      kafka_sasl_username=os.environ["TOKENGATE_TEST_KAFKA_SASL_USER"],
                      kafka_sasl_password=password)


def post(edge, event, token):
    return requests.post(edge.url + EVENTS, data=body_of(event),
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_event_reaches_the_topic_through_a_sasl_listener(authority, topic, writer_token):
    password = os.environ["TOKENGATE_TEST_KAFKA_SASL_PASSWORD"]
    with sasl_edge(authority, topic, password) as edge:
        event = run_event(name="through-sasl")
        response = post(edge, event, writer_token)
        assert response.status_code == 201, response.text + edge.log()
        (message,) = read_messages(KAFKA, topic, 1)
        assert message.value() == body_of(event)
        assert "TOKENGATE_KAFKA_SASL_PASSWORD=<set>" in edge.log()
        assert password not in edge.log()


def test_wrong_sasl_password_is_503_said_in_the_log_and_writes_nothing(authority, topic, writer_token):
    with sasl_edge(authority, topic, "not-the-password") as edge:
        response = post(edge, run_event(name="refused"), writer_token)
        assert response.status_code == 503, response.text
        assert stack.eventually(lambda: "Authentication failed" in edge.log()), edge.log()
    assert message_count(KAFKA, topic) == 0
