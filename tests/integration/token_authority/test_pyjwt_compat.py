"""Wire compatibility with Data.Rentgen's personal tokens, checked with an
independent JWT implementation (PyJWT): a token minted with Data.Rentgen's
claim set and the shared secret verifies here, and ours validate there."""
import datetime
import os
import pathlib
import re
import subprocess
import sys
import time
import uuid

import jwt
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "support"))
import authority_grpc  # noqa: E402

SECRET = "shared-with-data-rentgen-0123456789abcdef"
ISSUER = "data-rentgen"
BUILD = pathlib.Path(os.environ["TOKENGATE_BUILD_DIR"])
ADMIN_URL = os.environ["TOKENGATE_TEST_DATABASE_URL"]


def psql(url, sql):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qtAc", sql], check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def authority():
    name = f"tg_pyjwt_{os.getpid()}"
    psql(ADMIN_URL, f"DROP DATABASE IF EXISTS {name}")
    psql(ADMIN_URL, f"CREATE DATABASE {name}")
    db_url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    env = {"PATH": os.environ["PATH"], "TOKENGATE_DATABASE_URL": db_url,
           "TOKENGATE_SECRET_KEY": SECRET, "TOKENGATE_TOKEN_ISSUER": ISSUER,
           "TOKENGATE_GRPC_LISTEN": "127.0.0.1:0"}
    log = open(f"/tmp/{name}.log", "w+")
    proc = subprocess.Popen([str(BUILD / "services/token_authority/token-authority")],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    port = None
    deadline = time.monotonic() + 20
    while port is None and time.monotonic() < deadline and proc.poll() is None:
        log.seek(0)
        match = re.search(r"listening on port (\d+)", log.read())
        port = int(match.group(1)) if match else None
        time.sleep(0.02)
    assert port, "authority did not start"
    yield authority_grpc.stub(f"127.0.0.1:{port}")
    proc.terminate()
    assert proc.wait(timeout=20) == 0
    psql(ADMIN_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def issue(stub, user="alice", name="etl"):
    return stub.IssueToken(authority_grpc.pb.IssueTokenRequest(user_name=user, name=name), timeout=5)


def day_start(day):
    return int(datetime.datetime.combine(day, datetime.time(), datetime.timezone.utc).timestamp())


def test_our_token_validates_with_pyjwt_and_data_rentgen_claims(authority):
    issued = issue(authority, name="ours")
    content = issued.content
    assert content.startswith("personal_token_")
    claims = jwt.decode(content.removeprefix("personal_token_"), SECRET, algorithms=["HS256"],
                        issuer=ISSUER, options={"require": ["exp", "nbf", "iat", "iss"]})
    assert claims["jti"] == issued.token.id
    assert claims["token_name"] == "ours"
    assert claims["preferred_username"] == "alice"
    assert isinstance(claims["sub_id"], int)
    assert claims["scope"] == "all:read all:write"
    until = datetime.date.fromisoformat(issued.token.until)
    since = datetime.date.fromisoformat(issued.token.since)
    assert claims["exp"] == day_start(until + datetime.timedelta(days=1))
    assert claims["nbf"] == day_start(since)
    # iat comes from the UUIDv7 timestamp of jti.
    assert claims["iat"] == (uuid.UUID(claims["jti"]).int >> 80) // 1000


def test_token_minted_like_data_rentgen_verifies_here(authority):
    issued = issue(authority, name="theirs")
    ours = jwt.decode(issued.content.removeprefix("personal_token_"), SECRET, algorithms=["HS256"],
                      issuer=ISSUER)
    now = int(time.time())
    theirs = jwt.encode({
        "iss": ISSUER, "jti": issued.token.id, "token_name": "theirs", "sub_id": ours["sub_id"],
        "preferred_username": "alice", "scope": "all:read all:write", "iat": now,
        "nbf": ours["nbf"], "exp": ours["exp"],
    }, SECRET, algorithm="HS256")
    answer = authority.VerifyToken(authority_grpc.pb.VerifyTokenRequest(token="personal_token_" + theirs),
                                   timeout=5)
    assert answer.valid, answer.reason
    assert answer.user_name == "alice"


@pytest.mark.parametrize("as_float", [True, False], ids=["float-times", "integer-times"])
def test_pyjwt_token_with_float_or_integer_times_verifies(authority, as_float):
    """Data.Rentgen writes nbf/exp as datetime.timestamp() floats (1764288000.0)."""
    issued = issue(authority, name=f"times-{as_float}")
    ours = jwt.decode(issued.content.removeprefix("personal_token_"), SECRET, algorithms=["HS256"],
                      issuer=ISSUER)
    since = datetime.datetime.fromtimestamp(ours["nbf"], datetime.timezone.utc)
    until = datetime.datetime.fromtimestamp(ours["exp"], datetime.timezone.utc)
    claims = {**ours, "nbf": since.timestamp(), "exp": until.timestamp()}
    if not as_float:
        claims.update(nbf=int(claims["nbf"]), exp=int(claims["exp"]))
    minted = jwt.encode(claims, SECRET, algorithm="HS256")
    payload = minted.split(".")[1]
    assert (b".0," in jwt.utils.base64url_decode(payload)) == as_float
    answer = authority.VerifyToken(authority_grpc.pb.VerifyTokenRequest(token="personal_token_" + minted),
                                   timeout=5)
    assert answer.valid, answer.reason
    assert answer.expires_at_unix == ours["exp"]


def test_pyjwt_token_with_fractional_exp_in_the_past_is_expired(authority):
    issued = issue(authority, name="past-fraction")
    ours = jwt.decode(issued.content.removeprefix("personal_token_"), SECRET, algorithms=["HS256"],
                      issuer=ISSUER)
    past = time.time() - 0.5  # A fraction that rounds down into the past.
    minted = jwt.encode({**ours, "exp": past}, SECRET, algorithm="HS256")
    answer = authority.VerifyToken(authority_grpc.pb.VerifyTokenRequest(token="personal_token_" + minted),
                                   timeout=5)
    assert not answer.valid
    assert answer.reason == "Token has expired"


def test_pyjwt_token_with_wrong_issuer_is_refused(authority):
    issued = issue(authority, name="wrong-iss")
    ours = jwt.decode(issued.content.removeprefix("personal_token_"), SECRET, algorithms=["HS256"],
                      issuer=ISSUER)
    ours["iss"] = "someone-else"
    forged = jwt.encode(ours, SECRET, algorithm="HS256")
    answer = authority.VerifyToken(authority_grpc.pb.VerifyTokenRequest(token="personal_token_" + forged),
                                   timeout=5)
    assert not answer.valid
    assert answer.reason == "Invalid issuer"


def test_pyjwt_alg_none_is_refused(authority):
    issued = issue(authority, name="none-alg")
    ours = jwt.decode(issued.content.removeprefix("personal_token_"), SECRET, algorithms=["HS256"],
                      issuer=ISSUER)
    unsigned = jwt.encode(ours, None, algorithm="none")
    answer = authority.VerifyToken(authority_grpc.pb.VerifyTokenRequest(token="personal_token_" + unsigned),
                                   timeout=5)
    assert not answer.valid
    assert answer.reason == "Token algorithm is not allowed"
