"""Expiry notices from real authority processes to real receivers: aiosmtpd
(plain, and STARTTLS with AUTH from a _FILE setting) and an HTTP webhook
receiver that checks the HMAC signature. Exactly once across two replicas
with one killed (-9) in the middle of a delivery and restarted; an SMTP
server that is down is retried until one mail arrives; a webhook that keeps
answering 500 is given up after TOKENGATE_NOTICE_MAX_ATTEMPTS and the outbox
says so. Tokens valid through tomorrow stand in for tokens days from expiry;
the scan runs every second."""
import datetime
import uuid

import authority_grpc
import notice_receivers
import stack

pb = authority_grpc.pb
PUBLIC_URL = "https://tokens.example.test"
WEBHOOK_SECRET = "webhook-secret-0123456789abcdef"
# A test stub's open channel holds the authority's shutdown for the whole grace period.
FAST = {"expiry_scan_seconds": 1, "notice_retry_seconds": 1, "public_url": PUBLIC_URL, "shutdown_grace_seconds": 1,
        "smtp_from": "Tokengate <noreply@tokengate.test>"}
DELIVERS = "this replica delivers notices now"


def day(offset):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).isoformat()


def issue(stub, user, email, until, name=None):
    """A token issued the way the api does it, the owner's e-mail in the Actor."""
    request = pb.IssueTokenRequest(user_name=user, name=name or f"t-{uuid.uuid4().hex[:8]}", until=until,
                                   actor=pb.Actor(name=user, email=email))
    return stub.IssueToken(request, timeout=10)


def rows(db, columns="token_id::text, kind, threshold_days, channel, state, attempts"):
    out = stack.psql(db, f"SELECT {columns} FROM token_notice ORDER BY id")
    return [line.split("|") for line in out.splitlines() if line]


def states(db):
    return [row[0] for row in rows(db, "state")]


def test_expiry_mail_over_starttls_names_token_owner_date_and_link(tmp_path):
    password = tmp_path / "smtp-password"
    password.write_text("smtp-pass-0123\n")
    with notice_receivers.SmtpReceiver(tls=True) as smtp, stack.fresh_database("tg_notice") as db:
        settings = dict(FAST, smtp_url=smtp.url, smtp_username="notices", smtp_ca_file=smtp.cert,
                        TOKENGATE_SMTP_PASSWORD_FILE=password)
        with stack.authority(db, **settings) as authority:
            stub = authority_grpc.stub(authority.address)
            tomorrow = issue(stub, "mia", "mia@example.test", day(1), name="nightly-etl")
            in_five = issue(stub, "mia", "mia@example.test", day(5), name="weekly")
            issue(stub, "mia", "mia@example.test", day(30), name="far-away")
            issue(stub, "no-mail", "", day(1))  # No address: no e-mail to send.
            assert stack.eventually(lambda: states(db) == ["sent", "sent"], 20), rows(db)

    mails = smtp.received()
    assert len(mails) == 2, [m["message"]["Subject"] for m in mails]
    by_token = {m["message"]["X-Tokengate-Notice-Id"]: m for m in mails}
    assert len(by_token) == 2
    subjects = sorted(m["message"]["Subject"] for m in mails)
    assert subjects == [f'Your personal token "nightly-etl" expires after {day(1)}',
                        f'Your personal token "weekly" expires after {day(5)}']
    for mail in mails:
        message = mail["message"]
        assert mail["to"] == ["mia@example.test"] and mail["from"] == "noreply@tokengate.test"
        body = message.get_content()
        assert "Hello mia" in body and f"{PUBLIC_URL}/" in body
        assert "personal_token_" not in mail["raw"]
        assert tomorrow.content not in mail["raw"] and in_five.content not in mail["raw"]
        assert message["Message-ID"].startswith("<notice-")


