"""Contact details in free text: links, email addresses, phone numbers and social handles.

The one home for these patterns. The reply check (`agent/compliance.py`), Amazon's pre-send check
(`channels/amazon/client.py`), triage (`agent/triage/entities.py`) and the plans that would echo what a
customer typed (`agent/plans.py`) all ask this module, so a bypass fixed here is fixed everywhere.

Why it looks the way it does:
- A link is any `label.label` token whose ending is a public suffix (the Public Suffix List snapshot
  that `tldextract` bundles; the extractor is built on first use and never fetches a list), not a fixed
  list of top-level domains: `evil.ru` and `northforkgoods.com.evil.ru` are links. Obfuscations are
  undone first: `[.]`, `(dot)`, ` dot `, unicode and fullwidth dots, zero-width characters, `hxxp`.
- A phone number is whatever libphonenumber considers possible, in any country's international form,
  after digit groups joined by underscores are rejoined and spelled-out digits are turned into digits.
  Order ids and tracking numbers (`tools.models` formats) and ids the caller knows are never phones.
- A marketplace's own site name ("Your Orders on Amazon.com") names the platform, it is no link out
  (`names_the_marketplace`, from `PlatformProfile.own_site`): the reply check and Amazon's pre-send check agree.
- Every pattern is linear in the length of the text (bounded or possessive quantifiers, look-behinds
  that allow one start per token), so customer text of any size can be scanned:
  `tests/security/test_regex_linear.py` guards it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from tools.models import ID_ANY, ID_BODY
from tools.platform_profiles import PROFILES, Platform

if TYPE_CHECKING:
    import tldextract

ContactKind = Literal["link", "email", "phone", "handle"]


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ContactKind
    text: str  # as found, after obfuscations were undone
    key: str  # for comparing two mentions: host, address, digits or handle, lower case


# ---------------------------------------------------------------- normalisation

_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\u3164\ufeff\uffa0]")
_DOTS = str.maketrans({c: "." for c in "\u3002\uff0e\uff61\u2024\ufe52\u2027\u00b7\u0387\u22c5\u2219\u30fb\u2e33"
                       "\u0701\u0702\ua4f8\u06d4"})
_BRACKET_DOT = re.compile(r"[ \t]{0,3}[\[({<][ \t]{0,3}(?:dot|\.)[ \t]{0,3}[\])}>][ \t]{0,3}", re.I)
_BRACKET_AT = re.compile(r"[ \t]{0,3}[\[({<][ \t]{0,3}(?:at|@)[ \t]{0,3}[\])}>][ \t]{0,3}", re.I)
# "evil dot ru", "evil-dot-ru", "evil . ru": only when the next word is a public suffix ("a dot in the
# middle" stays prose: common words that happen to be suffixes are left alone).
_SPELLED_DOT = re.compile(r"(?<=[^\W_])(?:[ \t]{1,3}|[-_]{1,2})(?:dot|\.)(?:[ \t]{1,3}|[-_]{1,2})(?=([^\W_]{1,63}))",
                          re.I)
_PROSE_SUFFIXES = frozenset({"in", "is", "it", "at", "to", "by", "as", "be", "do", "no", "so", "an", "am", "my", "go",
                             "me", "us", "on", "or", "of"})
_HXXP = re.compile(r"\bh(?:xx|\*\*|tt)p(s?)(?:\[:\]|:)//", re.I)


def normalise(text: str) -> str:
    """The text with look-alike characters and the usual obfuscations of dots, @ and schemes undone."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).translate(_DOTS)
    text = _BRACKET_DOT.sub(".", text)
    text = _BRACKET_AT.sub("@", text)
    text = _HXXP.sub(lambda m: f"http{m.group(1).lower()}://", text)
    return _SPELLED_DOT.sub(lambda m: "." if _spelled_suffix(m.group(1)) else m.group(0), text)


def _spelled_suffix(word: str) -> bool:
    word = word.lower()
    return word not in _PROSE_SUFFIXES and _is_public_suffix(word)


# ---------------------------------------------------------------- links

