"""Revocation fan-out at simulated scale: STREAMS concurrent WatchRevocations
streams (as that many edge replicas would hold) from this one process against
one authority; REVOCATIONS tokens revoked one after another; for each
(stream, revocation) the time from the RevokeToken call to the event on the
stream. Then the authority is stopped, a few tokens are revoked through a
second replica while it is away, and it is started again on the same port:
every stream must resume from its own position and receive every revocation
it missed, none twice. Also the authority's RSS and CPU per stream.

The streams are held by revocation_fanout_client (C++: a Python client
would measure itself receiving 100,000 events); times on both sides are
CLOCK_MONOTONIC.

usage: revocation_fanout.py DATABASE_URL AUTHORITY_BINARY CLIENT_BINARY  (run by revocation_fanout_bench.sh)
Prints a Markdown table; exits non-zero if a revocation is missed.
"""
import os
import re
import statistics
import subprocess
import sys
import threading
import time

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import authority_grpc  # noqa: E402
import stack  # noqa: E402
from authority_grpc import pb, pb_grpc  # noqa: E402

STREAMS = int(os.environ.get("BENCH_STREAMS", "1000"))
REVOCATIONS = int(os.environ.get("BENCH_REVOCATIONS", "100"))
MISSED_WHILE_DOWN = 10
PAUSE = float(os.environ.get("BENCH_REVOKE_PAUSE_SECONDS", "0.05"))
CHANNELS = 8  # HTTP/2 connections the streams share, as several edge pods would
TICKS = os.sysconf("SC_CLK_TCK")
SECRET = "bench-secret-0123456789-0123456789-abcdef"