def test_catch_up_sends_only_the_nearest_threshold_and_records_it(tmp_path):
    with notice_receivers.SmtpReceiver() as smtp, stack.fresh_database("tg_notice") as db:
        with stack.authority(db, **FAST, smtp_url=smtp.url, smtp_starttls="none") as authority:
            stub = authority_grpc.stub(authority.address)
            token = issue(stub, "ivo", "ivo@example.test", day(1))
            assert stack.eventually(lambda: states(db) == ["sent"], 20), rows(db)
            # Within 7 and 1 days at the first scan: the 1-day notice only, and no 7-day one later.
            assert rows(db) == [[token.token.id, "expiry", "1", "email", "sent", "1"]]
            audit = stack.psql(db, "SELECT actor_kind, user_name, token_id, detail FROM audit_event "
                                   "WHERE event = 'token.expiry_notice'")
            assert audit == f"system|ivo|{token.token.id}|channel=email threshold_days=1"
    assert len(smtp.received()) == 1


def test_smtp_server_down_is_retried_until_one_mail_arrives():
    port = stack.free_port()
    with stack.fresh_database("tg_notice") as db:
        with stack.authority(db, **FAST, smtp_url=f"smtp://127.0.0.1:{port}", smtp_starttls="none") as authority:
            issue(authority_grpc.stub(authority.address), "lea", "lea@example.test", day(1))
            failed_twice = lambda: [int(row[0]) >= 2 for row in rows(db, "attempts")] == [True]
            assert stack.eventually(failed_twice, 20), rows(db, "state, attempts, last_error")
            assert "SMTP" in rows(db, "last_error")[0][0]
            with notice_receivers.SmtpReceiver(port=port) as smtp:
                assert stack.eventually(lambda: states(db) == ["sent"], 20), rows(db, "state, attempts, last_error")
            assert len(smtp.received()) == 1
            assert stack.psql(db, "SELECT last_error IS NULL FROM token_notice") == "t"


def test_webhook_is_signed_and_a_failing_one_is_given_up_after_the_bound(tmp_path):
    secret = tmp_path / "webhook-secret"
    secret.write_text(WEBHOOK_SECRET)
    failing = lambda body: 500 if body["token"]["name"].startswith("fail") else 200
    with notice_receivers.WebhookReceiver(WEBHOOK_SECRET, failing) as hook, \
            stack.fresh_database("tg_notice") as db:
        settings = dict(FAST, webhook_url=hook.url, TOKENGATE_WEBHOOK_SECRET_FILE=secret, notice_max_attempts=3)
        with stack.authority(db, **settings) as authority:
            stub = authority_grpc.stub(authority.address)
            good = issue(stub, "olga", "", day(1), name="good")  # No e-mail needed for the webhook.
            bad = issue(stub, "olga", "", day(1), name="fail-always")
            done = lambda: sorted(states(db)) == ["failed", "sent"]
            assert stack.eventually(done, 20), rows(db, "state, attempts, last_error")
            by_token = {row[0]: row for row in rows(db, "token_id::text, state, attempts, last_error")}
            assert by_token[bad.token.id][1:] == ["failed", "3", "webhook answered HTTP 500"]
            assert by_token[good.token.id][1:3] == ["sent", "1"]
            assert "given up after 3 attempts" in authority.log()

    calls = hook.received()
    assert [c["body"]["token"]["id"] for c in calls].count(bad.token.id) == 3
    delivered = [c for c in calls if c["body"]["token"]["id"] == good.token.id]
    assert len(delivered) == 1 and all(c["signed"] for c in calls)
    body = delivered[0]["body"]
    assert body["event"] == "token.expiry_notice" and body["threshold_days"] == 1
    assert body["token"]["name"] == "good" and body["token"]["until"] == day(1)
    assert body["user"] == {"name": "olga"} and body["link"] == f"{PUBLIC_URL}/"
    headers = delivered[0]["headers"]
    assert headers["X-Tokengate-Event"] == "token.expiry_notice"
    assert headers["X-Tokengate-Notice-Id"] == str(body["id"])
    assert "personal_token_" not in delivered[0]["raw"].decode()
    # A wrong secret does not verify: the check above can fail.
    assert not notice_receivers.signature_ok("another-secret-0123456789", headers["X-Tokengate-Signature"],
                                             delivered[0]["raw"])


