"""The email channel against the loopback MailServer: IMAP in, SMTP out, nothing lost, errors typed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from channels.base import ChannelMessage, SendError
from channels.email.client import (
    EmailChannel,
    FetchedEmail,
    MailboxUnavailable,
    message_id_for,
)
from channels.email.config import EmailConfig
from channels.email.parse import (
    customer_words,
    html_to_text,
    order_hint,
    parse_email,
    reply_subject,
)
from channels.simulators.log import SimLog
from channels.simulators.mail import MailServer
from shopdesk.channel_configs import channel_configs
from shopdesk.settings import Settings
from tools.models import Customer, Platform
from tools.sandbox.store import SandboxStore

SELLER = "support@shop.example.com"
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return NOW


@pytest.fixture
def log() -> SimLog:
    return SimLog()


@pytest.fixture
def mail(log: SimLog) -> Iterator[MailServer]:
    with MailServer(log, SELLER) as server:
        yield server


def config_for(mail: MailServer, **overrides: object) -> EmailConfig:
    values: dict[str, object] = {
        "imap_host": "127.0.0.1", "imap_port": mail.imap_port, "imap_ssl": False, "imap_user": mail.user,
        "imap_password": mail.password, "smtp_host": "127.0.0.1", "smtp_port": mail.smtp_port,
        "smtp_starttls": False, "smtp_user": mail.user, "smtp_password": mail.password, "seller_email": SELLER,
        "email_authserv_id": mail.authserv_id}
    return channel_configs(Settings(**(values | overrides))).email  # type: ignore[arg-type]


@pytest.fixture
def channel(mail: MailServer) -> EmailChannel:
    return EmailChannel(config_for(mail), clock=_Clock())


def customer_on(store: SandboxStore, platform: Platform) -> tuple[Customer, str, str]:
    """A store customer with an order on `platform`: (customer, identity to write from, order id)."""
    kind = "relay_email" if platform in ("amazon", "walmart") else "email"
    for customer in store.list_customers():
        ids = [i.value for i in customer.identity_on(platform) if i.kind == kind]
        orders = store.customer_orders(customer.id, platform) if ids else []
        if orders:
            return customer, ids[0], orders[0].id
    raise AssertionError(f"no {platform} customer with an order in the demo store")


def only_message(channel: EmailChannel) -> tuple[FetchedEmail, ChannelMessage]:
    items = channel.fetch_new()
    assert len(items) == 1 and items[0].message is not None, items
    return items[0], items[0].message


# ---------------------------------------------------------------- the IMAP server itself

def test_imapclient_logs_in_searches_fetches_and_flags(mail: MailServer) -> None:
    first = mail.send_customer_email("buyer@example.org", "Hello", "First message")
    mail.send_customer_email("buyer@example.org", "Hello again", "Second message")
    client = IMAPClient("127.0.0.1", port=mail.imap_port, ssl=False, timeout=5)
    try:
        with pytest.raises(LoginError):
            client.login(mail.user, "wrong")
        client.login(mail.user, mail.password)
        info = client.select_folder("INBOX", readonly=True)
        assert info[b"EXISTS"] == 2 and info[b"UIDNEXT"] == 3 and info[b"UIDVALIDITY"] > 0
        assert client.search("UNSEEN") == [1, 2] and client.search(["UID", "2:*"]) == [2]
        fetched = client.fetch([1], ["BODY.PEEK[]", "FLAGS", "RFC822.SIZE"])[1]
        assert first.encode() in fetched[b"BODY[]"] and fetched[b"FLAGS"] == ()
        assert fetched[b"RFC822.SIZE"] == len(fetched[b"BODY[]"])
        assert client.search("UNSEEN") == [1, 2]  # PEEK leaves \Seen alone
        client.select_folder("INBOX")
        assert client.add_flags([1], [b"\\Seen"]) == {1: (b"\\Seen",)}
        client.fetch([2], ["RFC822"])  # a non-peek fetch marks it read
        assert client.search("UNSEEN") == [] and client.search("ALL") == [1, 2]
        client.remove_flags([2], [b"\\Seen"], silent=True)
        assert client.search("UNSEEN") == [2]
        client.noop()
    finally:
        client.logout()


def test_imap_quoting_literals_and_bad_commands(log: SimLog) -> None:
    with MailServer(log, SELLER, password='p"w\\d') as server:
        client = IMAPClient("127.0.0.1", port=server.imap_port, ssl=False, timeout=5)
        client.login(server.user, server.password)  # sent quoted, with escapes
        client.logout()
        with socket.create_connection(("127.0.0.1", server.imap_port), timeout=5) as sock:
            stream = sock.makefile("rb")
            assert stream.readline().startswith(b"* OK")
            sock.sendall(b"a1 LOGIN {6}\r\n")
            assert stream.readline().startswith(b"+")
            sock.sendall(b"seller {5+}\r\n" + server.password.encode() + b"\r\n")  # sync, then LITERAL+
            assert stream.readline() == b"a1 OK LOGIN completed\r\n"
            sock.sendall(b"a2 SELECT INBOX\r\na3 UID SEARCH BEFORE 1-Jan-2026\r\na4 FROB\r\na5 UID SEARCH UID\r\n")
            lines = [stream.readline() for _ in range(10)]  # 6 untagged + a2 OK + three BADs
            assert [line[:6] for line in lines[-4:]] == [b"a2 OK ", b"a3 BAD", b"a4 BAD", b"a5 BAD"]
            sock.sendall(b"a6 NOOP\r\n")  # the connection survived all of it
            assert stream.readline() == b"a6 OK NOOP completed\r\n"


# ---------------------------------------------------------------- polling: one test per source

def test_an_amazon_relay_email_becomes_a_message_from_that_customer(
        mail: MailServer, channel: EmailChannel, store: SandboxStore) -> None:
    customer, relay, order_id = customer_on(store, "amazon")
    text = ("Hi, my order has not arrived yet. Can you check?\n\n"
            "On Mon, Nov 23, 2026 at 9:00 AM Shop Support <support@shop.example.com> wrote:\n"
            "> Thanks for your order!\n> It ships tomorrow.")
    message_id = mail.send_customer_email(relay, None, text, order_id=order_id, name=customer.name)
    _, msg = only_message(channel)
    assert msg.platform == "amazon" and msg.customer_identity == relay
    assert msg.identity_verified and msg.verified_email == relay  # the relay domain passed DMARC on arrival
    assert store.find_customer("amazon", msg.customer_identity).id == customer.id  # type: ignore[union-attr]
    assert msg.text == "Hi, my order has not arrived yet. Can you check?"
    assert msg.order_hint == order_id and msg.conversation_key == f"amazon:{relay}"
    assert msg.delivery_id == msg.platform_message_id == message_id
    assert msg.reply_route == {"to": relay, "subject": f"Re: {msg.subject}", "in_reply_to": message_id,
                               "references": message_id}
    assert "Inquiry from Amazon customer" in (msg.subject or "") and msg.received_at <= NOW


def test_a_walmart_relay_email_finds_the_purchase_order(
        mail: MailServer, channel: EmailChannel, store: SandboxStore) -> None:
    customer, relay, order_id = customer_on(store, "walmart")
    mail.send_customer_email(relay, "Wrong size received", "I got a medium instead of a large.\n\n--\nSent from "
                             "my phone", order_id=order_id, name=customer.name)
    _, msg = only_message(channel)
    assert (msg.platform, msg.customer_identity, msg.order_hint) == ("walmart", relay, order_id)
    assert msg.identity_verified and msg.verified_email == relay
    assert msg.text == "I got a medium instead of a large." and msg.conversation_key == f"walmart:{relay}"
    assert msg.reply_route["subject"] == f"Re: Wrong size received - Order #{order_id}"


def test_a_store_customer_html_email_is_read_as_text(
        mail: MailServer, channel: EmailChannel, store: SandboxStore) -> None:
    customer, address, order_id = customer_on(store, "shopify")
    html = (f"<html><head><style>p {{color: red}}</style></head><body><p>Can I return order {order_id}?</p>"
            "<p>It doesn&#39;t fit.</p><div class='gmail_quote'>On Tue, Nov 24, 2026 Shop wrote:<br>"
            "<blockquote>Your order shipped.</blockquote></div></body></html>")
    mail.send_customer_email(address.upper(), "Re: Your order", html, html=True, name=customer.name,
                             in_reply_to="<prior@shop.example.com>", references="<first@shop.example.com> "
                             "<prior@shop.example.com>")
    _, msg = only_message(channel)
    assert (msg.platform, msg.customer_identity, msg.order_hint) == ("shopify", address, order_id)
    assert msg.identity_verified and msg.conversation_key == f"shopify:{address}"
    assert msg.text == f"Can I return order {order_id}?\n\nIt doesn't fit."
    assert msg.reply_route["subject"] == "Re: Your order"  # not "Re: Re:"
    assert msg.reply_route["references"] == f"<first@shop.example.com> <prior@shop.example.com> {msg.delivery_id}"


def test_a_malformed_email_is_reported_with_its_bytes_and_not_marked_seen(
        mail: MailServer, channel: EmailChannel) -> None:
    bad = b"Subject: no sender here\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
    bad_uid = mail.deliver_to_seller(bad)
    mail.send_customer_email("buyer@example.org", "Hi", "A good one after the bad one")
    items = channel.fetch_new()
    assert [(i.uid, i.error is not None, i.message is not None) for i in items] == [(bad_uid, True, False),
                                                                                   (bad_uid + 1, False, True)]
    assert items[0].raw == bad and items[0].delivery_id.startswith("sha256:")
    assert len(channel.fetch_new()) == 2  # nothing was marked: still there until the caller stored it
    assert channel.mark_seen([bad_uid], uidvalidity=items[0].uidvalidity) == 1
    assert [i.uid for i in channel.fetch_new()] == [bad_uid + 1]


def test_mark_seen_empties_the_next_poll_and_a_failing_store_marks_nothing(
        mail: MailServer, channel: EmailChannel) -> None:
    mail.send_customer_email("a@example.org", "One", "first")
    mail.send_customer_email("b@example.org", "Two", "second")
    assert [m.text for m in channel.poll()] == ["first", "second"]  # no store: nothing marked
    assert channel.mark_seen([1], uidvalidity=mail.mailbox.uidvalidity + 1) == 0  # stale UIDs: refuse

    def broken_store(items: list[FetchedEmail]) -> None:
        raise RuntimeError("database locked")

    with pytest.raises(RuntimeError):
        channel.poll(broken_store)
    stored: list[FetchedEmail] = []
    assert len(channel.poll(stored.extend)) == 2 and len(stored) == 2
    assert channel.poll(stored.extend) == [] and channel.fetch_new() == []


def test_own_echoes_and_bounces_are_ignored_not_errors(mail: MailServer, channel: EmailChannel) -> None:
    for sender in (SELLER, "MAILER-DAEMON@mx.example.net", "seller-notification@amazon.com"):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, SELLER, "Notice"
        msg.set_content("automated")
        mail.deliver_to_seller(msg)
    items = channel.fetch_new()
    assert [i.ignored for i in items] == ["our own message", "automated sender", "marketplace notification"]


def test_a_forged_sender_is_read_but_not_proven(mail: MailServer, channel: EmailChannel,
                                               store: SandboxStore) -> None:
    _, relay, order_id = customer_on(store, "amazon")
    mail.send_customer_email(relay, None, "Cancel my order please", order_id=order_id, authenticated=False)
    _, msg = only_message(channel)
    assert msg.customer_identity == relay and not msg.identity_verified and msg.verified_email is None
    assert msg.conversation_key == f"amazon:unverified:{relay}" and "dmarc=fail" in (msg.identity_note or "")
    # and a shopdesk that names no receiving server proves nobody, however the mail was stamped
    unconfigured = EmailChannel(config_for(mail, email_authserv_id=None), clock=_Clock())
    [item] = unconfigured.fetch_new()
    assert item.message is not None and not item.message.identity_verified


def test_an_unreachable_mailbox_is_a_typed_error(mail: MailServer) -> None:
    channel = EmailChannel(config_for(mail, imap_password="wrong"))
    with pytest.raises(MailboxUnavailable):
        channel.fetch_new()


# ---------------------------------------------------------------- sending

def test_a_reply_arrives_in_the_customers_thread(
        mail: MailServer, channel: EmailChannel, store: SandboxStore, log: SimLog) -> None:
    _, relay, order_id = customer_on(store, "amazon")
    mail.send_customer_email(relay, None, "Where is my package?", order_id=order_id)
    _, msg = only_message(channel)
    receipt = channel.send("It is out for delivery today.", msg.reply_route, idempotency_key="out-1", human=False,
                           now=NOW)
    [reply] = log.replies("amazon")
    assert reply.data["to"] == relay and reply.data["mail_from"] == SELLER
    assert reply.data["text"] == "It is out for delivery today."
    assert reply.data["subject"] == f"Re: {msg.subject}"
    assert reply.data["in_reply_to"] == msg.delivery_id and reply.data["references"] == msg.delivery_id
    assert reply.data["message_id"] == receipt.platform_message_id == message_id_for("out-1", SELLER)
    assert receipt.sent_at == NOW and channel.fetch_new()  # the customer's email is not marked by sending


def test_the_same_idempotency_key_gives_the_same_message_id(mail: MailServer, channel: EmailChannel,
                                                            log: SimLog) -> None:
    route = {"to": "x@relay.walmart.com", "subject": "Re: Order"}
    ids = [channel.send("hi", route, idempotency_key=key, human=True, now=NOW).platform_message_id
           for key in ("k1", "k1", "k2")]
    assert ids[0] == ids[1] != ids[2]
    assert [r.data["message_id"] for r in log.replies("walmart")] == ids


@pytest.mark.parametrize(("code", "retryable"), [(550, False), (451, True)])
def test_smtp_refusals_map_to_send_errors(mail: MailServer, channel: EmailChannel, code: int,
                                          retryable: bool) -> None:
    mail.reject("closed@marketplace.amazon.com", code)
    with pytest.raises(SendError) as err:
        channel.send("hi", {"to": "closed@marketplace.amazon.com", "subject": "Re: x"}, idempotency_key="k",
                     human=False, now=NOW)
    assert err.value.retryable is retryable and str(code) in err.value.reason
    assert "@" not in err.value.reason  # no addresses in reasons that end up in logs


def test_refused_connection_is_retryable_and_bad_credentials_are_not(mail: MailServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    route = {"to": "a@example.org", "subject": "Re: x"}
    with pytest.raises(SendError) as refused:
        EmailChannel(config_for(mail, smtp_port=closed_port)).send("hi", route, idempotency_key="k",
                                                                     human=False, now=NOW)
    assert refused.value.retryable
    with pytest.raises(SendError) as denied:
        EmailChannel(config_for(mail, smtp_password="wrong")).send("hi", route, idempotency_key="k",
                                                                     human=False, now=NOW)
    assert not denied.value.retryable and "535" in denied.value.reason
    with pytest.raises(SendError) as no_auth:
        EmailChannel(config_for(mail, smtp_user=None)).send("hi", route, idempotency_key="k", human=False,
                                                              now=NOW)
    assert not no_auth.value.retryable and "530" in no_auth.value.reason


def test_a_route_without_recipient_is_never_retried(channel: EmailChannel) -> None:
    with pytest.raises(SendError) as err:
        channel.send("hi", {"subject": "x"}, idempotency_key="k", human=False, now=NOW)
    assert not err.value.retryable


# ---------------------------------------------------------------- parsing details

def test_parsing_helpers() -> None:
    assert reply_subject("RE: Where is it") == "RE: Where is it" and reply_subject("") == "Re: Your message"
    assert reply_subject("Fwd: x") == "Re: Fwd: x"
    assert order_hint("amazon", "no id", "it is 113-1234567-1234567.") == "113-1234567-1234567"
    assert order_hint("walmart", "tracking 123456789012345", "PO 1155482229471") == "1155482229471"
    assert order_hint("shopify", "about order 1042") == "#1042" and order_hint("shopify", "hi") is None
    assert [line for line in html_to_text("<p>A&amp;B</p><ul><li>one</li></ul>").splitlines() if line] == \
        ["A&B", "- one"]
    assert customer_words("Thanks!\n\n-----Original Message-----\nFrom: us") == "Thanks!"
    assert customer_words("Ok\nOn Tue, Nov 24, 2026 at 9:00 AM Shop <s@x.com>\nwrote:\n> old") == "Ok"


def test_date_header_sets_received_at_but_never_in_the_future() -> None:
    def raw(date: str) -> bytes:
        return f"From: a@example.org\r\nDate: {date}\r\nSubject: x\r\n\r\nhello\r\n".encode()

    early = parse_email(raw("Thu, 26 Nov 2026 06:00:00 -0500"), seller_email=SELLER, now=NOW)
    assert early.received_at == datetime(2026, 11, 26, 11, tzinfo=UTC)
    assert parse_email(raw("Fri, 27 Nov 2026 10:00:00 +0000"), seller_email=SELLER, now=NOW).received_at == NOW
    assert parse_email(raw("not a date"), seller_email=SELLER, now=NOW).received_at == NOW
