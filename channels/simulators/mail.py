"""Loopback mail servers for tests and `serve --simulate`: an SMTP relay and a one-mailbox IMAP server.

`MailServer` plays both sides of the email channel. Its SMTP side (aiosmtpd) takes what shopdesk sends:
mail to the seller's own address lands in the seller's mailbox, mail to anyone else is "delivered to the
customer" and recorded in the SimLog as a reply. Its IMAP side serves that one mailbox to one user, with
just the IMAP4rev1 subset imapclient needs to log in, select, search, fetch and flag. This is a test/demo
server: no TLS, no persistence, no concurrency guarantees beyond one lock; never expose it.

It is also the seller's receiving server, so it vouches for senders the way a real one does: a customer's
mail gets its `Authentication-Results` (authserv-id `authserv_id`, DMARC pass aligned with `From:`) on top,
after any header claiming that authserv-id was removed (RFC 8601 §5). Simulated customers are genuine;
`send_customer_email(..., authenticated=False)` and `deliver_to_seller(..., verdict="fail")` play a forger.
"""

from __future__ import annotations

import logging
import re
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from channels.email.auth import HEADER, authserv_id_of
from channels.simulators.log import SimLog


class _QuietLegacyWarning(logging.Filter):
    """aiosmtpd 1.4 logs a deprecation warning on every successful AUTH (its own legacy attribute): drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


_QUIET = _QuietLegacyWarning()

RELAY_DOMAINS = {"marketplace.amazon.com": "amazon", "relay.walmart.com": "walmart"}
AMAZON_FYI = ("For Your Information: To help arbitrate disputes and preserve trust and safety, we retain all "
              "messages buyers and sellers send through Amazon.com for two years. This includes your response to "
              "the message below. Amazon uses filtering technology to protect buyers and sellers from possible "
              "fraud. Messages that fail this filtering will not be transmitted.\n\nWe hope to see you again soon.")


def platform_of(address: str) -> str:
    """amazon / walmart for their relay domains, else shopify (a customer writing to the store itself)."""
    return RELAY_DOMAINS.get(address.rpartition("@")[2].lower(), "shopify")


def _crlf(raw: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", raw)


def stamp(raw: bytes, authserv_id: str, verdict: Literal["pass", "fail"]) -> bytes:
    """What a receiving server does on arrival: drop Authentication-Results that claim its authserv-id (a
    sender may forge those), then put its own verdict for the `From:` domain on top."""
    head, _, body = _crlf(raw).partition(b"\r\n\r\n")
    fields: list[bytes] = []
    for line in head.split(b"\r\n"):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += b"\r\n" + line
        elif line:
            fields.append(line)
    kept = [f for f in fields if not (f.partition(b":")[0].strip().lower() == HEADER.encode() and authserv_id_of(
        f.partition(b":")[2].decode("utf-8", "replace")) == authserv_id.lower())]
    sender = parseaddr(str(message_from_bytes(raw, policy=policy.default).get("From", "")))[1]
    domain = sender.rpartition("@")[2].lower() or "unknown.invalid"
    results = (f"spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain} header.s=sim;\r\n"
               f" dmarc=pass (p=reject) header.from={domain}") if verdict == "pass" else (
        f"spf=fail smtp.mailfrom={domain}; dkim=none;\r\n dmarc=fail (p=reject) header.from={domain}")
    top = f"Authentication-Results: {authserv_id}; {results}".encode()
    return b"\r\n".join([top, *kept]) + b"\r\n\r\n" + body


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)
    arrived: datetime = field(default_factory=lambda: datetime.now(UTC))


class Mailbox:
    """The seller's INBOX: UIDs strictly ascending, never reused (UIDVALIDITY fixed for the server's life)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[StoredMail] = []
        self.uidvalidity = int(datetime.now(UTC).timestamp())
        self.uidnext = 1

    def append(self, raw: bytes) -> int:
        with self.lock:
            uid, self.uidnext = self.uidnext, self.uidnext + 1
            self.mails.append(StoredMail(uid, _crlf(raw)))
            return uid