def test_exactly_once_across_two_replicas_with_one_killed_mid_delivery():
    count = 8
    with notice_receivers.SmtpReceiver() as smtp, stack.fresh_database("tg_notice") as db:
        settings = dict(FAST, smtp_url=smtp.url, smtp_starttls="none")
        smtp.stall_delivery(3)  # The 3rd mail hangs until the sender is dead, then is refused.
        first = stack.authority(db, **settings)
        assert stack.eventually(lambda: DELIVERS in first.log(), 10)
        second = stack.authority(db, **settings)
        try:
            stub = authority_grpc.stub(second.address)
            tokens = [issue(stub, "nina", "nina@example.test", day(1), name=f"job-{i}") for i in range(count)]
            assert smtp.stalled.wait(20), "the first replica never reached the 3rd mail"
            assert DELIVERS not in second.log()
            first.kill()  # -9, with a notice claimed and half sent.
            smtp.release.set()
            assert stack.eventually(lambda: DELIVERS in second.log(), 10), second.log()[-2000:]
            first = stack.authority(db, **settings)  # Back, and now the one waiting.
            assert stack.eventually(lambda: states(db) == ["sent"] * count, 30), rows(db)
            assert "1 interrupted deliveries queued again" in second.log()
        finally:
            first.stop()
            second.stop()

    mails = smtp.received()
    subjects = sorted(m["message"]["Subject"] for m in mails)
    assert subjects == sorted(f'Your personal token "job-{i}" expires after {day(1)}' for i in range(count))
    assert smtp.attempts == count + 1  # Every mail once, plus the refused one.
    assert len({t.token.id for t in tokens}) == count


def test_the_owner_address_is_kept_from_their_own_calls_only():
    with stack.fresh_database("tg_notice") as db, stack.authority(db, shutdown_grace_seconds=1) as authority:
        stub = authority_grpc.stub(authority.address)
        email_of = lambda user: stack.psql(db, f"SELECT coalesce(email, '-') FROM \"user\" WHERE name = '{user}'")
        # An administrator acting on bob's tokens does not give bob their address.
        stub.IssueToken(pb.IssueTokenRequest(user_name="bob", name="by-admin", until=day(3),
                                             actor=pb.Actor(name="carol", email="carol@example.test", admin=True)),
                        timeout=10)
        assert email_of("bob") == "-"
        issue(stub, "bob", "bob@example.test", day(3))
        assert email_of("bob") == "bob@example.test"
        issue(stub, "bob", "bob\r\nRCPT TO:<x@example.test>", day(4))  # Unusable: ignored.
        assert email_of("bob") == "bob@example.test"
        stub.ListTokens(pb.ListTokensRequest(user_name="bob", actor=pb.Actor(name="bob", email="bob@new.example.test")),
                        timeout=10)
        assert email_of("bob") == "bob@new.example.test"


def test_a_channel_that_is_down_gets_one_attempt_per_scan_and_holds_up_nothing():
    dead_webhook = f"http://127.0.0.1:{stack.free_port()}/hook"
    with notice_receivers.SmtpReceiver() as smtp, stack.fresh_database("tg_notice") as db:
        with stack.authority(db, shutdown_grace_seconds=1) as quiet:  # Notices off: only issues.
            stub = authority_grpc.stub(quiet.address)
            for i in range(3):
                issue(stub, "kai", "kai@example.test", day(1), name=f"k{i}")
        # One scan (at start; the next is 30 s away) queues 3 mails and 3 webhook calls.
        settings = dict(FAST, expiry_scan_seconds=30, smtp_url=smtp.url, smtp_starttls="none",
                        webhook_url=dead_webhook, webhook_secret=WEBHOOK_SECRET)
        with stack.authority(db, **settings):
            mails_sent = lambda: rows(db, "channel, state").count(["email", "sent"]) == 3
            assert stack.eventually(mails_sent, 10), rows(db)
            webhook_attempts = sorted(row[1] for row in rows(db, "channel, attempts") if row[0] == "webhook")
            assert webhook_attempts == ["0", "0", "1"], rows(db)
    assert len(smtp.received()) == 3


