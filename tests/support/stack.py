"""Real tokengate processes for Python tests: start a built binary with its
own environment on port 0, wait (with a deadline) for "<program> listening on
port N", stop it with SIGTERM and insist on exit code 0. Also a fresh database
per test module, free ports, polling, and the login/token helpers the REST
tests share. Nothing here sleeps as synchronisation: waits poll a condition.
"""
import contextlib
import os
import pathlib
import re
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import requests

BUILD = pathlib.Path(os.environ.get("TOKENGATE_BUILD_DIR", pathlib.Path(__file__).resolve().parents[2] / "build"))
BINARIES = {
    "token-authority": BUILD / "services/token_authority/token-authority",
    "tokengate-api": BUILD / "services/api/tokengate-api",
    "http2kafka": BUILD / "services/http2kafka/http2kafka",
    "lineage-consumer": BUILD / "services/consumer/lineage-consumer",
    "tokengate": BUILD / "services/cli/tokengate",
}
# What ASan, LeakSanitizer and UBSan print when they find something.
SANITIZER_REPORT = re.compile(r"ERROR: (?:Address|Leak)Sanitizer|: runtime error: ")
AUTHORITY_SECRET = "test-authority-secret-0123456789-abcdef"
API_SECRET = "test-api-access-token-secret-0123456789"


def eventually(condition, timeout=10.0, interval=0.02):
    """Polls `condition` until it returns something truthy (returned) or
    `timeout` seconds pass (returns the last falsy value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (for restarts on the same port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_of(settings):
    """{"verify_cache_ttl_seconds": 2} → {"TOKENGATE_VERIFY_CACHE_TTL_SECONDS": "2"}; a name
    already in upper case (TOKENGATE_…, ASAN_OPTIONS) is taken as it is."""
    out = {}
    for key, value in settings.items():
        name = key if key.isupper() else "TOKENGATE_" + key.upper()
        out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


class Listener:
    """What Service and containers.Container share: a program that logs
    "<program> listening on port N" once it serves on 127.0.0.1."""

    port = None

    def wait_until_listening(self, timeout, log_offset=0, interval=0.02):
        """Polls the log for the port; kills the program if it does not come."""
        pattern = re.compile(re.escape(self.program) + r" listening on port (\d+)")

        def bound_port():
            if not self.running():
                return "exited"
            match = pattern.search(self.log()[log_offset:])
            return int(match.group(1)) if match else None

        port = eventually(bound_port, timeout, interval)
        if not isinstance(port, int):
            self.kill()
            raise AssertionError(f"{self.program} did not start ({port or 'timeout'}):\n{self.log()[-4000:]}")
        self.port = port
        return self

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


class Service(Listener):
    """One real binary. `start()` returns once it serves; `stop()` sends
    SIGTERM and asserts exit code 0."""

    def __init__(self, program, env, args=(), log_dir=None):
        self.program = program
        self.binary = BINARIES.get(program, program)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
        self.args = list(args)
        log_dir = pathlib.Path(log_dir or tempfile.mkdtemp(prefix="tokengate-test-"))
        self.log_path = log_dir / f"{program}-{uuid.uuid4().hex[:8]}.log"
        self.process = None

    def start(self, timeout=20.0):
        self.port = None
        self.log_file = open(self.log_path, "a+")
        offset = self.log_file.tell()
        self.process = subprocess.Popen([str(self.binary), *self.args], env=self.env,
                                        stdout=self.log_file, stderr=subprocess.STDOUT)
        return self.wait_until_listening(timeout, log_offset=offset)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, timeout=20.0):
        """SIGTERM, then the exit code must be 0 within `timeout`, with no sanitizer report in the log."""
        if not self.running():
            self.assert_no_sanitizer_report()
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.program} ignored SIGTERM for {timeout}s:\n{self.log()[-4000:]}")
        assert code == 0, f"{self.program} exited with {code}:\n{self.log()[-4000:]}"
        self.assert_no_sanitizer_report()

    def kill(self):
        if self.running():
            self.process.kill()
            self.process.wait(timeout=10)
        self.assert_no_sanitizer_report()

    def assert_no_sanitizer_report(self):
        """Checked when the program ends: a sanitizer build's finding fails the test that
        started it, even when the program kept serving or exited 0."""
        if self.process is None:
            return
        log = self.log()
        match = SANITIZER_REPORT.search(log)
        assert not match, f"{self.program} reported a sanitizer finding:\n{log[match.start():][:4000]}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.stop()
        else:
            self.kill()


# --- databases -------------------------------------------------------------

def admin_url():
    return os.environ["TOKENGATE_TEST_DATABASE_URL"]


def psql(url, sql):
    result = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qtAc", sql],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@contextlib.contextmanager
def fresh_database(prefix="tg"):
    """A new database on the test server for the duration of the block."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    psql(admin_url(), f"CREATE DATABASE {name}")
    try:
        yield admin_url().rsplit("/", 1)[0] + "/" + name
    finally:
        psql(admin_url(), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- the services ----------------------------------------------------------

def authority(db_url, port=0, **settings):
    """A started token authority on `port` (0: any)."""
    env = env_of({"database_url": db_url, "secret_key": AUTHORITY_SECRET,
                  "grpc_listen": f"127.0.0.1:{port}", **settings})
    return Service("token-authority", env).start()


def api(authority_address, **settings):
    """A started tokengate-api talking to the authority at `authority_address`."""
    env = env_of({"authority_address": authority_address, "http_listen": "127.0.0.1:0",
                  "auth_provider": "dummy", "access_token_secret": API_SECRET, "http_threads": 8, **settings})
    return Service("tokengate-api", env).start()


# --- REST helpers ----------------------------------------------------------

def login(api_url, user="alice", password="any"):
    """An access token for `user` from POST /v1/auth/token."""
    response = requests.post(f"{api_url}/v1/auth/token", data={"username": user, "password": password},
                             timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def create_token(api_url, access_token, name=None, until=None):
    """POST /v1/personal-tokens; returns the JSON answer ({id, data, content})."""
    body = {"name": name or f"token-{uuid.uuid4().hex[:12]}"}
    if until is not None:
        body["until"] = until
    response = requests.post(f"{api_url}/v1/personal-tokens", json=body, headers=bearer(access_token),
                             timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def metric(url, name, labels=None):
    """The value of sample `name` (with exactly `labels`, if given) on
    `url`/metrics; 0 when absent."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    wanted = None
    if labels:
        wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        if wanted is not None and (match.group(2) or "{}")[1:-1] != wanted:
            continue
        return float(match.group(3))
    return 0.0
