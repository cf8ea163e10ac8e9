"""`tokengate`, the command-line client, against a real token authority over
mutual TLS: a throw-away PKI (tests/support/make-test-pki.sh), an authority
whose caller policy lets the `tokengate-cli` identity do everything and
`stranger` only verify, and the built binary run as a script would run it.
Every run checks that no token content reaches stdout or stderr and that an
error is one line. Also runs docs/cli.md's grpcurl line."""
import json
import os
import pathlib
import socket
import subprocess
import uuid

import grpc
import pytest

import stack
from authority_grpc import pb, pb_grpc

REPO = pathlib.Path(__file__).resolve().parents[3]
GRPCURL = pathlib.Path(os.environ.get("TOKENGATE_LOCAL_DIR", REPO / ".local")) / "bin" / "grpcurl"
POLICY = "tokengate-api=*;tokengate-cli=*;stranger=VerifyToken"
# Every token content issued here: none may ever be printed.
ISSUED = []


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    subprocess.run([str(REPO / "tests/support/make-test-pki.sh"), str(directory)], check=True,
                   capture_output=True)
    return directory


@pytest.fixture(scope="module")
def authority(pki):
    with stack.fresh_database("tg_cli") as db:
        service = stack.authority(db, tls_cert_file=pki / "server.crt", tls_key_file=pki / "server.key",
                                  tls_ca_file=pki / "ca.crt", tls_client_policy=POLICY)
        with service:
            yield service


def stub(authority, pki, identity="cli"):
    credentials = grpc.ssl_channel_credentials((pki / "ca.crt").read_bytes(),
                                               (pki / f"{identity}.key").read_bytes(),
                                               (pki / f"{identity}.crt").read_bytes())
    return pb_grpc.TokenAuthorityStub(grpc.secure_channel(authority.address, credentials))


def issue(authority, pki, user="alice", name=None, **limits):
    """A new token of `user` (IssueToken over mTLS); returns (id, content)."""
    answer = stub(authority, pki).IssueToken(
        pb.IssueTokenRequest(user_name=user, name=name or f"cli-{uuid.uuid4().hex[:8]}", **limits), timeout=10)
    ISSUED.append(answer.content)
    return answer.token.id, answer.content


def tokengate(*args, stdin=None, address=None, identity="cli", pki=None, env=None):
    """Runs the binary with the connection in TOKENGATE_* variables, as a
    deployment would set them; checks what every run must keep to."""
    environment = {"PATH": "/usr/bin:/bin", "USER": "ops-carol"}
    if address is not None:
        environment["TOKENGATE_AUTHORITY_ADDRESS"] = address
    if pki is not None:
        environment.update({"TOKENGATE_TLS_CERT_FILE": str(pki / f"{identity}.crt"),
                            "TOKENGATE_TLS_KEY_FILE": str(pki / f"{identity}.key"),
                            "TOKENGATE_TLS_CA_FILE": str(pki / "ca.crt")})
    environment.update(env or {})
    result = subprocess.run([str(stack.BINARIES["tokengate"]), *map(str, args)], input=stdin,
                            capture_output=True, text=True, env=environment, timeout=30)
    for content in ISSUED + ([stdin.strip()] if stdin and stdin.strip() else []):
        assert content not in result.stdout and content not in result.stderr, "token content was printed"
    assert result.stderr.count("\n") <= 1, f"an error is one line:\n{result.stderr}"
    return result


def cli(authority, pki, *args, **kwargs):
    return tokengate(*args, address=authority.address, pki=pki, **kwargs)


