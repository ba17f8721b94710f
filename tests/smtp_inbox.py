"""A real SMTP server on loopback for tests (aiosmtpd), keeping what it accepts."""

from __future__ import annotations

import email
import email.policy
import socket
from contextlib import contextmanager
from typing import Iterator

from tests.missing import missing


class Inbox:
    """aiosmtpd handler keeping every accepted message with its envelope recipients."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    """An SMTP server (no TLS, no login) on ``127.0.0.1:port`` for the ``with`` block."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        missing("aiosmtpd is not installed: pip install -e '.[test]'")
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield inbox
    finally:
        server.stop()
