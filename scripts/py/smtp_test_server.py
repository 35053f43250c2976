#!/usr/bin/env python3
"""A real SMTP server on loopback for churn's offer tests (aiosmtpd), with failures on demand.

Keeps every accepted message in a Maildir (created here, with tmp/ new/ cur/) and appends one line
per SMTP reply it gives to DIR/replies.log, so a test can count attempts.

  smtp_test_server.py --port 2525 --maildir DIR [--tempfail N] [--reject TEXT] [--slow-data SECONDS]

--tempfail N      answer the first N DATA commands with 451 (a temporary failure)
--reject TEXT     answer RCPT for addresses containing TEXT with 550 and a text of its own
--slow-data S     wait S seconds before accepting DATA (lets a test kill the sender mid-send)
--starttls CERT KEY  offer STARTTLS with this certificate and require it before MAIL
--smtps CERT KEY  TLS from the first byte (implicit TLS, the smtps:// scheme) with this certificate
--auth USER:PASS  require AUTH (PLAIN or LOGIN, only after STARTTLS) with these credentials

Prints "ready PORT" on stdout once listening; stops on SIGTERM or SIGINT.
"""
import argparse
import mailbox
import os
import signal
import ssl
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, maildir, tempfail, reject, slow):
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        self.box = mailbox.Maildir(maildir, create=False)
        self.log = os.path.join(maildir, "replies.log")
        self.tempfail = tempfail
        self.reject = reject
        self.slow = slow

    def note(self, reply):
        with open(self.log, "a") as f:
            f.write(reply + "\n")
        return reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject in address:
            return self.note("550 5.1.1 <%s>: Recipient address rejected: mailbox unavailable" % address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail > 0:
            self.tempfail -= 1
            return self.note("451 4.3.0 Temporary local problem, try again later")
        if self.slow > 0:
            self.note("DATA received, waiting %.1f s before replying" % self.slow)
            time.sleep(self.slow)
        self.box.add(envelope.original_content)
        return self.note("250 2.0.0 Message accepted for delivery")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--maildir", required=True)
    p.add_argument("--tempfail", type=int, default=0)
    p.add_argument("--reject", default="")
    p.add_argument("--slow-data", type=float, default=0)
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", default="")
    a = p.parse_args()
    handler = Handler(a.maildir, a.tempfail, a.reject, a.slow_data)
    options = {}
    if a.starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.starttls[0], a.starttls[1])
        options.update(tls_context=context, require_starttls=True)
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            handler.note("AUTH %s %s" % (mechanism, "accepted" if ok else "refused"))
            return AuthResult(success=ok)

        options.update(authenticator=authenticator, auth_required=True)
    implicit = {}
    if a.smtps:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.smtps[0], a.smtps[1])
        implicit["ssl_context"] = context
    controller = Controller(handler, hostname="127.0.0.1", port=a.port, server_kwargs=options, **implicit)
    controller.start()
    print("ready %d" % a.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
