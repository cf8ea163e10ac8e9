"""Both edges (real api and http2kafka processes, not restarted) through an
authority killed with SIGKILL and started again on the same port. Tokens
revoked while it was down (through a second replica on the same database)
are replayed to the edges' resumed streams: each gets 401 on both edges within
a second of the authority listening again. A token the edges never saw, and
DELETE, work within a second too; the token deleted then is 401 on both edges
within a second of its 204. Every bound is measured, then asserted."""
import time

import requests

import authority_grpc
import stack
from conftest import EVENTS, body_of, http2kafka, run_event

BOUND_SECONDS = 1.0  # The bound for all of the above.
POLL_DEADLINE = 20.0  # How long to keep polling before calling it a failure.
USER = "restart-user"


def me(api, token):
    return requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(token), timeout=5).status_code


def post(edge, token):
    return requests.post(edge.url + EVENTS, data=body_of(run_event()), headers=stack.bearer(token),
                         timeout=5).status_code


def ready(service):
    return requests.get(f"{service.url}/monitoring/ready", timeout=5).status_code


def seconds_until(condition, since):
    """Polls `condition` until it holds; returns how long after `since` that was."""
    deadline = time.monotonic() + POLL_DEADLINE
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.01)
    return time.monotonic() - since


def test_revocations_and_requests_recover_within_a_second_of_an_authority_restart(topic):
    with stack.fresh_database("tg_restart") as db:
        port = stack.free_port()
        authority = stack.authority(db, port=port)
        replica = stack.authority(db)
        api = stack.api(f"127.0.0.1:{port}")
        edge = http2kafka(f"127.0.0.1:{port}", topic)
        try:
            for service in (api, edge):
                assert stack.eventually(lambda: ready(service) == 200), "the edge never became ready"
            access = stack.login(api.url, USER)
            meanwhile = [stack.create_token(api.url, access) for _ in range(5)]
            deleted_later = stack.create_token(api.url, access)
            unseen = stack.create_token(api.url, access)
            for token in meanwhile + [deleted_later]:
                assert me(api, token["content"]) == 200 and post(edge, token["content"]) == 201

            authority.kill()
            for service in (api, edge):
                assert stack.eventually(lambda: ready(service) == 503), "readiness ignores the lost stream"
            stub = authority_grpc.stub(replica.address)
            for token in meanwhile:
                stub.RevokeToken(authority_grpc.pb.RevokeTokenRequest(user_name=USER, token_id=token["id"]),
                                 timeout=10)
            authority = stack.authority(db, port=port)
            listening = time.monotonic()  # start() returns once the authority has said it listens.

            replayed = max(seconds_until(lambda: me(api, t["content"]) == 401 and post(edge, t["content"]) == 401,
                                         listening) for t in meanwhile)
            unseen_works = seconds_until(lambda: me(api, unseen["content"]) == 200, listening)
            delete = requests.delete
            delete_works = seconds_until(
                lambda: delete(f"{api.url}/v1/personal-tokens/{deleted_later['id']}",
                               headers=stack.bearer(access), timeout=5).status_code == 204, listening)
            deleted_at = time.monotonic()
            deleted_refused = seconds_until(
                lambda: me(api, deleted_later["content"]) == 401 and post(edge, deleted_later["content"]) == 401,
                deleted_at)
            print(f"after the restart: revoked-meanwhile 401 at {replayed:.3f} s, unseen token 200 at "
                  f"{unseen_works:.3f} s, DELETE 204 at {delete_works:.3f} s; deleted token 401 "
                  f"{deleted_refused:.3f} s after its 204")
            assert replayed <= BOUND_SECONDS
            assert unseen_works <= BOUND_SECONDS
            assert delete_works <= BOUND_SECONDS
            assert deleted_refused <= BOUND_SECONDS
            assert stack.metric(api.url, "tokengate_revocation_watch_resets_total") == 0, "resumed, not reset"
        finally:
            for service in (edge, api, replica, authority):
                service.stop()
