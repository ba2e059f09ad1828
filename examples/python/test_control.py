"""A Python test suite that drives broken-mta over its control API.

Standard library only (urllib.request, smtplib, ssl, unittest). One broken-mta runs for
the whole class (`serve --control 0`); each test sets the listener's scenario over HTTP,
sends with smtplib, and asserts from /events and /messages what the server saw.

    python3 -m unittest discover -s examples/python -v

It runs `broken-mta` from PATH, or the command in $BROKEN_MTA (our suite sets
BROKEN_MTA="node dist/cli.js").
"""

import json
import os
import shlex
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

FROM = "sender@client.example.test"
TO = "rcpt@mx.broken-mta.test"


class ControlApi:
    """The few calls a test needs: JSON in and out, errors as {"error": "..."}."""

    def __init__(self, url):
        self.url = url

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return json.loads(raw) if response.headers.get_content_type() == "application/json" else raw
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read().decode()}") from None

    def events_since(self, since, listener, wait_ms=0):
        return self.call("GET", f"/events?since={since}&listener={listener}&wait={wait_ms}")

    def wait_for(self, predicate, since, listener, timeout=5.0):
        """Long-polls /events until an event matches; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            page = self.events_since(since, listener, wait_ms=int((deadline - time.monotonic()) * 1000) + 1)
            for event in page["events"]:
                if predicate(event):
                    return event
            since = page["last"]
        raise AssertionError("no matching event in time")


def send(port, cafile, subject):
    """Sends one message as a careful client does: STARTTLS when offered, verifying the certificate."""
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.test", timeout=10) as smtp:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context(cafile=cafile))
            smtp.ehlo()
        smtp.sendmail(FROM, [TO], f"From: {FROM}\r\nTo: {TO}\r\nSubject: {subject}\r\n\r\nHello from Python.\r\n")


class ControlApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        command = shlex.split(os.environ.get("BROKEN_MTA", "broken-mta"))
        cls.dir = tempfile.mkdtemp(prefix="broken-mta-python-")
        ports_file = os.path.join(cls.dir, "ports.json")
        cls.log = open(os.path.join(cls.dir, "server.log"), "wb")
        # --exit-on-stdin-close: if this process dies, the server goes with it.
        cls.server = subprocess.Popen(
            command + ["serve", "--control", "0", "--ports-file", ports_file, "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=cls.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while not os.path.exists(ports_file):
            if cls.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("broken-mta did not start: " + open(cls.log.name).read())
            time.sleep(0.05)
        with open(ports_file) as f:
            cls.api = ControlApi(json.load(f)["control"])
        cls.port = cls.api.call("POST", "/listeners", {"scenario": "good"})["port"]
        cls.cafile = os.path.join(cls.dir, "ca.pem")
        with open(cls.cafile, "wb") as f:
            f.write(cls.api.call("GET", "/ca.pem"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stdin.close()
        cls.server.wait(timeout=10)
        cls.log.close()
        shutil.rmtree(cls.dir)

    def setUp(self):
        self.api.call("DELETE", "/messages")
        self.since = self.api.call("GET", "/healthz")["lastEvent"]

    def use(self, scenario):
        listener = self.api.call("PUT", f"/listeners/{self.port}", {"scenario": scenario})
        self.assertEqual(listener["scenario"], scenario)

    def events(self, type_):
        events = self.api.events_since(self.since, self.port)["events"]
        return [event for event in events if event["type"] == type_]

    def test_good_delivers_over_tls(self):
        self.use("good")
        send(self.port, self.cafile, "good")
        [message] = self.api.call("GET", f"/messages?listener={self.port}")["messages"]
        self.assertEqual((message["scenario"], message["secure"], message["to"]), ("good", True, [TO]))
        self.assertEqual(message["tls"]["protocol"], "TLSv1.3")
        self.assertIn("Subject: good", self.api.call("GET", f"/messages/{message['id']}")["headers"])
        self.assertIn(b"Hello from Python.", self.api.call("GET", f"/messages/{message['id']}.eml"))

    def test_expired_cert_fails_the_handshake_with_alert_45(self):
        self.use("expired-cert")
        with self.assertRaises(ssl.SSLCertVerificationError) as caught:
            send(self.port, self.cafile, "expired")
        self.assertIn("certificate has expired", str(caught.exception))
        failed = self.api.wait_for(lambda e: e["type"] == "tls-failed", self.since, self.port)
        self.assertEqual(failed["scenario"], "expired-cert")
        self.assertEqual(failed["clientAlert"], {"code": 45, "name": "certificate_expired"})
        self.assertEqual(self.api.call("GET", "/messages")["messages"], [])

    def test_greylist_defers_then_accepts_the_retry(self):
        self.use("greylist")
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as caught:
            send(self.port, self.cafile, "greylisted")
        self.assertEqual(caught.exception.recipients[TO][0], 450)
        send(self.port, self.cafile, "retried")
        [fault] = self.events("fault")
        self.assertEqual((fault["fault"], fault["step"]), ("reply", "RCPT"))
        [message] = self.api.call("GET", "/messages")["messages"]
        self.assertEqual(message["scenario"], "greylist")

    def test_next_fails_twice_then_succeeds(self):
        self.use("good")
        listener = self.api.call("POST", f"/listeners/{self.port}/next", {"scenario": "mailbox-full-452", "connections": 2})
        self.assertEqual(listener["next"], [{"scenario": "mailbox-full-452", "connections": 2}])
        outcomes = []
        for attempt in range(3):
            try:
                send(self.port, self.cafile, f"attempt {attempt + 1}")
                outcomes.append("delivered")
            except smtplib.SMTPRecipientsRefused as refused:
                outcomes.append(refused.recipients[TO][0])
        self.assertEqual(outcomes, [452, 452, "delivered"])
        self.assertEqual([e["scenario"] for e in self.events("connect")], ["mailbox-full-452", "mailbox-full-452", "good"])
        [message] = self.api.call("GET", "/messages")["messages"]
        self.assertEqual((message["scenario"], message["secure"]), ("good", True))


if __name__ == "__main__":
    unittest.main()
