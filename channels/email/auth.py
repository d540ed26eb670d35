"""Who really sent an email: the seller's receiving server's Authentication-Results, read strictly.

`From:` is whatever the sender typed, so it proves nothing (issue 18: a forged `From:` had an order's address
changed). What can prove it is the verdict of the seller's own receiving server, which checked SPF, DKIM and
DMARC when the mail arrived and wrote them in an `Authentication-Results` header (RFC 8601) under its
authserv-id (`SHOPDESK_EMAIL_AUTHSERV_ID`). Anyone can add such a header to the mail they send, so:

- only headers whose authserv-id is the configured one count (an attacker's own, under another id, never);
- only the topmost run of them counts: the receiving server adds its header above everything the sender
  wrote, so one with our authserv-id further down is a forgery (RFC 8601 §5 also asks the server to delete
  those; configure it to);
- within that run, every verdict of a method must agree: one forged "pass" beside the server's "fail" is a fail;
- a header of ours that cannot be parsed, an unknown version, or a second `From:` address: not proven.

The sender is proven when DMARC passed for exactly the `From:` domain (`dmarc=pass header.from=<domain>`).
Marketplace relays (Amazon's `…@marketplace.amazon.com`, Walmart's `…@relay.walmart.com`) follow the same
rule, since `From:` is then the relay address: DMARC passing for the relay domain means the marketplace sent
it, and the relay address is the buyer's identity on file. For them only, when the relay domain publishes
no DMARC policy (`dmarc=none`), an SPF pass for an envelope sender (`smtp.mailfrom`) in the relay domain is
accepted too: envelope and relay address match. Everything else is unproven, including mail with no verdict.

The parser is written here (RFC 8601 §2.2 grammar, comments and quoted strings included) because no
maintained parser is installed in the environment; it is strict and fails closed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import Message

from pydantic import BaseModel, ConfigDict

HEADER = "authentication-results"
MAX_HEADER = 8192  # real servers write a few hundred characters; longer is hostile, and parsing it costs time


class AuthResultsError(ValueError):
    """An Authentication-Results value that does not follow RFC 8601."""


@dataclass(frozen=True)
class MethodResult:
    """One `method=result` with its properties, e.g. dmarc=pass {"header.from": "example.org"}."""

    method: str
    result: str
    reason: str | None = None
    props: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthResults:
    """One parsed Authentication-Results header."""

    authserv_id: str
    results: tuple[MethodResult, ...]


class SenderAuth(BaseModel):
    """The verdict on one email's sender; `reason` names domains and results only, never an address."""

    model_config = ConfigDict(frozen=True)
    verified: bool
    reason: str


# ---------------------------------------------------------------- RFC 8601 parsing

_KEYWORD = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
_QUOTED = r'"(?:\\.|[^"\\])*"'
_SERV = re.compile(rf'\s*({_QUOTED}|[^\s()<>@,;:\\"/\[\]?=]+)(?:\s+(\d+))?\s*$')
_METHOD = re.compile(rf"\s*({_KEYWORD})\s*(?:/\s*(\d+)\s*)?=\s*({_KEYWORD})(?=\s|$)")
_REASON = re.compile(rf'\s+reason\s*=\s*({_QUOTED}|[^\s";]+)(?=\s|$)', re.IGNORECASE)
_PROP = re.compile(rf'\s+({_KEYWORD})\s*\.\s*({_KEYWORD})\s*=\s*((?:{_QUOTED})?[^\s";]*)(?=\s|$)')


def _strip_comments(value: str) -> str:
    """CFWS comments (nested, with quoted-pairs) become one space; quoted strings are kept as they are."""
    out: list[str] = []
    depth, quoted, i = 0, False, 0
    while i < len(value):
        char = value[i]
        if char == "\\" and (quoted or depth):
            if i + 1 >= len(value):
                raise AuthResultsError("dangling escape")
            if quoted:
                out.append(value[i:i + 2])
            i += 2
            continue
        if quoted:
            out.append(char)
            quoted = char != '"'
        elif depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if not depth:
                out.append(" ")
        elif char == "(":
            depth = 1
        elif char == ")":
            raise AuthResultsError("unbalanced parenthesis")
        else:
            out.append(char)
            quoted = char == '"'
        i += 1
    if quoted or depth:
        raise AuthResultsError("unterminated quoted string or comment")
    return "".join(out)


def _split(value: str) -> list[str]:
    """Split on ';' outside quoted strings."""
    parts, start, quoted, i = [], 0, False, 0
    while i < len(value):
        char = value[i]
        if quoted and char == "\\":
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    parts.append(value[start:])
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _resinfo(segment: str) -> MethodResult:
    m = _METHOD.match(segment)
    if not m:
        raise AuthResultsError("expected method=result")
    reason: str | None = None
    props: dict[str, str] = {}
    pos = m.end()
    while segment[pos:].strip():
        if reason is None and not props and (r := _REASON.match(segment, pos)):
            reason, pos = _unquote(r.group(1)), r.end()
        elif p := _PROP.match(segment, pos):
            key = f"{p.group(1).lower()}.{p.group(2).lower()}"
            if not p.group(3) or key in props:
                raise AuthResultsError(f"empty or repeated property {key}")
            props[key], pos = _unquote(p.group(3)), p.end()
        else:
            raise AuthResultsError("unexpected text after the result")
    return MethodResult(m.group(1).lower(), m.group(3).lower(), reason, props)


