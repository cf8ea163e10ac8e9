"""The tokengate image as the image tests run it: each service a container on
the host's network (containers get no address of their own on these
machines), with the chart's pod settings (read-only root filesystem, user
10001, no capabilities), stopped as Kubernetes stops a pod: SIGTERM, then
SIGKILL once the grace period is over. A Container has the interface of
stack.Service (start, stop, address, url, log), so shared stories run on both.
"""
import contextlib
import os
import pathlib
import subprocess
import time
import uuid

import stack

BUILD = pathlib.Path(os.environ.get("TOKENGATE_BUILD_DIR", pathlib.Path(__file__).resolve().parents[2] / "build"))
# Kubernetes' default terminationGracePeriodSeconds (the chart sets none).
GRACE_SECONDS = 30
USER = "10001:10001"
POD_FLAGS = ["--network", "host", "--read-only", "--user", USER, "--cap-drop", "ALL",
             "--security-opt", "no-new-privileges"]


def image():
    """The id of the image deploy/docker/build-image.sh built from this build tree."""
    path = BUILD / "image-id"
    assert path.is_file(), f"{path} missing: the image.build test (deploy/docker/build-image.sh) makes it"
    return path.read_text().strip()


def docker(*args, timeout=120, check=True):
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert result.returncode == 0, f"docker {' '.join(args)}: {result.stderr}"
    return result


def env_flags(env):
    return [flag for name, value in env.items() for flag in ("-e", f"{name}={value}")]


def run_once(args, env=None):
    """Runs the image with the pod settings until it exits; the CompletedProcess."""
    return docker("run", "--rm", *POD_FLAGS, *env_flags(env or {}), image(), *args, check=False)


class Container(stack.Listener):
    """One service of the image, detached. `start()` returns once it serves;
    `stop()` is `docker stop` with the grace period and insists on exit code 0."""

    def __init__(self, program, env, args=()):
        self.program = program
        self.env = env
        self.args = list(args)
        self.name = f"tokengate-test-{program}-{uuid.uuid4().hex[:8]}"
        self.started = False

    def start(self, timeout=30.0):
        docker("run", "-d", "--name", self.name, *POD_FLAGS, *env_flags(self.env), image(), self.program,
               *self.args)
        self.started = True
        return self.wait_until_listening(timeout, interval=0.1)

    def running(self):
        result = docker("inspect", "-f", "{{.State.Running}}", self.name, check=False)
        return result.stdout.strip() == "true"

    def log(self):
        result = docker("logs", self.name, check=False)
        return result.stdout + result.stderr

    def stop(self):
        """SIGTERM; the exit code must be 0, which also means no SIGKILL came."""
        started = time.monotonic()
        docker("stop", "-t", str(GRACE_SECONDS), self.name, timeout=GRACE_SECONDS + 30)
        took = time.monotonic() - started
        code = docker("inspect", "-f", "{{.State.ExitCode}}", self.name).stdout.strip()
        assert code == "0", f"{self.program} exited with {code} after {took:.1f}s:\n{self.log()[-4000:]}"
        return took

    def kill(self):
        """Removes the container, running or not."""
        if self.started:
            docker("rm", "-f", self.name, check=False)


@contextlib.contextmanager
def containers():
    """A `start(program, env)` for seed_story.start_system; every container it
    started is removed at the end of the block, whatever happened."""
    started = []

    def start(program, env, args=()):
        container = Container(program, env, args)
        started.append(container)
        return container.start()

    try:
        yield start
    finally:
        for container in started:
            container.kill()
