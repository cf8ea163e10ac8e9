"""The built image itself: what it reports (version, revision, labels), who
it runs as, and the helm chart's migration Job run from it the way a cluster
would run it (the Job's command, environment and security settings taken
from `helm template`), against the tests' PostgreSQL."""
import base64
import os
import pathlib
import subprocess
import urllib.parse

import pytest
import yaml

import containers
import stack

REPO = pathlib.Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "tokengate"
HELM = pathlib.Path(os.environ.get("TOKENGATE_LOCAL_DIR", REPO / ".local")) / "bin" / "helm"
# The four services and the command-line client.
BINARIES = ("token-authority", "tokengate-api", "http2kafka", "lineage-consumer", "tokengate")


def app_version():
    return yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]


def labels():
    inspected = containers.docker("image", "inspect", "-f", "{{json .Config.Labels}}", containers.image())
    return yaml.safe_load(inspected.stdout)


def git_head():
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.mark.parametrize("binary", BINARIES)
def test_binary_reports_the_release_and_revision_the_image_is_labelled_with(binary):
    result = containers.run_once([binary, "--version"])
    assert result.returncode == 0, result.stderr
    image_labels = labels()
    assert result.stdout == (f"{binary} {image_labels['org.opencontainers.image.version']} "
                             f"(revision {image_labels['org.opencontainers.image.revision']})\n")


def test_labels_name_the_charts_release_and_the_checked_out_commit():
    image_labels = labels()
    assert image_labels["org.opencontainers.image.version"] == app_version()
    # "-dirty" when built from a tree with uncommitted changes.
    assert image_labels["org.opencontainers.image.revision"].removesuffix("-dirty") == git_head()


def test_image_runs_as_user_10001_by_default():
    result = containers.docker("run", "--rm", "--network", "host", containers.image(), "id", "-u")
    assert result.stdout.strip() == "10001"


def test_image_holds_exactly_the_five_binaries():
    result = containers.run_once(["ls", "/usr/local/bin"])
    assert sorted(result.stdout.split()) == sorted(BINARIES)


def test_a_bad_setting_stops_a_binary_with_exit_code_2():
    result = containers.run_once(["token-authority", "migrate"], env={"TOKENGATE_DATABASE_URL": ""})
    assert result.returncode == 2
    assert "invalid configuration" in result.stderr


# ---- the chart's migration Job ---------------------------------------------

def render(values):
    result = subprocess.run([str(HELM), "template", "tg", str(CHART), "-f", "-"],
                            input=yaml.safe_dump(values), capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"helm template failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def migration_job(database_url):
    """The rendered Job's container and the Secrets it reads, for the database at `database_url`."""
    url = urllib.parse.urlparse(database_url)
    objects = render({
        # The chart refuses to render without its login settings.
        **yaml.safe_load((CHART / "ci" / "keycloak-values.yaml").read_text()),
        "postgresql": {"host": url.hostname, "port": url.port, "database": url.path.lstrip("/"),
                       "user": url.username, "password": "unused-the-test-server-trusts",
                       "sslmode": "disable"},
        "signingKeys": "k1:" + "a" * 64})
    [job] = [o for o in objects if o["kind"] == "Job"]
    secrets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Secret"}
    return job["spec"]["template"]["spec"], secrets


def docker_flags(pod):
    """The pod's security settings and emptyDir mounts as `docker run` flags."""
    [container] = pod["containers"]
    pod_context, context = pod["securityContext"], container["securityContext"]
    flags = ["--network", "host"]
    if context["readOnlyRootFilesystem"]:
        flags.append("--read-only")
    flags += ["--user", f"{pod_context['runAsUser']}:{pod_context['runAsGroup']}"]
    flags += [f for cap in context["capabilities"]["drop"] for f in ("--cap-drop", cap)]
    if not context["allowPrivilegeEscalation"]:
        flags += ["--security-opt", "no-new-privileges"]
    empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    flags += [f for m in container["volumeMounts"] if m["name"] in empty_dirs for f in ("--tmpfs", m["mountPath"])]
    return flags


def container_env(container, secrets):
    env = {}
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = base64.b64decode(secrets[ref["name"]]["data"][ref["key"]]).decode()
    return env


def run_job(pod, secrets):
    [container] = pod["containers"]
    return containers.docker("run", "--rm", *docker_flags(pod),
                             *containers.env_flags(container_env(container, secrets)), containers.image(),
                             *container["command"], *container.get("args", []), check=False)


def test_the_image_tests_run_containers_as_the_chart_runs_pods():
    pod, _ = migration_job(stack.admin_url())
    assert docker_flags(pod) == containers.POD_FLAGS + ["--tmpfs", "/tmp"]


def test_chart_deploys_the_image_make_image_tags():
    pod, _ = migration_job(stack.admin_url())
    [container] = pod["containers"]
    assert container["image"] == f"tokengate:{app_version()}"
    containers.docker("image", "inspect", container["image"])


def test_migration_job_migrates_a_new_database_and_is_idempotent():
    with stack.fresh_database("tg_image_job") as db:
        pod, secrets = migration_job(db)
        first = run_job(pod, secrets)
        assert first.returncode == 0, first.stderr
        assert stack.psql(db, "SELECT to_regclass('public.personal_token') IS NOT NULL") == "t"
        again = run_job(pod, secrets)
        assert again.returncode == 0, again.stderr
        assert "(0 applied now)" in again.stderr


def test_migration_job_fails_with_exit_code_1_when_the_database_is_missing():
    with stack.fresh_database("tg_image_gone") as db:
        pass
    pod, secrets = migration_job(db)
    result = run_job(pod, secrets)
    assert result.returncode == 1
    assert "does not exist" in result.stderr