# ---------------------------------------------------------------- IMAP (a small IMAP4rev1 subset)

_TOKEN = re.compile(rb'"((?:\\.|[^"\\])*)"|([()])|([^\s()"\[\]]+(?:\[[^\]]*\](?:<[\d.]+>)?)?)')
_LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r?\n$")
_FLAGS = rb"(\Seen \Answered \Flagged \Deleted \Draft)"


def _seqset(spec: str, largest: int) -> set[int]:
    """'1,3:5,7:*' -> the numbers; '*' is the largest value in use (so 'n:*' always names the last one)."""
    out: set[int] = set()
    for part in spec.split(","):
        a, _, b = part.partition(":")
        lo = largest if a == "*" else int(a)
        hi = lo if not b else (largest if b == "*" else int(b))
        out.update(range(min(lo, hi), max(lo, hi) + 1))
    return out


class _ImapHandler(socketserver.StreamRequestHandler):
    server: _ImapServer
    wbufsize = 1 << 16  # responses are buffered and flushed once per command (no Nagle/delayed-ACK stalls)
    disable_nagle_algorithm = True

    def send(self, data: bytes) -> None:
        self.wfile.write(data if data.endswith(b"\r\n") else data + b"\r\n")

    def read_command(self) -> list[bytes] | None:
        """One command line as tokens; {n} literals are read (after a '+' continuation) and become one token."""
        tokens: list[bytes] = []
        while True:
            self.wfile.flush()
            line = self.rfile.readline(65536)
            if not line:
                return None
            m = _LITERAL.search(line)
            for quoted, paren, atom in _TOKEN.findall(line[: m.start()] if m else line):
                tokens.append(paren or atom or re.sub(rb"\\(.)", rb"\1", quoted))
            if not m:
                return tokens
            if not m.group(2):
                self.send(b"+ go ahead")
                self.wfile.flush()
            tokens.append(self.rfile.read(int(m.group(1))))

    def handle(self) -> None:
        box, srv = self.server.mailbox, self.server
        authed, selected, readonly = False, False, False
        self.send(b"* OK [CAPABILITY IMAP4rev1] shopdesk test IMAP server ready")
        while (tokens := self.read_command()) is not None:
            if len(tokens) < 2:
                self.send(b"* BAD empty command")
                continue
            tag, cmd, args = tokens[0], tokens[1].upper(), tokens[2:]
            uid = cmd == b"UID" and bool(args)
            if uid:
                cmd, args = args[0].upper(), args[1:]
            try:
                if cmd == b"CAPABILITY":
                    self.send(b"* CAPABILITY IMAP4rev1")
                elif cmd == b"NOOP":
                    pass
                elif cmd == b"LOGOUT":
                    self.send(b"* BYE logging out")
                    self.send(tag + b" OK LOGOUT completed")
                    return
                elif cmd == b"LOGIN":
                    if len(args) != 2 or args[0].decode() != srv.user or args[1].decode() != srv.password:
                        self.send(tag + b" NO [AUTHENTICATIONFAILED] invalid credentials")
                        continue
                    authed = True
                elif not authed:
                    self.send(tag + b" NO log in first")
                    continue
                elif cmd in (b"SELECT", b"EXAMINE"):
                    if not args or args[0].decode().upper() != srv.folder.upper():
                        selected = False
                        self.send(tag + b" NO [NONEXISTENT] no such mailbox")
                        continue
                    selected, readonly = True, cmd == b"EXAMINE"
                    self.send_select(box)
                    mode = b"READ-ONLY" if readonly else b"READ-WRITE"
                    self.send(tag + b" OK [" + mode + b"] " + cmd + b" completed")
                    continue
                elif cmd == b"LIST":
                    self.send(b'* LIST () "/" ' + srv.folder.encode())
                elif cmd in (b"CLOSE", b"UNSELECT"):
                    selected = False
                elif not selected:
                    self.send(tag + b" NO select a mailbox first")
                    continue
                elif cmd == b"SEARCH":
                    self.send(b"* SEARCH" + b"".join(b" %d" % n for n in self.search(box, args, uid)))
                elif cmd == b"FETCH":
                    self.fetch(box, args, uid, readonly)
                elif cmd == b"STORE":
                    if readonly:
                        self.send(tag + b" NO mailbox is read-only")
                        continue
                    self.store(box, args, uid)
                else:
                    self.send(tag + b" BAD unknown command")
                    continue
                self.send(tag + b" OK " + cmd + b" completed")
            except (ValueError, IndexError, StopIteration, UnicodeDecodeError) as exc:
                self.send(tag + b" BAD " + str(exc).encode("ascii", "replace")[:200])

    def send_select(self, box: Mailbox) -> None:
        with box.lock:
            unseen = [i for i, m in enumerate(box.mails, 1) if "\\Seen" not in m.flags]
            lines = [b"* FLAGS " + _FLAGS, b"* %d EXISTS" % len(box.mails), b"* 0 RECENT",
                     b"* OK [PERMANENTFLAGS " + _FLAGS + b"] flags",
                     b"* OK [UIDVALIDITY %d] uids valid" % box.uidvalidity,
                     b"* OK [UIDNEXT %d] next uid" % box.uidnext]
            if unseen:
                lines.append(b"* OK [UNSEEN %d] first unseen" % unseen[0])
        for line in lines:
            self.send(line)

    def matching(self, box: Mailbox, spec: bytes, uid: bool) -> list[tuple[int, StoredMail]]:
        """(sequence number, mail) for a sequence set of UIDs or sequence numbers (caller holds the lock)."""
        numbered = list(enumerate(box.mails, 1))
        if uid:
            wanted = _seqset(spec.decode(), box.mails[-1].uid if box.mails else 0)
            return [(n, m) for n, m in numbered if m.uid in wanted]
        wanted = _seqset(spec.decode(), len(box.mails))
        return [(n, m) for n, m in numbered if n in wanted]

    def search(self, box: Mailbox, criteria: list[bytes], uid: bool) -> list[int]:
        with box.lock:
            hits = {m.uid for m in box.mails}
            keys = iter(c for c in criteria if c not in (b"(", b")"))
            for key in keys:
                k = key.upper()
                if k == b"ALL":
                    continue
                if k in (b"SEEN", b"UNSEEN"):
                    hits &= {m.uid for m in box.mails if ("\\Seen" in m.flags) == (k == b"SEEN")}
                elif k == b"UID":
                    hits &= {m.uid for _, m in self.matching(box, next(keys), True)}
                elif re.fullmatch(rb"[\d*:,]+", k):
                    hits &= {m.uid for _, m in self.matching(box, k, False)}
                else:
                    raise ValueError(f"unsupported search key {k.decode()}")
            return [m.uid if uid else n for n, m in enumerate(box.mails, 1) if m.uid in hits]

    def fetch(self, box: Mailbox, args: list[bytes], uid: bool, readonly: bool) -> None:
        items = [a.upper() for a in args[1:] if a not in (b"(", b")")]
        with box.lock:
            for seq, mail in self.matching(box, args[0], uid):
                parts, literals = [b"UID %d" % mail.uid], []
                header = mail.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                for item in items:
                    if item in (b"RFC822", b"BODY[]", b"BODY.PEEK[]", b"RFC822.HEADER", b"BODY.PEEK[HEADER]",
                                b"BODY[HEADER]"):
                        name = item.replace(b".PEEK", b"")
                        literals.append((name, header if b"HEADER" in item else mail.raw))
                        if b"PEEK" not in item and b"HEADER" not in item and not readonly:
                            mail.flags.add("\\Seen")
                    elif item == b"RFC822.SIZE":
                        parts.append(b"RFC822.SIZE %d" % len(mail.raw))
                    elif item == b"INTERNALDATE":
                        parts.append(b'INTERNALDATE "' + mail.arrived.strftime("%d-%b-%Y %H:%M:%S +0000").encode()
                                     + b'"')
                    elif item not in (b"UID", b"FLAGS"):
                        raise ValueError(f"unsupported fetch item {item.decode()}")
                parts.append(b"FLAGS (" + " ".join(sorted(mail.flags)).encode() + b")")
                out = b"* %d FETCH (" % seq + b" ".join(parts)
                for name, data in literals:
                    out += b" " + name + b" {%d}\r\n" % len(data) + data
                self.wfile.write(out + b")\r\n")

    def store(self, box: Mailbox, args: list[bytes], uid: bool) -> None:
        mode = args[1].upper()
        flags = {f.decode() for f in args[2:] if f not in (b"(", b")")}
        with box.lock:
            for seq, mail in self.matching(box, args[0], uid):
                if mode.startswith(b"+FLAGS"):
                    mail.flags |= flags
                elif mode.startswith(b"-FLAGS"):
                    mail.flags -= flags
                elif mode.startswith(b"FLAGS"):
                    mail.flags = set(flags)
                else:
                    raise ValueError("STORE needs FLAGS, +FLAGS or -FLAGS")
                if not mode.endswith(b".SILENT"):
                    flag_list = " ".join(sorted(mail.flags)).encode()
                    self.send(b"* %d FETCH (UID %d FLAGS (%s))" % (seq, mail.uid, flag_list))


