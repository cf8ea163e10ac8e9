"""deploy/docker checked without a Docker engine.

No engine runs on these machines, so the image is never built here. What can
be checked offline is checked against the real parts: the compose file parses,
every TOKENGATE_* name it sets is one its binary reads (from the flag sources,
and from the binary's own effective-config log), ports agree with DESIGN §9 and
the Helm chart, the Dockerfile's packages exist in Debian 12 and provide every
shared library the built binaries load, and the image runs as a non-root user.
"""

import functools
import os
import pathlib
import re
import subprocess
import time

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
DOCKER_DIR = REPO / "deploy" / "docker"
COMPOSE = DOCKER_DIR / "compose.yaml"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
HELM_VALUES = REPO / "helm" / "tokengate" / "values.yaml"
INSTALL_DEPS = REPO / "deploy" / "local" / "install-deps.sh"

# Binary → its folder under services/ (and under the build tree).
BINARIES = {
    "token-authority": "token_authority",
    "tokengate-api": "api",
    "http2kafka": "http2kafka",
    "lineage-consumer": "consumer",
}
# DESIGN §9 and `make run`: the port each service listens on.
PORTS = {"authority": 50051, "api": 8000, "http2kafka": 8002, "consumer": 8003}
HELM_PORTS = {"authority": ("authority", "grpc"), "api": ("api", "http"),
              "http2kafka": ("http2kafka", "http"), "consumer": ("consumer", "metrics")}
RUNTIME_USER = 10001
# Values for the variables compose.yaml requires from the user's shell.
SHELL_ENV = {"TOKENGATE_SIGNING_KEYS": "k1:" + "a" * 64,
             "TOKENGATE_ACCESS_TOKEN_SECRET": "b" * 64}


def compose():
    return yaml.safe_load(COMPOSE.read_text())


def tokengate_services():
    """Compose services that run one of our binaries: name → (binary, service)."""
    found = {}
    for name, service in compose()["services"].items():
        command = service.get("command") or []
        if command and command[0] in BINARIES:
            found[name] = (command[0], service)
    return found


def interpolate(value):
    """Compose's ${NAME:-default} / ${NAME:?message}, with SHELL_ENV as the shell."""
    def substitute(match):
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if name in SHELL_ENV:
            return SHELL_ENV[name]
        assert op == ":-", f"${{{name}}} has no default and no test value"
        return rest
    return re.sub(r"\$\{(\w+)(:-|:\?)?([^}]*)\}", substitute, str(value))


def compose_env(service):
    return {k: interpolate(v) for k, v in (service.get("environment") or {}).items()}


# ---- Dockerfile parsing: instructions with continuation lines joined -------

def dockerfile_instructions():
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            instructions.append((keyword.upper(), args.strip()))
    return instructions


def stages():
    """[(FROM argument, [instructions])] in order."""
    result = []
    for keyword, args in dockerfile_instructions():
        if keyword == "FROM":
            result.append((args, []))
        else:
            result[-1][1].append((keyword, args))
    return result


def apt_packages(instructions):
    packages = []
    for keyword, args in instructions:
        if keyword != "RUN":
            continue
        for command in re.split(r"&&|;", args):
            words = command.split()
            if "apt-get" in words and "install" in words:
                packages += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return packages


def runtime_stage():
    return stages()[-1][1]


# ---- flags each binary reads ------------------------------------------------

def flag_env_names(binary):
    """TOKENGATE_* names the binary's sources read: each ABSL_FLAG defined in its
    folder or in common/, and listed (quoted) in its folder's flag-name list,
    which is what LoadFlags maps to the environment."""
    service_sources = "".join(
        p.read_text() for p in (REPO / "services" / BINARIES[binary]).rglob("*.cc"))
    all_sources = service_sources + "".join(p.read_text() for p in (REPO / "common").rglob("*.cc"))
    defined = set(re.findall(r"ABSL_FLAG\(\s*[\w:<>]+\s*,\s*(\w+)\s*,", all_sources))
    listed = {name for name in defined if f'"{name}"' in service_sources}
    return {f"TOKENGATE_{n.upper()}" for n in listed} | {f"TOKENGATE_{n.upper()}_FILE" for n in listed}


def build_dir():
    value = os.environ.get("TOKENGATE_BUILD_DIR")
    assert value, "TOKENGATE_BUILD_DIR is not set: run through ctest / make test"
    return pathlib.Path(value)


def built_binary(binary):
    path = build_dir() / "services" / BINARIES[binary] / binary
    assert path.is_file(), f"{binary} is not built ({path})"
    return path


