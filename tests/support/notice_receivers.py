"""Real receivers for the authority's owner notices: an SMTP server
(aiosmtpd, optionally with STARTTLS and AUTH on a self-signed certificate
made here with the openssl command) and an HTTP webhook receiver that checks
the HMAC signature. Both record what they accepted, for tests to poll."""
import asyncio
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import pathlib
import subprocess
import tempfile
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import stack


def self_signed_certificate(directory=None):
    """(cert.pem, key.pem) for 127.0.0.1/localhost, valid for a day."""
    directory = pathlib.Path(directory or tempfile.mkdtemp(prefix="tokengate-smtp-"))
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


class _MailHandler:
    def __init__(self, receiver):
        self.receiver = receiver

    async def handle_DATA(self, server, session, envelope):
        receiver = self.receiver
        with receiver.lock:
            receiver.attempts += 1
            stall = receiver.stall_at is not None and receiver.attempts == receiver.stall_at
        if stall:
            # Held until the test says; the sender may be killed meanwhile.
            # The message is then refused, so only a later delivery counts.
            receiver.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, receiver.release.wait, 30)
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with receiver.lock:
            receiver.mails.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                   "message": message, "raw": envelope.content.decode("utf-8", "replace")})
        return "250 OK"


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1:`port` (a free one if None). With `tls=True`
    it offers STARTTLS (and refuses mail without it) and requires AUTH
    `user`/`password`; `cert` is then the CA file for the client."""

    def __init__(self, port=None, tls=False, user="notices", password="smtp-pass-0123"):
        self.port = port or stack.free_port()
        self.mails = []
        self.attempts = 0
        self.stall_at = None
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.cert = None
        kwargs = {}
        if tls:
            import ssl
            self.cert, key = self_signed_certificate()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, key)
            kwargs = dict(tls_context=context, require_starttls=True, auth_required=True,
                          auth_require_tls=True, authenticator=self._authenticator(user, password))
        # A fixed server name: aiosmtpd would otherwise resolve its own per connection.
        self.controller = Controller(_MailHandler(self), hostname="127.0.0.1", port=self.port,
                                     server_hostname="localhost", **kwargs)

    @staticmethod
    def _authenticator(user, password):
        def check(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok)
        return check

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def stall_delivery(self, number):
        """Holds the `number`-th DATA (1-based) until release.set(), then refuses it."""
        self.stall_at = number

    def received(self):
        with self.lock:
            return list(self.mails)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.release.set()
        self.controller.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def signature_ok(secret, header, body, max_age=300):
    """Checks `X-Tokengate-Signature: t=<unix>,v1=<hex>` as a receiver should."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > max_age:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class WebhookReceiver:
    """An HTTP server on a free port that records each POST (headers, JSON
    body, whether its signature checks out) and answers `status_of(body)`."""

    def __init__(self, secret, status_of=lambda body: 200):
        self.secret = secret
        self.status_of = status_of
        self.calls = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = json.loads(raw)
                call = {"headers": dict(self.headers), "body": body, "raw": raw,
                        "signed": signature_ok(receiver.secret, self.headers.get("X-Tokengate-Signature", ""), raw)}
                with receiver.lock:
                    receiver.calls.append(call)
                status = receiver.status_of(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def received(self):
        with self.lock:
            return list(self.calls)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