class _ImapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, host: str, mailbox: Mailbox, user: str, password: str, folder: str) -> None:
        super().__init__((host, 0), _ImapHandler)
        self.mailbox, self.user, self.password, self.folder = mailbox, user, password, folder
        self.connections: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)


# ---------------------------------------------------------------- SMTP

class _SmtpHandler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        # AUTH is enforced here rather than with auth_required=True, which warns on every loopback connection.
        if self.server.smtp_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        code = self.server.rejections.get(address.lower())
        if code:
            return f"{code} {'4.2.1 try again later' if code < 500 else '5.1.1 recipient rejected'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        for rcpt in envelope.rcpt_tos:
            if rcpt.lower() == self.server.seller_address:
                self.server.mailbox.append(raw)
            else:
                self.server.record_reply(rcpt, raw)
        return "250 Message accepted for delivery"


class MailServer:
    """`with MailServer(log, "support@shop.example.com") as mail:` SMTP on mail.smtp_port, IMAP on mail.imap_port.

    `reject(address, code)` makes RCPT TO that address fail (4xx = try later, 5xx = never), to test
    how the sender maps SMTP errors; `smtp_auth=False` lets clients send without AUTH."""

    def __init__(self, log: SimLog, seller_address: str, host: str = "127.0.0.1", *, user: str = "seller",
                 password: str = "imap-test-password", folder: str = "INBOX", smtp_auth: bool = True,
                 authserv_id: str | None = None) -> None:
        logging.getLogger("mail.log").addFilter(_QUIET)  # idempotent: same filter object
        self.log, self.host, self.folder = log, host, folder
        self.seller_address = seller_address.lower()
        # the seller's settings.email_authserv_id must name this to trust what it stamps
        self.authserv_id = authserv_id or f"mx.{self.seller_address.rpartition('@')[2] or 'localhost'}"
        self.user, self.password = user, password
        self.mailbox = Mailbox()
        self.rejections: dict[str, int] = {}
        self.smtp_auth = smtp_auth
        self._imap = _ImapServer(host, self.mailbox, user, password, folder)
        self._imap_thread = threading.Thread(target=self._imap.serve_forever, args=(0.05,), name="sim-imap",
                                             daemon=True)
        with socket.socket() as probe:
            probe.bind((host, 0))
            self._smtp_port = probe.getsockname()[1]
        self._smtp = Controller(_SmtpHandler(self), hostname=host, port=self._smtp_port, server_hostname="localhost",
                                auth_require_tls=False, authenticator=self._authenticate)

    @property
    def smtp_port(self) -> int:
        return self._smtp_port

    @property
    def imap_port(self) -> int:
        return int(self._imap.server_address[1])

    def start(self) -> Self:
        self._imap_thread.start()
        self._smtp.start()
        return self

    def stop(self) -> None:
        self._smtp.stop()
        self._imap.shutdown()
        for conn in list(self._imap.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._imap.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False)

    def reject(self, address: str, code: int = 550) -> None:
        self.rejections[address.lower()] = code

    def record_reply(self, rcpt: str, raw: bytes) -> None:
        """What the customer would see: the headers (unfolded) and the plain-text body."""
        msg = message_from_bytes(raw, policy=policy.default)

        def header(name: str) -> str | None:
            value = msg.get(name)
            return None if value is None else re.sub(r"\s+", " ", str(value)).strip()

        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content().rstrip() if body is not None else ""
        self.log.record(platform_of(rcpt), "reply", to=rcpt, subject=header("Subject") or "", text=text,
                        in_reply_to=header("In-Reply-To"), references=header("References"),
                        message_id=header("Message-ID"), mail_from=parseaddr(header("From") or "")[1])

    # ------------------------------------------------------------ the customer's side

    def deliver_to_seller(self, msg: EmailMessage | bytes, *, verdict: Literal["pass", "fail"] | None = None) -> int:
        """Put an email in the seller's mailbox as if it had arrived; returns its UID. With `verdict` this
        server authenticates it first (see `stamp`); without, the bytes are stored exactly as given."""
        raw = msg if isinstance(msg, bytes) else msg.as_bytes(policy=policy.SMTP)
        return self.mailbox.append(stamp(raw, self.authserv_id, verdict) if verdict else raw)

    def send_customer_email(self, from_addr: str, subject: str | None, text: str, *, in_reply_to: str | None = None,
                            references: str | None = None, order_id: str | None = None, name: str | None = None,
                            html: bool = False, authenticated: bool = True,
                            attachments: list[tuple[str, str, bytes]] | None = None) -> str:
        """Build the email a customer (through Amazon's or Walmart's relay, or directly) sends; returns Message-ID.

        It arrives authenticated (DMARC pass for its From domain) unless `authenticated=False` (a forged From).
        `attachments`: (filename, content type, bytes) files attached as MIME parts (a photo of the damage)."""
        platform = platform_of(from_addr)
        msg = EmailMessage()
        display = name or from_addr.partition("@")[0]
        if platform == "amazon":
            first = display.split()[0]
            msg["From"] = f"{display} - Amazon Marketplace <{from_addr}>"
            subject = subject or f"Inquiry from Amazon customer {first}"
            if order_id and order_id not in subject:
                subject += f" (Order: {order_id})"
            head = f"Order ID: {order_id}\n\n" if order_id else ""
            body = f"{head}------------- Message: -------------\n\n{text}\n\n" \
                   f"------------- End message -------------\n\n{AMAZON_FYI}\n"
        else:
            msg["From"] = f"{display} <{from_addr}>" if name else from_addr
            subject = subject or "Question about my order"
            if order_id and order_id.lstrip("#") not in subject:
                subject += f" - Order #{order_id.lstrip('#')}"
            body = text
        msg["To"] = self.seller_address
        msg["Subject"] = subject
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = message_id = make_msgid(domain=from_addr.rpartition("@")[2])
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
        if references or in_reply_to:
            msg["References"] = references or in_reply_to
        if html:
            msg.set_content(body, subtype="html")
        else:
            msg.set_content(body)
        for filename, content_type, data in attachments or []:
            maintype, _, subtype = content_type.partition("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
        self.deliver_to_seller(msg, verdict="pass" if authenticated else "fail")
        self.log.record(platform, "delivery", message_id=message_id, to=self.seller_address, subject=subject)
        return message_id
