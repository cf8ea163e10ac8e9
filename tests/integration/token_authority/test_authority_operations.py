"""Operating the token authority: its /metrics port (per-RPC counts and
latency, Verify answers by result, watch streams, the outboxes, key ids,
build info) and SIGTERM, which must not wait for idle client connections
(one idle channel used to hold the whole shutdown grace) but must let an
RPC in flight finish. Real processes, PostgreSQL and gRPC channels."""
import re
import signal
import subprocess
import threading
import time
import uuid

import grpc
import pytest
import requests

import stack
from authority_grpc import pb, pb_grpc

METRICS_LINE = re.compile(r"token-authority metrics listening on port (\d+)")


def metrics_url(authority):
    match = stack.eventually(lambda: METRICS_LINE.search(authority.log()), timeout=10)
    assert match, "the authority should say where its metrics port listens:\n" + authority.log()[-2000:]
    return f"http://127.0.0.1:{match.group(1)}"


@pytest.fixture
def db():
    with stack.fresh_database("tg_ops") as url:
        yield url


def issue(stub, user="alice"):
    return stub.IssueToken(pb.IssueTokenRequest(user_name=user, name=f"t-{uuid.uuid4().hex[:8]}"), timeout=10)


def test_metrics_count_rpcs_by_code_and_verify_answers_by_result(db):
    with stack.authority(db, metrics_listen="127.0.0.1:0") as authority:
        url = metrics_url(authority)
        with grpc.insecure_channel(authority.address) as channel:
            stub = pb_grpc.TokenAuthorityStub(channel)
            created = issue(stub)
            assert stub.VerifyToken(pb.VerifyTokenRequest(token=created.content), timeout=10).valid
            forged = created.content[:-4] + ("AAAA" if not created.content.endswith("AAAA") else "BBBB")
            assert not stub.VerifyToken(pb.VerifyTokenRequest(token=forged), timeout=10).valid
            stub.RevokeToken(pb.RevokeTokenRequest(user_name="alice", token_id=created.token.id), timeout=10)
            answer = stub.VerifyToken(pb.VerifyTokenRequest(token=created.content), timeout=10)
            assert answer.revoked
            with pytest.raises(grpc.RpcError) as refused:
                stub.GetToken(pb.GetTokenRequest(user_name="alice", token_id=str(uuid.uuid4())), timeout=10)
            assert refused.value.code() == grpc.StatusCode.NOT_FOUND

            assert stack.metric(url, "tokengate_authority_rpcs_total", {"method": "IssueToken", "code": "OK"}) == 1
            assert stack.metric(url, "tokengate_authority_rpcs_total", {"method": "VerifyToken", "code": "OK"}) == 3
            assert stack.metric(url, "tokengate_authority_rpcs_total",
                                {"method": "GetToken", "code": "NOT_FOUND"}) == 1
            assert stack.metric(url, "tokengate_authority_rpc_duration_seconds_count", {"method": "VerifyToken"}) == 3
            for result in ("valid", "bad_signature", "revoked"):
                assert stack.metric(url, "tokengate_authority_verify_results_total", {"result": result}) == 1, result
            assert stack.metric(url, "tokengate_authority_signing_key_info", {"kid": "", "newest": "true"}) == 1
            text = requests.get(f"{url}/metrics", timeout=10).text
            assert re.search(r'^tokengate_build_info\{program="token-authority",version="[^"]+",revision="[^"]+"\} 1$',
                             text, re.M), text
            assert created.content not in text and stack.AUTHORITY_SECRET not in text


def test_metrics_follow_watch_streams_and_the_revocation_log(db):
    with stack.authority(db, metrics_listen="127.0.0.1:0") as authority:
        url = metrics_url(authority)
        with grpc.insecure_channel(authority.address) as channel:
            stub = pb_grpc.TokenAuthorityStub(channel)
            stream = stub.WatchRevocations(pb.WatchRevocationsRequest())
            next(stream)  # The opening heartbeat: the stream is live.
            assert stack.metric(url, "tokengate_authority_watch_streams") == 1
            created = issue(stub)
            stub.RevokeToken(pb.RevokeTokenRequest(user_name="alice", token_id=created.token.id), timeout=10)
            assert next(stream).token_id == created.token.id
            assert stack.eventually(lambda: stack.metric(url, "tokengate_authority_revocation_position") >= 1)
            # Audit records wait in PostgreSQL (no Kafka configured): no outbox to report.
            assert "tokengate_authority_audit_outbox_rows" not in requests.get(f"{url}/metrics", timeout=10).text
            stream.cancel()
        assert stack.eventually(lambda: stack.metric(url, "tokengate_authority_watch_streams") == 0)


