"""A stand-in OpenID Connect provider on loopback for tests that need logins
but not Keycloak itself (sessions across api replicas, hostile key sets):
discovery, a JWK set, an authorization endpoint that logs in whoever the
test names without a form, the token endpoint (authorization code with PKCE
S256, refresh), and an end-session endpoint that ends the refresh token. RS256 with a key made here by the openssl command (the venv
has no crypto library). It must not grow into a second Keycloak: the real
provider's behaviour is tested against Keycloak (tests/e2e/keycloak)."""
import base64
import hashlib
import json
import secrets
import subprocess
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class StandInIdp:
    """At http://127.0.0.1:<port>/realms/<realm> (Keycloak's issuer layout, so the
    api's keycloak provider finds it). `user` is who the next logins are."""

    def __init__(self, client_id="tokengate", client_secret="client-secret", realm="tokengate", access_seconds=300):
        self.client_id, self.client_secret = client_id, client_secret
        self.access_seconds = access_seconds
        self.user = "alice"
        self.codes = {}            # code → (user, nonce, challenge, redirect_uri)
        self.refresh_tokens = {}   # live refresh token → user
        self.lock = threading.Lock()
        self._dir = tempfile.TemporaryDirectory(prefix="stand-in-idp-")
        self._key = f"{self._dir.name}/key.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                        self._key], check=True, capture_output=True)
        modulus = subprocess.run(["openssl", "rsa", "-in", self._key, "-noout", "-modulus"], check=True,
                                 capture_output=True, text=True).stdout.strip().split("=", 1)[1]
        self.jwks = {"keys": [{"kty": "RSA", "kid": "stand-in-1", "use": "sig", "alg": "RS256", "e": "AQAB",
                               "n": b64url(bytes.fromhex(modulus))}]}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.issuer = f"{self.url}/realms/{realm}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self._dir.cleanup()

    def jwt(self, claims):
        head = b64url(json.dumps({"alg": "RS256", "kid": "stand-in-1", "typ": "JWT"}).encode())
        body = b64url(json.dumps(claims).encode())
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self._key],
                                   input=f"{head}.{body}".encode(), check=True, capture_output=True).stdout
        return f"{head}.{body}.{b64url(signature)}"

    def _tokens(self, user, nonce=None):
        now = int(time.time())
        common = {"iss": self.issuer, "sub": f"id-{user}", "preferred_username": user,
                  "email": f"{user}@example.test", "iat": now, "exp": now + self.access_seconds,
                  "azp": self.client_id}
        id_claims = {**common, "aud": self.client_id, "typ": "ID"}
        if nonce is not None:
            id_claims["nonce"] = nonce
        refresh = secrets.token_urlsafe(32)
        with self.lock:
            self.refresh_tokens[refresh] = user
        return {"access_token": self.jwt({**common, "aud": "account", "typ": "Bearer"}),
                "id_token": self.jwt(id_claims), "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": self.access_seconds}

    def _grant(self, form):
        """(status, JSON answer) of the token endpoint."""
        if form.get("grant_type") == "authorization_code":
            with self.lock:
                found = self.codes.pop(form.get("code", ""), None)
            if found is None:
                return 400, {"error": "invalid_grant"}
            user, nonce, challenge, redirect_uri = found
            verifier = form.get("code_verifier", "")
            if b64url(hashlib.sha256(verifier.encode()).digest()) != challenge or form.get("redirect_uri") != redirect_uri:
                return 400, {"error": "invalid_grant"}
            return 200, self._tokens(user, nonce)
        if form.get("grant_type") == "refresh_token":
            with self.lock:
                user = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if user is None:
                return 400, {"error": "invalid_grant"}
            return 200, self._tokens(user)
        return 400, {"error": "unsupported_grant_type"}

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, status, body=None, location=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                base = urllib.parse.urlsplit(idp.issuer).path
                if url.path == f"{base}/.well-known/openid-configuration":
                    self.answer(200, {"issuer": idp.issuer, "authorization_endpoint": f"{idp.issuer}/auth",
                                      "token_endpoint": f"{idp.issuer}/token", "jwks_uri": f"{idp.issuer}/certs",
                                      "end_session_endpoint": f"{idp.issuer}/logout"})
                elif url.path == f"{base}/certs":
                    self.answer(200, idp.jwks)
                elif url.path == f"{base}/auth":
                    if query.get("client_id") != idp.client_id or query.get("code_challenge_method") != "S256":
                        self.answer(400, {"error": "invalid_request"})
                        return
                    code = secrets.token_urlsafe(16)
                    with idp.lock:
                        idp.codes[code] = (idp.user, query.get("nonce"), query.get("code_challenge"),
                                           query.get("redirect_uri"))
                    back = urllib.parse.urlencode({"code": code, "state": query.get("state", "")})
                    self.answer(302, location=f"{query['redirect_uri']}?{back}")
                elif url.path == f"{base}/logout":
                    self.answer(302, location=query.get("post_logout_redirect_uri", "/"))
                else:
                    self.answer(404, {"error": "not_found"})

            def do_POST(self):
                url = urllib.parse.urlsplit(self.path)
                base = urllib.parse.urlsplit(idp.issuer).path
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                expected = "Basic " + base64.b64encode(
                    f"{urllib.parse.quote(idp.client_id)}:{urllib.parse.quote(idp.client_secret)}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self.answer(401, {"error": "invalid_client"})
                elif url.path == f"{base}/token":
                    self.answer(*idp._grant(form))
                elif url.path == f"{base}/logout":
                    with idp.lock:
                        idp.refresh_tokens.pop(form.get("refresh_token", ""), None)
                    self.answer(204)
                else:
                    self.answer(404, {"error": "not_found"})

            def log_message(self, *args):
                pass

        return Handler
