"""Bytes an attacker chooses never reach a library that aborts on them: with
an OpenID Connect provider (a stand-in IdP on loopback serving discovery and
a JWK set), a bearer token whose payload or signature holds an '=' inside a
base64url quantum, and a JWK set with such a value, are refused and the api
keeps serving. Debian's cjose 0.6.1 asserts on that input (found by
tests/fuzz/oidc_jws_fuzz), which killed the api before any authentication."""
import json
import pathlib

import pytest
import requests

import stack
from stand_in_idp import StandInIdp, b64url

# The public half of the key that signed the fuzz seeds: its kid is "rsa-1".
JWKS = (pathlib.Path(__file__).parents[2] / "fuzz" / "seeds" / "oidc_jws" / "jwks").read_text()
BAD_JWK = {"kty": "RSA", "kid": "bad-1", "e": "AQAB", "n": "AAAAA=AA"}


def header(kid):
    return b64url(json.dumps({"alg": "RS256", "kid": kid}).encode())


def api_with(authority, database, idp):
    env = stack.env_of({"authority_address": authority.address, "http_listen": "127.0.0.1:0",
                        "database_url": database,
                        "access_token_secret": stack.API_SECRET, "auth_provider": "keycloak",
                        "keycloak_server_url": idp.url, "keycloak_realm": "tokengate",
                        "oidc_client_id": "tokengate", "oidc_client_secret": "client-secret",
                        "oidc_redirect_uri": "http://127.0.0.1:1/v1/auth/callback"})
    return stack.Service("tokengate-api", env)


def assert_refused_and_alive(authority, database, jwks, token, reason):
    """The api with an IdP serving `jwks` answers `token` 401 for `reason` and keeps serving."""
    idp = StandInIdp()
    idp.jwks = json.loads(jwks)
    try:
        with api_with(authority, database, idp).start() as api:
            response = requests.get(f"{api.url}/v1/users/me", headers=stack.bearer(token), timeout=10)
            assert response.status_code == 401
            assert reason in response.text
            assert api.running()
            assert requests.get(f"{api.url}/monitoring/ping", timeout=10).ok
    finally:
        idp.close()


@pytest.mark.parametrize("rest", ["AAAAA=AA.AAAA", "AAAA.AAAAA=AA"], ids=["payload", "signature"])
def test_a_part_with_padding_inside_is_refused_and_the_api_lives(authority, database, rest):
    assert_refused_and_alive(authority, database, JWKS, f"{header('rsa-1')}.{rest}", "Malformed token")


def test_a_jwk_with_padding_inside_is_left_out_and_the_api_lives(authority, database):
    jwks = json.dumps({"keys": [BAD_JWK, *json.loads(JWKS)["keys"]]})
    token = f"{header('bad-1')}.{b64url(b'{}')}.{b64url(b'x' * 256)}"
    assert_refused_and_alive(authority, database, jwks, token, "unknown key")