def test_audit_outbox_depth_and_age_are_reported_while_kafka_is_away(db):
    # A broker address nothing listens on: records stay in the outbox.
    with stack.authority(db, metrics_listen="127.0.0.1:0", audit_kafka_brokers=f"127.0.0.1:{stack.free_port()}",
                         metrics_refresh_seconds=1) as authority:
        url = metrics_url(authority)
        with grpc.insecure_channel(authority.address) as channel:
            issue(pb_grpc.TokenAuthorityStub(channel))
        # Ten minutes old, as if Kafka had been away that long (the table refuses changes otherwise).
        stack.psql(db, "ALTER TABLE audit_event DISABLE TRIGGER USER; "
                       "UPDATE audit_event SET at = now() - interval '10 minutes'; "
                       "ALTER TABLE audit_event ENABLE TRIGGER USER")
        assert stack.eventually(lambda: stack.metric(url, "tokengate_authority_audit_outbox_rows") >= 1)
        assert stack.eventually(lambda: stack.metric(url, "tokengate_authority_audit_outbox_oldest_seconds") >= 600)


def test_notices_are_counted_by_channel_and_state(db):
    with stack.authority(db, metrics_listen="127.0.0.1:0", metrics_refresh_seconds=1) as authority:
        url = metrics_url(authority)
        with grpc.insecure_channel(authority.address) as channel:
            created = issue(pb_grpc.TokenAuthorityStub(channel))
        stack.psql(db, f"INSERT INTO token_notice (token_id, kind, channel, state) VALUES "
                       f"('{created.token.id}', 'leak', 'webhook', 'failed'), "
                       f"('{created.token.id}', 'expiry', 'email', 'pending')")
        assert stack.eventually(lambda: stack.metric(url, "tokengate_authority_notices",
                                                     {"channel": "webhook", "state": "failed"}) == 1)
        assert stack.metric(url, "tokengate_authority_notices", {"channel": "email", "state": "pending"}) == 1


def test_sigterm_with_an_idle_channel_open_exits_within_a_second(db):
    authority = stack.authority(db)
    channel = grpc.insecure_channel(authority.address)
    try:
        issue(pb_grpc.TokenAuthorityStub(channel))  # Connected, then idle.
        started = time.monotonic()
        authority.stop()
        elapsed = time.monotonic() - started
        assert elapsed < 1.0, f"SIGTERM took {elapsed:.2f}s with an idle channel open"
    finally:
        authority.kill()
        channel.close()


def test_sigterm_lets_an_rpc_in_flight_finish_then_exits(db):
    authority = stack.authority(db)
    channel = grpc.insecure_channel(authority.address)
    # A transaction holding the token table makes ListTokens wait inside the authority.
    locker = subprocess.Popen(["psql", db, "-v", "ON_ERROR_STOP=1", "-q"], stdin=subprocess.PIPE, text=True)
    try:
        stub = pb_grpc.TokenAuthorityStub(channel)
        issue(stub)
        locker.stdin.write("BEGIN; LOCK TABLE personal_token IN ACCESS EXCLUSIVE MODE;\n")
        locker.stdin.flush()
        assert stack.eventually(lambda: stack.psql(db, "SELECT count(*) FROM pg_locks l JOIN pg_class c "
                                                       "ON c.oid = l.relation WHERE c.relname = 'personal_token' "
                                                       "AND l.mode = 'AccessExclusiveLock' AND l.granted") == "1")
        call = stub.ListTokens.future(pb.ListTokensRequest(user_name="alice"), timeout=30)
        assert stack.eventually(lambda: stack.psql(db, "SELECT count(*) FROM pg_stat_activity WHERE "
                                                       "wait_event_type = 'Lock' AND query LIKE '%personal_token%'")
                                != "0")
        authority.process.send_signal(signal.SIGTERM)
        assert stack.eventually(lambda: "draining" in authority.log())
        assert authority.running() and not call.done()
        locker.stdin.write("COMMIT;\n")
        locker.stdin.flush()
        assert len(call.result().tokens) == 1
        assert authority.process.wait(timeout=5) == 0
    finally:
        locker.stdin.close()
        locker.wait(timeout=10)
        authority.kill()
        channel.close()