# ---- compose ----------------------------------------------------------------

def test_compose_has_the_local_stack():
    services = compose()["services"]
    assert set(services) == {"postgres", "kafka", "kafka-init", "migrate",
                             "authority", "api", "http2kafka", "consumer"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_compose_runs_each_binary_and_the_migration():
    commands = {name: svc["command"] for name, (_, svc) in tokengate_services().items()}
    assert commands == {
        "migrate": ["token-authority", "migrate"],
        "authority": ["token-authority"],
        "api": ["tokengate-api"],
        "http2kafka": ["http2kafka"],
        "consumer": ["lineage-consumer"],
    }


def test_every_tokengate_service_has_a_healthcheck_or_is_a_one_shot_job():
    for name, (_, service) in tokengate_services().items():
        if service.get("restart") == "no":
            continue
        assert "healthcheck" in service, f"{name} has no healthcheck"
        test = " ".join(service["healthcheck"]["test"])
        assert str(PORTS[name]) in test, f"{name}'s healthcheck does not probe port {PORTS[name]}"


@pytest.mark.parametrize("service_name", ["migrate", "authority", "api", "http2kafka", "consumer"])
def test_compose_env_names_are_flags_of_the_binary(service_name):
    binary, service = tokengate_services()[service_name]
    names = set(compose_env(service))
    assert names, f"{service_name} sets no environment"
    unknown = names - flag_env_names(binary)
    assert not unknown, f"{binary} reads none of {sorted(unknown)}"


def test_dockerfile_env_names_are_flags_of_some_binary():
    env_names = set()
    for keyword, args in runtime_stage():
        if keyword == "ENV":
            env_names |= {pair.split("=", 1)[0] for pair in args.split()}
    read = set().union(*(flag_env_names(b) for b in BINARIES))
    tokengate = {n for n in env_names if n.startswith("TOKENGATE_")}
    assert tokengate <= read, f"no binary reads {sorted(tokengate - read)}"


def effective_config_printed(log):
    """True once a line follows the block of `config TOKENGATE_…` lines."""
    lines = log.split("\n")[:-1]  # complete lines only
    config = [i for i, line in enumerate(lines) if " config TOKENGATE_" in line]
    return bool(config) and config[-1] < len(lines) - 1


@pytest.mark.parametrize("service_name", ["migrate", "authority", "api", "http2kafka", "consumer"])
def test_binary_accepts_the_compose_environment(service_name, tmp_path):
    """The real binary, given the service's environment, passes its config
    validation and prints every variable in its effective config. Listen ports
    become 0 so the test never collides with a running stack."""
    binary, service = tokengate_services()[service_name]
    env = compose_env(service)
    for key in ("TOKENGATE_HTTP_LISTEN", "TOKENGATE_GRPC_LISTEN"):
        if key in env:
            env[key] = env[key].rsplit(":", 1)[0] + ":0"
    log_path = tmp_path / "log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(built_binary(binary)), *service["command"][1:]],
                                   env={"PATH": "/usr/bin:/bin", **env},
                                   stdout=log, stderr=subprocess.STDOUT)
    wanted = {f"config {name.removesuffix('_FILE')}=" for name in env}
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if effective_config_printed(log_path.read_text()) or process.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    text = log_path.read_text()
    assert "invalid configuration" not in text, text
    missing = [w for w in wanted if w not in text]
    assert not missing, f"{binary} did not report {missing}:\n{text}"


def test_published_ports_match_design_and_listen_addresses():
    services = tokengate_services()
    for name, port in PORTS.items():
        _, service = services[name]
        assert service["ports"] == [f"127.0.0.1:{port}:{port}"], name
        env = compose_env(service)
        listen = env.get("TOKENGATE_HTTP_LISTEN") or env.get("TOKENGATE_GRPC_LISTEN")
        assert listen == f"0.0.0.0:{port}", f"{name} listens on {listen}"


def test_ports_match_the_helm_chart():
    values = yaml.safe_load(HELM_VALUES.read_text())
    for name, (component, port_name) in HELM_PORTS.items():
        assert values[component]["containerPorts"][port_name] == PORTS[name], name


