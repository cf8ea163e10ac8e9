"""A rolling restart under revocations: two authority replicas on one
database, both real edges (api and http2kafka) pointed at both. While 120
tokens are revoked one after another through the api, the replicas are killed
with SIGKILL and started again in turn, so some revocations happen while an
edge's stream is down or moving to the other replica. Every revoked token must
get 401 on both edges within a second of its 204; the maximum is asserted."""
import threading
import time

import requests

import stack
from conftest import EVENTS, body_of, http2kafka, run_event

TOKENS = 120
BOUND_SECONDS = 1.0
POLL_DEADLINE = 20.0
USER = "rolling-user"


def refused_everywhere(api, edge, content):
    headers = stack.bearer(content)
    return (requests.get(f"{api.url}/v1/users/me", headers=headers, timeout=5).status_code == 401 and
            requests.post(edge.url + EVENTS, data=body_of(run_event()), headers=headers,
                          timeout=5).status_code == 401)


class Roller:
    """Kills and restarts each replica in turn until told to stop; records
    when each replica was down."""

    def __init__(self, db, ports):
        self.db = db
        self.ports = ports
        self.replicas = [self.start(port) for port in ports]
        self.down = []  # (start, end) monotonic
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def start(self, port):
        # One owner holds all 120 tokens: beyond the default per-owner cap and hourly rate.
        return stack.authority(self.db, port=port, max_tokens_per_owner=0, max_token_creations_per_hour=0)

    def run(self):
        turn = 0
        while not self.stopping.is_set():
            i = turn % len(self.replicas)
            started = time.monotonic()
            self.replicas[i].kill()
            self.replicas[i] = self.start(self.ports[i])
            self.down.append((started, time.monotonic()))
            turn += 1
            self.stopping.wait(1.0)  # As a rolling update does: the next pod goes once this one is back.

    def stop(self):
        self.stopping.set()
        self.thread.join(60)
        for replica in self.replicas:
            replica.stop()


def test_every_revocation_reaches_both_edges_within_a_second_through_a_rolling_restart(topic):
    with stack.fresh_database("tg_rolling") as db:
        ports = [stack.free_port(), stack.free_port()]
        target = "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)
        roller = Roller(db, ports)
        api = stack.api(target)
        edge = http2kafka(target, topic)
        try:
            for service in (api, edge):
                assert stack.eventually(lambda: requests.get(f"{service.url}/monitoring/ready").status_code == 200)
            access = stack.login(api.url, USER)
            tokens = [stack.create_token(api.url, access) for _ in range(TOKENS)]
            for token in tokens:  # Every token is cached as valid on both edges.
                headers = stack.bearer(token["content"])
                assert requests.get(f"{api.url}/v1/users/me", headers=headers, timeout=5).status_code == 200
                assert requests.post(edge.url + EVENTS, data=body_of(run_event()), headers=headers,
                                     timeout=5).status_code == 201

            roller.thread.start()
            latencies, revoked_at = [], []
            for token in tokens:
                deadline = time.monotonic() + POLL_DEADLINE
                # A retry after a lost answer may find the token revoked already:
                # 404, as Data.Rentgen answers a second DELETE.
                statuses = []
                while not statuses or statuses[-1] != 204 and not (statuses[-1] == 404 and len(statuses) > 1):
                    assert time.monotonic() < deadline, f"DELETE never succeeded: {statuses[-5:]}"
                    if statuses:
                        time.sleep(0.01)
                    statuses.append(requests.delete(f"{api.url}/v1/personal-tokens/{token['id']}",
                                                    headers=stack.bearer(access), timeout=5).status_code)
                answered = time.monotonic()
                revoked_at.append(answered)
                while not refused_everywhere(api, edge, token["content"]):
                    assert time.monotonic() < answered + POLL_DEADLINE, "a revoked token is still accepted"
                    time.sleep(0.005)
                latencies.append(time.monotonic() - answered)
            roller.stopping.set()
            roller.thread.join(60)

            during_downtime = sum(1 for t in revoked_at if any(start <= t <= end for start, end in roller.down))
            print(f"{len(latencies)} revocations, {len(roller.down)} replica restarts, {during_downtime} "
                  f"revoked while a replica was down; slowest 401 {max(latencies):.3f} s "
                  f"after the 204, mean {sum(latencies) / len(latencies):.3f} s")
            assert len(roller.down) >= 2, "the replicas were not each restarted"
            assert during_downtime > 0, "no revocation happened during a restart"
            assert max(latencies) <= BOUND_SECONDS
        finally:
            for service in (edge, api):
                service.stop()
            roller.stop()
