"""`make run`'s stack (deploy/local/run.sh), started as `make run` starts it
but in a temp .local/ on free ports: nothing on it is open to another local
user. The authority speaks mutual TLS with a caller policy (a plaintext
client, a foreign CA's certificate and a certificate without the rights are
refused; the CLI's certificate from stack.env works); PostgreSQL wants the
password run.sh generated, and a cluster an earlier run made with `trust` is
upgraded with its data; the banner's commands and openlineage.yaml work as
printed; a restart keeps the data; INSECURE_LOCAL_GRPC=1 is the only way to
plaintext and says what it gives away."""
import os
import pathlib
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import textwrap
import uuid

import grpc
import pytest
import requests

import stack
from authority_grpc import pb, pb_grpc

ROOT = pathlib.Path(__file__).resolve().parents[2]
KAFKA_LIBS = pathlib.Path(os.environ.get("TOKENGATE_LOCAL_DIR", ROOT / ".local")) / "kafka" / "libs"
VENV_PYTHON = pathlib.Path(os.environ.get("TOKENGATE_TEST_VENV", ROOT / ".local/venv")) / "bin" / "python"
START_TIMEOUT = 240  # Kafka's JVM alone may take a minute on a loaded 2-core machine


def free_port_pair():
    """A free port whose successor is free too (Kafka's controller listens on port + 1)."""
    while True:
        port = stack.free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


class LocalStack:
    """run.sh and stop.sh with their own .local/ and ports, as `make run` / `make stop` run them."""

    def __init__(self, local):
        self.local = local
        self.ports = {"PG": stack.free_port(), "KAFKA": free_port_pair(), "KAFKA_CLUSTER": stack.free_port(),
                      "AUTHORITY": stack.free_port(), "AUTHORITY_METRICS": stack.free_port(),
                      "API": stack.free_port(), "HTTP2KAFKA": stack.free_port(), "CONSUMER": stack.free_port()}
        self.process = None
        self.output = ""

    def env(self, **extra):
        # Nothing of the test runner's own PostgreSQL and Kafka (PG_*, KAFKA_*) may leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "KAFKA_", "TOKENGATE_"))}
        env.update({f"TOKENGATE_RUN_{name}_PORT": str(port) for name, port in self.ports.items()})
        env.update({"TOKENGATE_LOCAL_DIR": str(self.local), "BUILD_DIR": str(stack.BUILD), "AUTH": "dummy",
                    "PG_FSYNC": "off"})
        env.update(extra)
        return env

    def start(self, **extra):
        log = self.local / f"run-{uuid.uuid4().hex[:6]}.out"
        with open(log, "w") as out:
            self.process = subprocess.Popen([str(ROOT / "deploy/local/run.sh")], env=self.env(**extra),
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

        def ready():
            self.output = log.read_text()
            return "tokengate is running" in self.output or self.process.poll() is not None

        stack.eventually(ready, timeout=START_TIMEOUT, interval=0.2)
        assert "tokengate is running" in self.output, f"run.sh did not start the stack:\n{self.output}"
        return self

    def stop(self):
        subprocess.run([str(ROOT / "deploy/local/stop.sh")], env=self.env(), capture_output=True, timeout=120)
        if self.process is not None:
            try:
                assert self.process.wait(timeout=30) == 0, "run.sh should end cleanly after make stop"
            finally:
                if self.process.poll() is None:
                    os.killpg(self.process.pid, signal.SIGKILL)
            self.process = None

    def stack_env(self):
        lines = (self.local / "stack.env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def shell_env(self):
        """What a user's shell has after the banner's `set -a; . stack.env; set +a`."""
        return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "USER": "ops-dave",
                **self.stack_env()}

    @property
    def authority(self):
        return f"127.0.0.1:{self.ports['AUTHORITY']}"

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.ports['API']}"

    def psql(self, sql, env):
        return subprocess.run(["psql", "-w", "-h", "127.0.0.1", "-p", str(self.ports["PG"]), "-U", "postgres",
                               "-d", "tokengate", "-qtAc", sql], env=env, capture_output=True, text=True,
                              timeout=30)