def test_edges_dial_the_authority_and_the_broker_compose_runs():
    services = tokengate_services()
    kafka = compose()["services"]["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    for name in ("api", "http2kafka"):
        assert compose_env(services[name][1])["TOKENGATE_AUTHORITY_ADDRESS"] == \
            f"authority:{PORTS['authority']}"
    for name in ("http2kafka", "consumer"):
        env = compose_env(services[name][1])
        assert f"PLAINTEXT://{env['TOKENGATE_KAFKA_BOOTSTRAP_SERVERS']}" == kafka
        assert env["TOKENGATE_KAFKA_TOPIC"] == "input.runs"


# ---- Dockerfile -------------------------------------------------------------

def test_every_stage_is_debian_bookworm():
    for image, _ in stages():
        assert "bookworm" in image.split()[0], f"{image} is not a Debian 12 image"


@functools.lru_cache(maxsize=None)
def debian_packages(names):
    """Which of `names` this Debian release has (one apt-cache call: each takes ~1 s)."""
    result = subprocess.run(["apt-cache", "show", "--no-all-versions", *names],
                            capture_output=True, text=True, check=False)
    return set(re.findall(r"^Package: (\S+)$", result.stdout, re.M))


@pytest.mark.parametrize("package", apt_packages(runtime_stage()))
def test_runtime_package_exists_in_debian(package):
    assert package in debian_packages(tuple(apt_packages(runtime_stage()))), \
        f"Debian 12 has no package {package}"


def test_build_packages_are_those_of_install_deps():
    local = set(re.search(r"PACKAGES=\((.*?)\)", INSTALL_DEPS.read_text(), re.S).group(1).split())
    build = set(apt_packages(stages()[0][1]))
    assert build and build <= local, f"not in install-deps.sh: {sorted(build - local)}"


def test_image_runs_as_the_non_root_user_of_the_helm_chart():
    users = [args for keyword, args in runtime_stage() if keyword == "USER"]
    assert users == [f"{RUNTIME_USER}:{RUNTIME_USER}"]
    values = yaml.safe_load(HELM_VALUES.read_text())
    assert values["podSecurityContext"]["runAsUser"] == RUNTIME_USER


def test_edges_find_swagger_ui_where_the_image_puts_it():
    copied = [args.split()[-1] for keyword, args in runtime_stage()
              if keyword == "COPY" and args.startswith("--from=web-assets ")]
    env = dict(pair.split("=", 1) for keyword, args in runtime_stage() if keyword == "ENV"
               for pair in args.split())
    assert copied == [env["TOKENGATE_SWAGGER_ASSETS_DIR"]]


def test_image_holds_exactly_the_four_binaries():
    copied = []
    for keyword, args in runtime_stage():
        words = args.split()
        if keyword == "COPY" and words[0] == "--from=build":
            assert words[-1] == "/usr/local/bin/", args
            copied += words[1:-1]
    assert sorted(pathlib.PurePath(p).name for p in copied) == sorted(BINARIES)
    for path in copied:
        name = pathlib.PurePath(path).name
        assert path == f"/build/services/{BINARIES[name]}/{name}"
        cmake = (REPO / "services" / BINARIES[name] / "CMakeLists.txt").read_text()
        assert f"add_executable({name} " in cmake, f"services/{BINARIES[name]} builds no {name}"


def dpkg_owners(libraries):
    """library path → the Debian package that installed it (usrmerge: /lib or /usr/lib)."""
    candidates = {}
    for library in libraries:
        real = os.path.realpath(library)
        for path in {real, real.replace("/usr/lib/", "/lib/", 1), real.replace("/lib/", "/usr/lib/", 1)}:
            candidates[path] = library
    result = subprocess.run(["dpkg", "-S", *candidates], capture_output=True, text=True, check=False)
    owners = {}
    for line in result.stdout.splitlines():
        package, _, path = line.partition(": ")
        owners[candidates[path]] = package.split(":")[0]
    unowned = set(libraries) - set(owners)
    assert not unowned, f"no Debian package owns {sorted(unowned)}"
    return owners


@functools.lru_cache(maxsize=None)
def runtime_closure():
    """Every package the runtime stage's install pulls in."""
    result = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances", *apt_packages(runtime_stage())],
        capture_output=True, text=True, check=True)
    return {line.strip() for line in result.stdout.splitlines()
            if line and not line.startswith(" ") and not line.startswith("<")}


@pytest.mark.parametrize("binary", sorted(BINARIES))
def test_runtime_packages_provide_every_shared_library(binary):
    result = subprocess.run(["ldd", str(built_binary(binary))], capture_output=True, text=True,
                            check=True)
    libraries = re.findall(r"=> (/\S+)", result.stdout)
    assert libraries, result.stdout
    missing = {lib: owner for lib, owner in dpkg_owners(libraries).items()
               if owner not in runtime_closure()}
    assert not missing, f"the runtime image lacks the packages of {missing}"