def progress(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Authority(stack.Service):
    """The authority on a port of its own that a restart keeps (the streams resume there), with its RSS
    and CPU time."""

    def __init__(self, binary, database_url, port):
        super().__init__("token-authority", stack.env_of({
            "database_url": database_url, "secret_key": SECRET, "grpc_listen": f"127.0.0.1:{port}",
            "max_token_creations_per_hour": 0}))
        self.binary = binary

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


class Watchers:
    """The bench process holding the streams (revocation_fanout_client), and what it received."""

    def __init__(self, client, port):
        self.process = subprocess.Popen([client, f"127.0.0.1:{port}", str(STREAMS), str(CHANNELS)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.live = threading.Event()
        self.lock = threading.Condition()
        self.done = set()  # Token ids every stream has received.
        self.received = {}  # (stream, token id) -> CLOCK_MONOTONIC ns, once the client has stopped
        self.duplicates = 0
        self.resets = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            parts = line.split()
            with self.lock:
                if parts == ["live"]:
                    self.live.set()
                elif parts[0] == "done":
                    self.done.add(parts[1])
                    self.lock.notify_all()
                elif parts[0] == "duplicates":
                    self.duplicates = int(parts[1])
                elif parts[0] == "resets":
                    self.resets = int(parts[1])
                else:
                    self.received[(int(parts[0]), parts[1])] = int(parts[2])

    def everyone_has(self, ids, timeout):
        with self.lock:
            return self.lock.wait_for(lambda: self.done.issuperset(ids), timeout=timeout)

    def stop(self):
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0
        self.reader.join(timeout=10)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(database_url, binary, client):
    authority = Authority(binary, database_url, stack.free_port())
    replica = Authority(binary, database_url, stack.free_port())  # Revokes while the first is away.
    try:
        measure(authority.start(), replica.start(), client)
    finally:
        authority.kill()
        replica.kill()


def measure(authority, replica, client):
    control = pb_grpc.TokenAuthorityStub(grpc.insecure_channel(f"127.0.0.1:{authority.port}"))
    via_replica = pb_grpc.TokenAuthorityStub(grpc.insecure_channel(f"127.0.0.1:{replica.port}"))
    run = time.time_ns()  # The database outlives a run; names must not clash with an earlier one's.
    tokens = []
    for i in range(REVOCATIONS + MISSED_WHILE_DOWN):
        issued = control.IssueToken(pb.IssueTokenRequest(user_name=f"fanout-{i % 20}", name=f"t{i}-{run}"),
                                    timeout=30)
        tokens.append((f"fanout-{i % 20}", issued.token.id))
    progress("tokens issued")

    rss_before = authority.rss_kib()
    opened = time.monotonic()
    watchers = Watchers(client, authority.port)
    try:
        assert watchers.live.wait(timeout=120), "the streams did not all open"
        open_seconds = time.monotonic() - opened
        progress("streams live")
        rss_streams = authority.rss_kib()
        cpu_start, idle_start = authority.cpu_seconds(), time.monotonic()
        time.sleep(10)  # Heartbeats only: what idle streams cost.
        idle_cpu = (authority.cpu_seconds() - cpu_start) / (time.monotonic() - idle_start)

        # Live revocations, one every PAUSE seconds.
        sent = {}
        cpu_start, busy_start = authority.cpu_seconds(), time.monotonic()
        for user, token_id in tokens[:REVOCATIONS]:
            sent[token_id] = time.monotonic_ns()
            control.RevokeToken(pb.RevokeTokenRequest(user_name=user, token_id=token_id), timeout=30)
            time.sleep(PAUSE)
        live_ids = [t for _, t in tokens[:REVOCATIONS]]
        assert watchers.everyone_has(live_ids, 120), "a live revocation did not reach every stream"
        busy_cpu = authority.cpu_seconds() - cpu_start
        busy_seconds = time.monotonic() - busy_start
        progress("live revocations seen")

        # The authority goes away; revocations go on through the replica; it comes back on the same port.
        down = time.monotonic()
        authority.stop()
        stop_seconds = time.monotonic() - down
        for user, token_id in tokens[REVOCATIONS:]:
            via_replica.RevokeToken(pb.RevokeTokenRequest(user_name=user, token_id=token_id), timeout=30)
        authority.start()
        restarted = time.monotonic()
        missed_ids = [t for _, t in tokens[REVOCATIONS:]]
        caught_up = watchers.everyone_has(missed_ids, 120)
        catch_up_seconds = time.monotonic() - restarted
        progress("after restart")
    finally:
        watchers.stop()
    missing = sum(1 for s in range(STREAMS) for t in live_ids + missed_ids if (s, t) not in watchers.received)
    delays = [(watchers.received[(s, t)] - sent[t]) / 1e9 for s in range(STREAMS) for t in live_ids]
    authority.stop()
    replica.stop()

    print("| streams | revocations | all open after (s) | p50 ms | p99 ms | max ms | authority RSS / stream | "
          "CPU / stream, idle | CPU / stream and revocation |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {STREAMS} | {REVOCATIONS}, one per {PAUSE * 1000:.0f} ms | {open_seconds:.1f} | "
          f"{statistics.median(delays) * 1000:.1f} | {percentile(delays, 99) * 1000:.1f} | {max(delays) * 1000:.1f} | "
          f"{(rss_streams - rss_before) / STREAMS:.1f} KiB ({rss_before // 1024} → {rss_streams // 1024} MiB) | "
          f"{idle_cpu / STREAMS * 1e6:.1f} µs/s | {busy_cpu / (STREAMS * REVOCATIONS) * 1e6:.1f} µs "
          f"({busy_cpu / busy_seconds * 100:.0f} % of a core) |")
    print()
    print(f"| restart mid-run | SIGTERM to exit, {STREAMS:,} streams open (s) | revoked while away | "
          "every stream caught up after the restart (s) | missed | duplicates | resets |")
    print("|---|---|---|---|---|---|---|")
    print(f"| SIGTERM, {MISSED_WHILE_DOWN} revoked through a replica, start on the same port "
          f"(down {restarted - down:.1f} s) | {stop_seconds:.2f} | {MISSED_WHILE_DOWN} | "
          f"{catch_up_seconds:.2f} | {missing} | {watchers.duplicates} | {watchers.resets} |")
    if not caught_up or missing or watchers.duplicates or watchers.resets:
        sys.exit("revocations were missed, repeated or reset across the restart")


if __name__ == "__main__":
    main(*sys.argv[1:4])