def service_account_with_manager(stub, name, manager, manager_email, **contact):
    """A service account made over the admin RPCs, and `manager`'s e-mail kept from their own call."""
    admin = pb.Actor(name="root", admin=True)
    stub.CreateServiceAccount(pb.CreateServiceAccountRequest(actor=admin, name=name, **contact), timeout=10)
    stub.AddServiceAccountManager(pb.ServiceAccountManagerRequest(actor=admin, name=name, user_name=manager),
                                  timeout=10)
    issue(stub, manager, manager_email, day(30), name="own")  # Records the manager's address.


def issue_for_account(stub, name, manager, until):
    return stub.IssueToken(pb.IssueTokenRequest(user_name=manager, service_account=name, name="spark-nightly",
                                                until=until, actor=pb.Actor(name=manager)), timeout=10)


def test_a_service_account_token_notifies_its_contact_webhook_once_across_two_replicas(tmp_path):
    secret = tmp_path / "webhook-secret"
    secret.write_text(WEBHOOK_SECRET)
    with notice_receivers.WebhookReceiver(WEBHOOK_SECRET) as configured, \
            notice_receivers.WebhookReceiver(WEBHOOK_SECRET) as contact, stack.fresh_database("tg_notice") as db:
        settings = dict(FAST, webhook_url=configured.url, TOKENGATE_WEBHOOK_SECRET_FILE=secret)
        with stack.authority(db, **settings) as first, stack.authority(db, **settings) as second:
            stub = authority_grpc.stub(second.address)
            service_account_with_manager(stub, "etl-prod", "pia", "", webhook_url=contact.url)
            token = issue_for_account(stub, "etl-prod", "pia", day(1))
            sent = lambda: [r[0] for r in rows(db, "token_id::text, state") if r[1] == "sent"]
            assert stack.eventually(lambda: token.token.id in sent(), 20), rows(db)
            # Later scans (a person's token queued after it was sent) add nothing for it.
            later = issue(stub, "pia", "", day(1), name="later")
            assert stack.eventually(lambda: later.token.id in sent(), 20), rows(db)
            assert DELIVERS in first.log() + second.log()
    to_contact = [c for c in contact.received() if c["body"]["token"]["id"] == token.token.id]
    assert len(to_contact) == 1, contact.received()
    assert to_contact[0]["signed"] and to_contact[0]["body"]["user"] == {"name": "sa:etl-prod"}
    assert all(c["body"]["token"]["id"] != token.token.id for c in configured.received()), \
        "the account's own webhook replaces the configured one for its tokens"


def test_a_service_account_token_mails_its_contact_and_its_managers():
    with notice_receivers.SmtpReceiver() as smtp, stack.fresh_database("tg_notice") as db:
        with stack.authority(db, **dict(FAST, smtp_url=smtp.url, smtp_starttls="none")) as authority:
            stub = authority_grpc.stub(authority.address)
            service_account_with_manager(stub, "etl-prod", "quinn", "quinn@example.test",
                                         email="data-team@example.test")
            token = issue_for_account(stub, "etl-prod", "quinn", day(1))
            mail_for = lambda: [m for m in smtp.received() if token.token.id in m["raw"]]
            assert stack.eventually(mail_for, 20), rows(db, "token_id::text, state, last_error")
    [mail] = mail_for()
    assert sorted(mail["to"]) == ["data-team@example.test", "quinn@example.test"]
    assert mail["message"]["To"] == "data-team@example.test"
    assert mail["message"]["Cc"] == "quinn@example.test"
    assert mail["message"]["Subject"] == f'The token "spark-nightly" of service account etl-prod expires after {day(1)}'