def test_valid_token_exits_0_and_names_owner_scopes_and_expiry(authority, pki):
    token_id, content = issue(authority, pki, name="nightly-etl")
    result = cli(authority, pki, "verify", stdin=content + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "valid"
    assert f"{token_id} (nightly-etl)" in result.stdout
    assert "alice (user id" in result.stdout
    assert "all:read all:write" in result.stdout
    assert "expires" in result.stdout and "T00:00:00Z" in result.stdout


def test_verify_json_is_one_document_with_the_documented_fields(authority, pki):
    token_id, content = issue(authority, pki)
    result = cli(authority, pki, "verify", "--json", stdin=content)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["valid"] is True and answer["reason"] is None and answer["revoked"] is False
    assert answer["token_id"] == token_id and answer["user_name"] == "alice"
    assert answer["scopes"] == ["all:read", "all:write"]
    assert answer["expires_at"].endswith("T00:00:00Z")


def test_token_file_is_read_like_stdin(authority, pki, tmp_path):
    _, content = issue(authority, pki)
    path = tmp_path / "token"
    path.write_text(content + "\n")
    assert cli(authority, pki, "verify", "--token-file", path).returncode == 0


def test_revoked_token_exits_1_after_tokens_revoke(authority, pki):
    token_id, content = issue(authority, pki)
    revoked = cli(authority, pki, "tokens", "revoke", "--user", "alice", token_id)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout == f"revoked token {token_id} of alice\n"
    result = cli(authority, pki, "verify", "--json", stdin=content)
    assert result.returncode == 1
    answer = json.loads(result.stdout)
    assert answer["valid"] is False and answer["revoked"] is True and answer["token_id"] == token_id
    assert "revoked" in answer["reason"]


def test_garbage_exits_1_with_the_reason(authority, pki):
    result = cli(authority, pki, "verify", stdin="personal_token_not.a.token")
    assert result.returncode == 1
    assert result.stdout.startswith("invalid: ")


def test_tokens_list_shows_the_users_live_tokens(authority, pki):
    token_id, _ = issue(authority, pki, user="bob", name="listed")
    table = cli(authority, pki, "tokens", "list", "--user", "bob")
    assert table.returncode == 0, table.stderr
    [header, row, summary] = table.stdout.splitlines()
    assert header.split()[:3] == ["ID", "NAME", "SCOPES"]
    assert row.startswith(f"{token_id}  listed") and "active" in row and "never" in row
    assert summary == "1 of 1 tokens (page 1)"
    listed = json.loads(cli(authority, pki, "tokens", "list", "--user", "bob", "--json").stdout)
    assert [t["id"] for t in listed["tokens"]] == [token_id]
    assert listed["tokens"][0]["state"] == "active" and listed["total_count"] == 1


def test_tokens_list_and_verify_show_the_limits(authority, pki):
    token_id, content = issue(authority, pki, user="narrow", name="narrow", scopes=["all:write"],
                              namespaces=["spark-*", "airflow"], networks=["10.0.0.0/8"])
    issue(authority, pki, user="narrow", name="wide")
    table = cli(authority, pki, "tokens", "list", "--user", "narrow")
    assert table.returncode == 0, table.stderr
    [header, *rows, _] = table.stdout.splitlines()
    assert header.split()[:5] == ["ID", "NAME", "SCOPES", "NAMESPACES", "NETWORKS"]
    by_name = {row.split()[1]: row.split() for row in rows}
    assert by_name["narrow"][2:5] == ["all:write", "spark-*,airflow", "10.0.0.0/8"]
    assert by_name["wide"][2:6] == ["all:read", "all:write", "any", "any"]
    listed = json.loads(cli(authority, pki, "tokens", "list", "--user", "narrow", "--json").stdout)
    [narrow] = [t for t in listed["tokens"] if t["id"] == token_id]
    assert narrow["namespaces"] == ["spark-*", "airflow"] and narrow["networks"] == ["10.0.0.0/8"]
    admin = cli(authority, pki, "tokens", "list", "--all-users", "--json")
    [seen] = [t for t in json.loads(admin.stdout)["tokens"] if t["id"] == token_id]
    assert seen["namespaces"] == ["spark-*", "airflow"]
    verified = cli(authority, pki, "verify", stdin=content)
    assert "namespaces  spark-*,airflow" in verified.stdout and "networks    10.0.0.0/8" in verified.stdout
    answer = json.loads(cli(authority, pki, "verify", "--json", stdin=content).stdout)
    assert answer["namespaces"] == ["spark-*", "airflow"] and answer["networks"] == ["10.0.0.0/8"]


def test_revoking_an_unknown_token_exits_3(authority, pki):
    result = cli(authority, pki, "tokens", "revoke", "--user", "alice", str(uuid.uuid4()))
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("tokengate: authority at ")


def test_client_certificate_from_another_ca_exits_4(authority, pki):
    _, content = issue(authority, pki)
    result = cli(authority, pki, "verify", stdin=content, identity="foreign")
    assert result.returncode == 4, result.stderr
    assert "client certificate (--tls-cert) was not accepted" in result.stderr


def test_authority_certificate_from_an_untrusted_ca_exits_4(authority, pki):
    _, content = issue(authority, pki)
    result = cli(authority, pki, "verify", stdin=content,
                 env={"TOKENGATE_TLS_CA_FILE": str(pki / "other-ca.crt")})
    assert result.returncode == 4, result.stderr
    assert "authority's certificate was not accepted" in result.stderr


def test_identity_the_caller_policy_does_not_allow_exits_4(authority, pki):
    result = cli(authority, pki, "tokens", "list", "--user", "alice", identity="stranger")
    assert result.returncode == 4, result.stderr
    assert "stranger" in result.stderr


def test_authority_down_exits_5():
    port = stack.free_port()
    result = tokengate("verify", "--plaintext", "--timeout", "2", stdin="personal_token_a.b.c",
                       address=f"127.0.0.1:{port}")
    assert result.returncode == 5, result.stderr
    assert "is unavailable" in result.stderr


def test_authority_that_never_answers_exits_5_at_the_deadline():
    with socket.socket() as silent:  # accepts connections (backlog), never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        result = tokengate("verify", "--plaintext", "--timeout", "500ms", stdin="personal_token_a.b.c",
                           address=f"127.0.0.1:{silent.getsockname()[1]}")
    assert result.returncode == 5, result.stderr
    assert "did not answer within 500ms" in result.stderr