@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    """Built on first use from the bundled snapshot: no list is fetched, nothing is cached on disk."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@lru_cache(maxsize=4096)
def _is_public_suffix(label: str) -> bool:
    return _extractor()(f"example.{label}").suffix == label


_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_PATH = r"(?:[/?#][^\s<>\"'`]{0,2000})?"
_SCHEME_URL = re.compile(r"(?<![\w.+-])(?:https?|ftp)://[^\s<>\"'`]{1,2000}", re.I)
_WWW = re.compile(rf"(?<![\w.@/-])www\.{_LABEL}(?:\.{_LABEL}){{0,20}}{_PATH}", re.I)
_DOMAIN = re.compile(rf"(?<![\w.@/-])(?P<host>{_LABEL}(?:\.{_LABEL}){{1,20}})(?![\w@-])(?::\d{{1,5}})?{_PATH}")
_NAMED_HOST = re.compile(r"\.[^\W\d_]{2,63}$")  # "tracking.example/123": a path makes any named host a link
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_TRAILING = ".,;:!?)]}'\""


def _is_domain(host: str) -> bool:
    host = host.lower().rstrip(".")
    if _IPV4.fullmatch(host):
        return all(int(part) <= 255 for part in host.split("."))
    if host.replace(".", "").isdigit():
        return False  # "12.50", "2.5"
    found = _extractor()(host)
    return bool(found.suffix and found.domain)


def _host(link: str) -> str:
    """The host a browser would open ("https://northforkgoods.com@evil.io/x" opens evil.io)."""
    try:
        host = urlsplit(link if "://" in link else f"http://{link}").hostname or ""
    except ValueError:
        host = link.split("://", 1)[-1]
    return host.lower().rstrip(".")


def names_the_marketplace(link: Contact, platform: Platform) -> bool:
    """Whether a found link is just the marketplace's own name ("Your Orders on Amazon.com"): that names the
    platform the buyer is already on, it does not send them elsewhere (`PlatformProfile.own_site`)."""
    own_site = PROFILES[platform].own_site
    return own_site is not None and link.text.lower() == own_site


def find_links(text: str) -> list[Contact]:
    """Links with or without a scheme whose host ends in a public suffix (or is an IPv4 address)."""
    return _links(normalise(text))


def _links(text: str) -> list[Contact]:
    found: list[tuple[int, Contact]] = []
    taken: list[tuple[int, int]] = []
    for m in (*_SCHEME_URL.finditer(text), *_WWW.finditer(text)):
        link = m.group(0).rstrip(_TRAILING)
        found.append((m.start(), Contact(kind="link", text=link, key=_host(link))))
        taken.append((m.start(), m.end()))
    checked = 0
    for m in _DOMAIN.finditer(text):
        if any(start <= m.start() < end for start, end in taken) or (
                m.group("host").replace(".", "").isdigit() and not _IPV4.fullmatch(m.group("host"))):
            continue  # "12.50", "2.5": numbers, not hosts
        checked += 1
        if checked > MAX_CANDIDATES:  # no reply holds this many dotted words: report, stop spending time
            found.append((m.start(), Contact(kind="link", text=m.group(0)[:_LONGEST_RUN], key=m.group("host").lower())))
            break
        has_path = len(m.group(0)) > len(m.group("host")) and m.group(0)[len(m.group("host"))] in "/?#:"
        if not (_is_domain(m.group("host")) or (has_path and _NAMED_HOST.search(m.group("host")))):
            continue
        link = m.group(0).rstrip(_TRAILING)
        found.append((m.start(), Contact(kind="link", text=link, key=_host(link))))
    return [c for _, c in sorted(found, key=lambda f: f[0])]


# ---------------------------------------------------------------- email addresses and handles

_EMAIL = re.compile(rf"(?<![\w.+/-])[\w.+-]{{1,64}}[ \t]?@[ \t]?{_LABEL}(?:\.{_LABEL}){{1,20}}")
HANDLE = re.compile(r"(?<![\w@.])@(?=[\w.]{0,30}[a-z])[a-z0-9_][\w.]{0,28}[a-z0-9_]", re.I)
"""A social handle (@northforkgoods); compliance reads it in context, so the compiled pattern is shared."""


def find_emails(text: str) -> list[Contact]:
    return _emails(normalise(text))


def _emails(text: str) -> list[Contact]:
    found = []
    for m in _EMAIL.finditer(text):
        address = re.sub(r"[ \t]", "", m.group(0))
        if re.search(r"\.[^\W\d_]{2,63}$", address):
            found.append(Contact(kind="email", text=address, key=address.lower()))
    return found


def find_handles(text: str) -> list[Contact]:
    return _handles(normalise(text))


def _handles(text: str) -> list[Contact]:
    return [Contact(kind="handle", text=m.group(0), key=m.group(0).lower()) for m in HANDLE.finditer(text)]


# ---------------------------------------------------------------- phone numbers

ID_TOKEN = re.compile(rf"(?<![\w#+-])(?:{ID_BODY})(?![\w-])", re.I)
"""An order id or tracking number in any platform's or carrier's format (`tools.models`)."""
_ID_FULL = ID_ANY
# Written in groups, only formats long or distinctive enough that two phone numbers cannot join into one
# ("212 555 0199 212" is 13 digits, like a Walmart order): USPS, UPS and Amazon Logistics tracking numbers.
_SPACED_ID = re.compile(r"(?<![\w-])(?:9[2-5](?:[ \t]?\d){20}|1Z(?:[ \t]?[0-9A-Z]){16}|TBA(?:[ \t]?\d){12})(?![\w-])", re.I)

# A run of digit groups: "212_555_0199", "+44 20 7946 0958", "(212) 555-0199". Possessive, so a long run
# is consumed once; the look-behind keeps amounts ($), store order numbers (#) and letter-prefixed ids out.
_RUN = re.compile(r"(?<![\w+\-.,/#$])(?:\+[ \t]?)?\(?\d(?:[ \t().\-_/]{1,3}+\d|\d)*+")
_LONGEST_RUN = 80  # more than any phone number written with separators
MAX_CANDIDATES = 200
"""Numbers (or dotted words) checked per text; past it the text is reported as holding a contact, so the
cost stays bounded and padding a message with decoys cannot hide the real one."""

_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_WORD = r"(?:zero|oh|o|one|two|three|four|five|six|seven|eight|nine|\d{1,4})"
_SPELLED = re.compile(rf"(?<![\w+])\+?{_WORD}\b(?:[ \t,.\-_/]{{1,3}}+{_WORD}\b)*+", re.I)
_MIN_DIGITS = 7
_SURE_DIGITS = 10  # a run of this many digits that is no known id is a phone number, whatever its grouping


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _is_id(run: str, known: set[str]) -> bool:
    if run.startswith(("+", "00")):
        return False  # an international prefix: no order id or tracking number starts like that
    return bool(_ID_FULL.fullmatch(run) or _SPACED_ID.fullmatch(run) or _digits(run) in known)


def _mask_ids(text: str) -> str:
    """Order ids and tracking numbers blanked out, also when written in groups ("1Z 999 AA1 01 2345 6784")."""
    text = ID_TOKEN.sub(lambda m: "x" * len(m.group(0)), text)
    return _SPACED_ID.sub(lambda m: re.sub(r"\S", "x", m.group(0)), text)


@lru_cache(maxsize=1024)
def _possible_phones(candidate: str) -> tuple[str, ...]:
    import phonenumbers

    candidate = candidate.replace("_", "-")
    if candidate.startswith("00") and not candidate.startswith("000"):
        candidate = "+" + candidate[2:]  # 0044 20 ... is +44 20 ... dialled from Europe
    matcher = phonenumbers.PhoneNumberMatcher(candidate, "US", leniency=phonenumbers.Leniency.POSSIBLE)
    return tuple(m.raw_string for m in matcher)


def find_phones(text: str, *, known_ids: Iterable[str] = ()) -> list[Contact]:
    """Phone numbers in any format libphonenumber accepts, with underscores or spelled-out digits too.

    `known_ids`: ids the caller already knows (order, return, tracking numbers from tool results);
    numbers written like them are ids, not phones.
    """
    return _phones(normalise(text), known_ids)


def _phones(text: str, known_ids: Iterable[str]) -> list[Contact]:
    known = {_digits(k) for k in known_ids if _digits(k)}
    text = _mask_ids(text)
    found: list[tuple[int, Contact]] = []
    checked = 0
    for m in _RUN.finditer(text):
        run = m.group(0)
        if len(_digits(run)) < _MIN_DIGITS or _is_id(run, known) or _IPV4.fullmatch(run):
            continue
        checked += 1
        if checked > MAX_CANDIDATES:  # no reply holds this many long numbers: report, stop spending time
            found.append((m.start(), Contact(kind="phone", text=run[:_LONGEST_RUN], key=_digits(run)[:15])))
            break
        if len(run) > _LONGEST_RUN:  # no id or phone looks like this; someone is hiding digits in noise
            found.append((m.start(), Contact(kind="phone", text=run[:_LONGEST_RUN], key=_digits(run)[:15])))
            continue
        phones = [phone for phone in _possible_phones(run) if not _is_id(phone, known)]
        if not phones and len(_digits(run)) >= _SURE_DIGITS:
            phones = [run]  # "212 555 0199 55": not a number libphonenumber accepts, but one padded to hide
        found += [(m.start(), Contact(kind="phone", text=phone, key=_digits(phone)[-10:])) for phone in phones]
    for m in _SPELLED.finditer(text):
        if checked > MAX_CANDIDATES:
            break
        words = re.findall(r"\+|\w+", m.group(0))
        spelled = sum(1 for w in words if w.lower() in _DIGIT_WORDS)
        digits = "".join(_DIGIT_WORDS.get(w.lower(), w) for w in words)
        if spelled < 3 or len(_digits(digits)) < _MIN_DIGITS or _digits(digits) in known:
            continue
        checked += 1
        if _possible_phones(digits) or len(_digits(digits)) > 15:
            found.append((m.start(), Contact(kind="phone", text=m.group(0), key=_digits(digits)[-10:])))
    return [c for _, c in sorted(found, key=lambda f: f[0])]


# ---------------------------------------------------------------- everything

def find_contacts(text: str, *, known_ids: Iterable[str] = ()) -> list[Contact]:
    """Every link, email address, phone number and handle in the text (an email's domain is not also a link)."""
    text = normalise(text)
    emails = _emails(text)
    hosts = {e.key.split("@", 1)[1] for e in emails}
    links = [link for link in _links(text) if "://" in link.text or link.key not in hosts]
    return [*links, *emails, *_phones(text, known_ids), *_handles(text)]


def has_contact(text: str, *, known_ids: Iterable[str] = ()) -> bool:
    return bool(find_contacts(text, known_ids=known_ids))