def parse_authentication_results(value: str) -> AuthResults:
    """One header value -> AuthResults; raises AuthResultsError for anything RFC 8601 does not allow."""
    value = unfold(value)
    if len(value) > MAX_HEADER:
        raise AuthResultsError("too long")
    parts = _split(_strip_comments(value))
    serv = _SERV.match(parts[0])
    if not serv:
        raise AuthResultsError("no authserv-id")
    if serv.group(2) is not None and serv.group(2) != "1":
        raise AuthResultsError(f"unknown version {serv.group(2)}")
    authserv_id = _unquote(serv.group(1)).lower()
    rest = [p for p in parts[1:] if p.strip()]  # a stray or trailing ';' is common and harmless
    if [p.strip().lower() for p in rest] == ["none"]:
        return AuthResults(authserv_id, ())
    if not rest:
        raise AuthResultsError("no results")
    return AuthResults(authserv_id, tuple(_resinfo(p) for p in rest))


def authserv_id_of(value: str) -> str | None:
    """The authserv-id a header claims (even when the rest is broken); None when even that is unreadable."""
    try:
        serv = _SERV.match(_split(_strip_comments(unfold(value)[:MAX_HEADER]))[0])
    except AuthResultsError:
        return None
    return _unquote(serv.group(1)).lower() if serv else None


def unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", "")


# ---------------------------------------------------------------- the verdict

def trusted_results(headers: Iterable[tuple[str, str]], authserv_id: str) -> list[AuthResults] | None:
    """The topmost contiguous run of Authentication-Results headers under `authserv_id`, parsed.

    None when there is none; raises AuthResultsError when one of them is unreadable (fail closed)."""
    wanted = authserv_id.strip().lower()
    run: list[str] = []
    for name, value in headers:
        ours = name.strip().lower() == HEADER and authserv_id_of(value) == wanted
        if ours:
            run.append(value)
        elif run:
            break
    return [parse_authentication_results(v) for v in run] if run else None


def _domain(value: str | None) -> str:
    return (value or "").rpartition("@")[2].strip().strip(".").lower()


def _results(runs: Sequence[AuthResults], method: str) -> list[MethodResult]:
    return [r for header in runs for r in header.results if r.method == method]


def verdict(headers: Iterable[tuple[str, str]], from_addresses: Sequence[str], *, authserv_id: str | None,
            relay_domains: Iterable[str] = ()) -> SenderAuth:
    """Whether the receiving server's results prove the one `From:` address (see the module docstring)."""
    if not authserv_id or not authserv_id.strip():
        return SenderAuth(verified=False, reason="no receiving server is configured to vouch for email senders "
                                                 "(SHOPDESK_EMAIL_AUTHSERV_ID)")
    if len(from_addresses) != 1 or "@" not in from_addresses[0]:
        return SenderAuth(verified=False, reason="not exactly one From address")
    domain = _domain(from_addresses[0])
    try:
        runs = trusted_results(headers, authserv_id)
    except AuthResultsError as exc:
        return SenderAuth(verified=False, reason=f"unreadable Authentication-Results from {authserv_id} ({exc})")
    if runs is None:
        return SenderAuth(verified=False, reason=f"no Authentication-Results from {authserv_id}")
    dmarc = _results(runs, "dmarc")
    if dmarc and all(r.result == "pass" for r in dmarc):
        if all(_domain(r.props.get("header.from")) == domain for r in dmarc):
            return SenderAuth(verified=True, reason=f"dmarc=pass for {domain}")
        return SenderAuth(verified=False, reason="dmarc passed for another domain than From")
    if any(r.result != "none" for r in dmarc):
        return SenderAuth(verified=False, reason="dmarc=" + ",".join(sorted({r.result for r in dmarc})))
    spf = _results(runs, "spf")
    relays = {d.lower() for d in relay_domains}
    if domain in relays and spf and all(r.result == "pass" for r in spf):
        envelopes = {_domain(r.props.get("smtp.mailfrom")) for r in spf}
        if all(e == domain or e.endswith("." + domain) for e in envelopes):
            return SenderAuth(verified=True, reason=f"relay {domain}: envelope sender passed spf")
    return SenderAuth(verified=False, reason=f"no dmarc pass for {domain}" + (
        " (dmarc=none)" if dmarc else ""))


def sender_authentication(msg: Message, *, authserv_id: str | None,
                          relay_domains: Iterable[str] = ()) -> SenderAuth:
    """The verdict for a parsed email: its raw headers in order, top first, and every `From:` address."""
    try:
        addresses = [a.addr_spec for h in msg.get_all("From", []) for a in getattr(h, "addresses", ())]
    except Exception:  # noqa: BLE001 - the stdlib's header parser has crash paths on hostile input
        addresses = []
    return verdict(list(msg.raw_items()), addresses, authserv_id=authserv_id, relay_domains=relay_domains)