def test_token_on_the_command_line_is_refused_with_exit_2(authority, pki):
    _, content = issue(authority, pki)
    result = cli(authority, pki, "verify", content)
    assert result.returncode == 2
    assert "refusing a token on the command line" in result.stderr
    assert result.stdout == ""


def test_version_names_the_release_like_every_binary():
    result = tokengate("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("tokengate ") and "(revision " in result.stdout


def readme_grpcurl_verify_lines():
    """docs/cli.md's grpcurl set-up line and its VerifyToken line, as written there."""
    lines = (REPO / "docs" / "cli.md").read_text().splitlines()
    setup = [line for line in lines if line.startswith('G="grpcurl ')]
    verify = [line for line in lines if line.startswith("printf ") and "/VerifyToken" in line and "$G" in line]
    assert len(setup) == 1 and len(verify) == 1, "docs/cli.md's grpcurl lines moved"
    return setup + verify


def test_readme_grpcurl_line_verifies_a_token(authority, pki, tmp_path):
    """Runs docs/cli.md's lines with bash: the token on stdin (-d @), the
    method found through the authority's reflection."""
    _, content = issue(authority, pki)
    (tmp_path / "token.txt").write_text(content + "\n")
    env = {"PATH": f"{GRPCURL.parent}:/usr/bin:/bin", "TOKENGATE_AUTHORITY_ADDRESS": authority.address,
           "TOKENGATE_TLS_CERT_FILE": str(pki / "cli.crt"), "TOKENGATE_TLS_KEY_FILE": str(pki / "cli.key"),
           "TOKENGATE_TLS_CA_FILE": str(pki / "ca.crt")}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(readme_grpcurl_verify_lines())],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True


def test_users_revoke_tokens_revokes_every_active_token_and_prints_the_count(authority, pki):
    issued = [issue(authority, pki, user="leaver") for _ in range(3)]
    ids = sorted(token_id for token_id, _ in issued)
    content = issued[0][1]
    result = cli(authority, pki, "users", "revoke-tokens", "leaver", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["user_name"] == "leaver" and answer["revoked_count"] == 3
    assert sorted(answer["token_ids"]) == ids
    assert cli(authority, pki, "verify", stdin=content).returncode == 1
    again = cli(authority, pki, "users", "revoke-tokens", "leaver")
    assert again.returncode == 0, again.stderr
    assert again.stdout == "revoked 0 tokens of leaver\n"


def test_users_revoke_tokens_of_a_user_never_seen_exits_3(authority, pki):
    result = cli(authority, pki, "users", "revoke-tokens", f"nobody-{uuid.uuid4().hex[:8]}")
    assert result.returncode == 3, result.stderr


def test_admin_listing_spans_users_and_active_leaves_out_revoked(authority, pki):
    live, _ = issue(authority, pki, user="dora")
    gone, _ = issue(authority, pki, user="erin")
    assert cli(authority, pki, "tokens", "revoke", "--user", "erin", gone).returncode == 0
    everything = json.loads(cli(authority, pki, "tokens", "list", "--all-users", "--page-size", "50",
                                "--json").stdout)
    states = {t["id"]: (t["user_name"], t["state"]) for t in everything["tokens"]}
    assert states[live] == ("dora", "active") and states[gone] == ("erin", "revoked")
    active = json.loads(cli(authority, pki, "tokens", "list", "--all-users", "--active", "--page-size", "50",
                            "--json").stdout)
    assert live in [t["id"] for t in active["tokens"]] and gone not in [t["id"] for t in active["tokens"]]
    table = cli(authority, pki, "tokens", "list", "--user", "erin", "--active")
    assert table.returncode == 0 and table.stdout.splitlines()[-1] == "0 of 0 tokens (page 1)"


def test_token_events_name_the_cli_as_the_revoking_actor(authority, pki):
    token_id, _ = issue(authority, pki, user="frank")
    assert cli(authority, pki, "tokens", "revoke", "--user", "frank", token_id, "--as", "ops-dave").returncode == 0
    result = cli(authority, pki, "tokens", "events", "--user", "frank", token_id, "--json")
    assert result.returncode == 0, result.stderr
    events = {e["event"]: e for e in json.loads(result.stdout)["events"]}
    revoked = events["token.revoked"]
    assert revoked["actor_name"] == "ops-dave" and revoked["user_agent"].startswith("tokengate-cli/")
    assert "token.created" in events


def test_tokens_rotate_with_a_grace_prints_the_new_content_once_and_keeps_the_old_one_working(authority, pki):
    old_id, old = issue(authority, pki, name="rotated")
    result = cli(authority, pki, "tokens", "rotate", "--user", "alice", "--grace", "1h", old_id)
    assert result.returncode == 0, result.stderr
    new = result.stdout.strip()
    assert result.stdout == new + "\n" and new.startswith("personal_token_"), "stdout is the content alone"
    assert result.stderr == ""
    ISSUED.append(new)
    assert cli(authority, pki, "verify", stdin=new).returncode == 0
    assert cli(authority, pki, "verify", stdin=old).returncode == 0, "the old value works in its grace"
    listed = json.loads(cli(authority, pki, "tokens", "list", "--user", "alice", "--json").stdout)
    assert [t for t in listed["tokens"] if t["id"] == old_id], "the retiring token is listed"

    again_id, again = issue(authority, pki, name="rotated-now")
    result = cli(authority, pki, "tokens", "rotate", "--user", "alice", again_id)
    assert result.returncode == 0, result.stderr
    ISSUED.append(result.stdout.strip())
    assert cli(authority, pki, "verify", stdin=again).returncode == 1, "without --grace the old value dies now"
    assert cli(authority, pki, "tokens", "rotate", "--user", "alice", "--grace", "soon", again_id).returncode == 2


def test_service_accounts_list_tokens_revoke_and_disable(authority, pki):
    """A service account made and managed over the RPCs; the CLI lists it, its
    tokens (as owner sa:NAME), revokes them without disabling it, then disables it."""
    name = f"etl-{uuid.uuid4().hex[:8]}"
    admin = pb.Actor(name="ops-carol", admin=True)
    rpc = stub(authority, pki)
    rpc.CreateServiceAccount(pb.CreateServiceAccountRequest(actor=admin, name=name, email="etl@example.com"),
                             timeout=10)
    rpc.AddServiceAccountManager(pb.ServiceAccountManagerRequest(actor=admin, name=name, user_name="gina"),
                                 timeout=10)

    def issue_for_account():
        answer = rpc.IssueToken(pb.IssueTokenRequest(user_name="gina", service_account=name,
                                                     name=f"spark-{uuid.uuid4().hex[:6]}"), timeout=10)
        ISSUED.append(answer.content)
        return answer.token.id, answer.content

    first, content = issue_for_account()
    listed = json.loads(cli(authority, pki, "service-accounts", "list", "--page-size", "50", "--json").stdout)
    mine = next(a for a in listed["service_accounts"] if a["name"] == name)
    assert mine["owner_name"] == f"sa:{name}" and mine["managers"] == ["gina"]
    tokens = json.loads(cli(authority, pki, "service-accounts", "tokens", "list", name, "--json").stdout)
    assert [(t["id"], t["user_name"], t["scopes"]) for t in tokens["tokens"]] == [(first, f"sa:{name}", ["all:write"])]

    revoked = cli(authority, pki, "service-accounts", "tokens", "revoke", name)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.splitlines() == [f"revoked 1 token of sa:{name}", first]
    assert cli(authority, pki, "verify", stdin=content).returncode == 1

    second, content = issue_for_account()  # Still enabled: its managers go on.
    disabled = cli(authority, pki, "service-accounts", "disable", name, "--json")
    assert disabled.returncode == 0, disabled.stderr
    assert json.loads(disabled.stdout) == {"service_account": name, "revoked_count": 1, "token_ids": [second]}
    assert cli(authority, pki, "verify", stdin=content).returncode == 1
    assert cli(authority, pki, "service-accounts", "disable", name).returncode == 3