def make_trusting_cluster(local_stack):
    """A .local/postgres as make run made it before passwords: trust, with data in it."""
    env = {**local_stack.env(), "PG_DIR": str(local_stack.local / "postgres"),
           "PG_PORT": str(local_stack.ports["PG"])}
    postgres_sh = str(ROOT / "deploy/local/postgres.sh")
    subprocess.run([postgres_sh, "start"], env=env, check=True, capture_output=True)
    subprocess.run([postgres_sh, "createdb", "tokengate"], env=env, check=True, capture_output=True)
    made = local_stack.psql("CREATE TABLE kept_from_before (note text); INSERT INTO kept_from_before "
                            "VALUES ('made with trust')", env={"PATH": os.environ["PATH"]})
    assert made.returncode == 0, made.stderr
    subprocess.run([postgres_sh, "stop"], env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def local():
    # Not under pytest's 0700 temp root: PostgreSQL runs as its own OS user and must reach its folder.
    directory = pathlib.Path(tempfile.mkdtemp(prefix="tokengate-local-"))
    directory.chmod(0o755)
    (directory / "kafka").mkdir()
    (directory / "kafka" / "libs").symlink_to(KAFKA_LIBS.resolve())
    local_stack = LocalStack(directory)
    try:
        make_trusting_cluster(local_stack)
        local_stack.start()
        yield local_stack
    finally:
        local_stack.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def alice_token(local):
    access = stack.login(local.api_url, "alice")
    return stack.create_token(local.api_url, access, name=f"local-{uuid.uuid4().hex[:8]}")["content"]


def secure_stub(local, name, ca=None):
    pki = local.local / "secrets" / "pki"
    credentials = grpc.ssl_channel_credentials((ca or pki / "ca.crt").read_bytes(),
                                               (pki / f"{name}.key").read_bytes(),
                                               (pki / f"{name}.crt").read_bytes())
    return pb_grpc.TokenAuthorityStub(grpc.secure_channel(local.authority, credentials))


def refused(call, code):
    with pytest.raises(grpc.RpcError) as error:
        call()
    assert error.value.code() == code, error.value.details()


def tokengate(local, *args, stdin=None):
    return subprocess.run([str(stack.BINARIES["tokengate"]), *args], input=stdin, env=local.shell_env(),
                          capture_output=True, text=True, timeout=30)


def test_secrets_and_certificates_are_readable_by_their_owner_only(local):
    secrets = local.local / "secrets"
    for directory in (secrets, secrets / "pki"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    files = [*secrets.glob("*"), *(secrets / "pki").glob("*"), local.local / "stack.env"]
    assert {f.name for f in files} >= {"postgres_password", "pgpass", "ca.crt", "authority.key", "api.key",
                                        "http2kafka.key", "cli.key", "stack.env"}
    for path in files:
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not (secrets / "pki" / "ca.key").exists(), "nothing on disk may sign another identity"


def test_plaintext_grpc_cannot_mint_or_list_tokens(local):
    plain = pb_grpc.TokenAuthorityStub(grpc.insecure_channel(local.authority))
    refused(lambda: plain.IssueToken(pb.IssueTokenRequest(user_name="victim", name="stolen"), timeout=10),
            grpc.StatusCode.UNAVAILABLE)
    refused(lambda: plain.ListTokens(pb.ListTokensRequest(user_name="alice"), timeout=10),
            grpc.StatusCode.UNAVAILABLE)


def test_a_certificate_of_another_ca_is_refused(local, tmp_path):
    subprocess.run([str(ROOT / "tests/support/make-test-pki.sh"), str(tmp_path)], check=True, capture_output=True)
    foreign = grpc.ssl_channel_credentials((local.local / "secrets/pki/ca.crt").read_bytes(),
                                           (tmp_path / "cli.key").read_bytes(), (tmp_path / "cli.crt").read_bytes())
    stub = pb_grpc.TokenAuthorityStub(grpc.secure_channel(local.authority, foreign))
    refused(lambda: stub.AdminListTokens(pb.AdminListTokensRequest(), timeout=10), grpc.StatusCode.UNAVAILABLE)


def test_http2kafka_certificate_verifies_but_cannot_mint_list_or_administer(local, alice_token):
    edge = secure_stub(local, "http2kafka")
    assert edge.VerifyToken(pb.VerifyTokenRequest(token=alice_token), timeout=10).valid
    denied = grpc.StatusCode.PERMISSION_DENIED
    refused(lambda: edge.IssueToken(pb.IssueTokenRequest(user_name="victim", name="stolen"), timeout=10), denied)
    refused(lambda: edge.ListTokens(pb.ListTokensRequest(user_name="alice"), timeout=10), denied)
    refused(lambda: edge.AdminListTokens(pb.AdminListTokensRequest(), timeout=10), denied)
    refused(lambda: edge.RevokeUserTokens(pb.RevokeUserTokensRequest(user_name="alice"), timeout=10), denied)


def test_cli_certificate_may_verify_and_administer_but_not_mint(local, alice_token):
    verified = tokengate(local, "verify", stdin=alice_token)
    assert verified.returncode == 0 and verified.stdout.startswith("valid"), verified.stderr
    listed = tokengate(local, "tokens", "list", "--all-users", "--active")
    assert listed.returncode == 0 and "alice" in listed.stdout, listed.stderr
    refused(lambda: secure_stub(local, "cli").IssueToken(pb.IssueTokenRequest(user_name="victim", name="x"),
                                                        timeout=10), grpc.StatusCode.PERMISSION_DENIED)


def test_postgres_refuses_a_login_without_the_password_and_kept_the_trust_era_data(local, alice_token):
    bare = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    without = local.psql("SELECT 1", env=bare)
    assert without.returncode != 0 and "no password supplied" in without.stderr, without.stderr
    wrong = local.psql("SELECT 1", env={**bare, "PGPASSWORD": "guessed"})
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr, wrong.stderr
    with_file = local.psql("SELECT note FROM kept_from_before", env=local.shell_env())
    assert with_file.stdout.strip() == "made with trust", with_file.stderr
    # The services log in with it: the token above was stored and the lineage tables answer.
    assert requests.get(f"{local.api_url}/v1/datasets", headers=stack.bearer(alice_token), timeout=10).ok


def banner_block(output, first, end):
    block = output.split(first, 1)[1].split(end, 1)[0]
    return textwrap.dedent(block.split("\n", 1)[1])


def test_banner_commands_run_as_printed(local):
    script = banner_block(local.output, "Try it", "openlineage.yaml for the Python client")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env={"PATH": os.environ["PATH"],
                            "HOME": os.environ.get("HOME", "/root"), "USER": "ops-dave"},
                            capture_output=True, text=True, timeout=120, cwd=local.local)
    assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
    assert '"name":"alice"' in result.stdout.replace(" ", ""), result.stdout
    assert re.search(r"valid\ntoken .*\nowner +alice ", result.stdout), "tokengate verify should say valid"
    assert "my-etl" in result.stdout, "the admin listing should show the new token"


def test_openlineage_yaml_of_the_banner_delivers_an_event(local, alice_token, tmp_path):
    config = banner_block(local.output, "openlineage.yaml for the Python client", "\n\n\n")
    (tmp_path / "openlineage.yaml").write_text(config.replace("<the $TOKEN value>", alice_token))
    job = f"local-{uuid.uuid4().hex[:8]}"
    emit = textwrap.dedent(f"""
        import datetime, uuid
        from openlineage.client import OpenLineageClient
        from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
        OpenLineageClient().emit(RunEvent(eventType=RunState.COMPLETE, producer="https://example.com/local",
            eventTime=datetime.datetime.now(datetime.timezone.utc).isoformat(),
            run=Run(runId=str(uuid.uuid4())), job=Job(namespace="local", name="{job}")))
    """)
    sent = subprocess.run([str(VENV_PYTHON), "-c", emit], env={**os.environ, "OPENLINEAGE_CONFIG":
                          str(tmp_path / "openlineage.yaml")}, capture_output=True, text=True, timeout=60)
    assert sent.returncode == 0, sent.stderr

    def listed():
        answer = requests.get(f"{local.api_url}/v1/jobs?search_query={job}", headers=stack.bearer(alice_token),
                              timeout=10)
        return [item["data"]["name"] for item in answer.json()["items"]]

    assert stack.eventually(listed, timeout=60, interval=0.2) == [job], "the consumer should store the job"


def test_kafka_opens_the_listener_make_cluster_pods_use(local):
    # On 127.0.0.1 (cluster.sh forwards the bridge's port to it), advertised on the cluster's bridge.
    with socket.create_connection(("127.0.0.1", local.ports["KAFKA_CLUSTER"]), timeout=5):
        pass
    properties = (local.local / "kafka" / "run" / "server.properties").read_text()
    assert f"CLUSTER://198.18.0.1:{local.ports['KAFKA_CLUSTER']}" in properties


def test_restart_keeps_tokens_and_the_password(local, alice_token):
    local.stop()
    local.start()
    assert tokengate(local, "verify", stdin=alice_token).stdout.startswith("valid")
    assert local.psql("SELECT 1", env={"PATH": os.environ["PATH"]}).returncode != 0


def test_plaintext_only_on_explicit_opt_in_which_says_what_it_gives_away(local, alice_token):
    local.stop()
    local.start(INSECURE_LOCAL_GRPC="1")
    assert "INSECURE_LOCAL_GRPC=1" in local.output and "any user" in local.output
    assert "mint a token for any user name" in local.output
    # A channel of its own: gRPC's process-wide subchannel pool would hand back the plaintext
    # subchannel an earlier test opened against the TLS authority, still in its reconnect back-off.
    plain = pb_grpc.TokenAuthorityStub(
        grpc.insecure_channel(local.authority, options=[("grpc.use_local_subchannel_pool", 1)]))
    assert plain.VerifyToken(pb.VerifyTokenRequest(token=alice_token), timeout=10).valid
    assert tokengate(local, "verify", stdin=alice_token).stdout.startswith("valid")
    assert local.psql("SELECT 1", env={"PATH": os.environ["PATH"]}).returncode != 0, "PostgreSQL keeps its password"
