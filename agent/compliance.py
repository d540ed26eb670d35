"""Deterministic compliance checks that every draft reply passes before it is sent.

One function per rule; each returns the violations it found, naming the offending snippet. The
platform's limits come from its policy file (`PlatformPolicy.messaging`); the rules that hold on
every platform (FTC review rules, grounding, action honesty, other customers' data) ignore it.
Regexes and the contact finder of `tools/contacts.py` (offline Public Suffix List snapshot, libphonenumber):
no model, no network, nothing read at import.

Rule ids (tests and dashboards key on them): length, html, link, email_address, phone_number,
echoed_contact, off_platform_contact, marketing, review_solicitation, review_incentive, feedback_removal,
delay_notice_cancellation, ungrounded_fact, action_honesty, other_customer_data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field

from agent import grounding
from agent.schemas import ComplianceReport, Violation
from tools.contacts import HANDLE, find_contacts, find_emails, find_links, find_phones, names_the_marketplace
from tools.models import ID_ANY, ID_BODY, Platform
from tools.policy.loader import PlatformPolicy


class ComplianceInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The draft reply.")
    platform: Platform
    evidence: list[str] = Field(default_factory=list, description="Tool-result JSON and passages to rely on.")
    done_actions: list[str] = Field(default_factory=list, description="Writes that succeeded or states tools showed.")
    forbidden_values: list[str] = Field(default_factory=list, description="Other customers' data.")
    delay_notice: bool = False
    customer_text: str = Field(default="", description="What the customer wrote (contact details in it are never echoed).")


Check = Callable[[str, ComplianceInput, PlatformPolicy], list[Violation]]

_I = re.IGNORECASE


def _violation(rule: str, message: str, evidence: str | None = None, *, fixable: bool = True) -> Violation:
    return Violation(rule=rule, message=message, evidence=evidence, fixable=fixable)


def _unique(items: Iterable[Violation]) -> list[Violation]:
    """One violation per rule and offending snippet."""
    seen: dict[tuple[str, str], Violation] = {}
    for v in items:
        seen.setdefault((v.rule, (v.evidence or "").lower()), v)
    return list(seen.values())


def _spans(text: str, *patterns: re.Pattern[str]) -> list[str]:
    """Matches of several patterns in text order, skipping any that overlap an earlier, longer one."""
    found = sorted((m for p in patterns for m in p.finditer(text)), key=lambda m: (m.start(), -m.end()))
    kept: list[re.Match[str]] = []
    for m in found:
        if not kept or m.start() >= kept[-1].end():
            kept.append(m)
    return [m.group(0) for m in kept]


_CLAUSE_END = re.compile(r"[.!?;,:\n\u2014\u2013()]|\s-\s|\bbut\b", _I)


def _clause_before(text: str, start: int) -> str:
    """The words of the clause that precede position `start` (to spot negations and conditions).
    Only the last 300 characters are read: no clause is longer, and reading all of them per match would
    make a long reply quadratic."""
    head = text[max(0, start - 300):start]
    ends = list(_CLAUSE_END.finditer(head))
    return head[ends[-1].end():] if ends else head


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


_NEGATED = re.compile(r"\b(?:not|never|no|cannot|can't|don't|doesn't|won't|isn't|aren't|unable)\b", _I)


def _affirmative(pattern: re.Pattern[str], text: str, words: int | None = None) -> Iterator[str]:
    """Matches of `pattern` not negated in their clause, or in the clause's last `words` words
    ("we can't send coupons"; "we can no longer cancel")."""
    for m in pattern.finditer(text):
        before = _clause_before(text, m.start())
        if words is not None:
            before = " ".join(before.split()[-words:])
        if not _NEGATED.search(before):
            yield m.group(0)


def _any_of(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), _I)


# ---------------------------------------------------------------- format: length, HTML, links, contacts

def check_length(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Platforms reject or truncate messages over their limit (Amazon and TikTok 2000 characters)."""
    limit = policy.messaging.max_chars
    if len(text) <= limit:
        return []
    message = f"{len(text)} characters; {policy.display_name} allows {limit}."
    return [_violation("length", message, f"{len(text)} > {limit}")]


_HTML = re.compile(r"<\s*/?\s*[a-z][a-z0-9-]*(?:\s[^<>]*)?/?\s*>", _I)


def check_html(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Marketplace messages are plain text (Amazon: no HTML); tags would show up as raw markup."""
    if policy.messaging.html_allowed:
        return []
    return [_violation("html", "HTML markup is not allowed; write plain text.", m.group(0))
            for m in _HTML.finditer(text)]


def check_links(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Marketplaces forbid links that take the buyer elsewhere; where links are allowed, only our domains.
    Any host ending in a public suffix counts (tools/contacts.py), however it is disguised."""
    rules = policy.messaging
    found = []
    for link in find_links(text):
        if names_the_marketplace(link, data.platform):  # "Your Orders on Amazon.com": not a link out
            continue
        if not rules.links_allowed:
            found.append(_violation("link", f"Links are not allowed on {policy.display_name}.", link.text))
        elif not any(link.key == d or link.key.endswith(f".{d}") for d in rules.allowed_link_domains):
            allowed = ", ".join(rules.allowed_link_domains) or "none"
            found.append(_violation("link", f"Only links to {allowed} are allowed.", link.text))
    return found


def check_email_addresses(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Amazon, Walmart, TikTok and eBay forbid sharing email addresses (buyers stay on the platform)."""
    if policy.messaging.email_addresses_allowed:
        return []
    return [_violation("email_address", f"Email addresses are not allowed on {policy.display_name}.", e.text)
            for e in find_emails(text)]


def _evidence_ids(evidence: list[str]) -> set[str]:
    """Values the tool results name as ids or numbers ("return_id", "tracking_number"): ids, never phones."""
    found: set[str] = set()

    def walk(value: object, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k).lower())
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and (key == "id" or key.endswith(("_id", "_number", "tracking"))):
            found.add(value)

    for item in evidence:
        try:
            walk(json.loads(item))
        except ValueError:
            continue
    return found


def check_phone_numbers(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Phone numbers (any country, underscored or spelled out) are contact details the marketplaces forbid;
    order ids, tracking numbers, ZIPs, prices and dates are not phone numbers."""
    if policy.messaging.phone_numbers_allowed:
        return []
    return [_violation("phone_number", f"Phone numbers are not allowed on {policy.display_name}.", p.text)
            for p in find_phones(text, known_ids=_evidence_ids(data.evidence))]


def check_echoed_contact(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """A link, email, phone or handle the customer typed is never repeated back, on any platform: a reply
    must not carry a customer-supplied destination (phishing relay), whatever the platform allows."""
    if not data.customer_text:
        return []
    typed = {c.key for c in find_contacts(data.customer_text)}
    ours = "\n".join(e for e in data.evidence if e != data.customer_text)
    known = {c.key for c in find_contacts(ours)} if typed else set()
    return [_violation("echoed_contact", f"The reply repeats a {c.kind} the customer typed.", c.text, fixable=False)
            for c in find_contacts(text, known_ids=_evidence_ids(data.evidence))
            if c.key in typed and c.key not in known]


_MARKETPLACES = r"Amazon|Walmart|eBay|TikTok(?:\s+Shop)?|the\s+(?:marketplace|platform|app)"
_OFF_PLATFORM = _any_of(
    r"\bour\s+(?:own\s+)?(?:web\s?site|online\s+(?:store|shop)|shopify\s+store|own\s+store)\b",
    r"\b(?:buy|order|purchase|shop)\s+(?:\w+\s+)?directly\s+(?:from|with|through)\s+us\b",
    r"\bdirectly\s+from\s+us\b",
    r"\b(?:text|call|phone|ring|whatsapp|sms)\s+us\b",
    r"\bgive\s+us\s+a\s+(?:call|ring|text)\b",
    r"\bwhats\s?app\b|\btelegram\b",
    r"\bDM\s+us\b|\b(?:direct\s+message|message|find|reach(?:\s+out\s+to)?|contact)\s+us\s+(?:on|at|via|through)\s+"
    r"(?:Instagram|Facebook|Messenger|TikTok|Twitter|X|IG|FB)\b",
    r"\bfollow\s+us\b",
    r"\bemail\s+us\b|\bsend\s+us\s+(?:an?\s+)?(?:e-?mail|text|DM|direct\s+message)\b",
    r"\b(?:contact|reach)\s+us\s+(?:directly|off|outside)\b",
    rf"\boutside\s+(?:of\s+)?(?:{_MARKETPLACES})\b",
    r"\bQR[\s-]?codes?\b|\bscan\s+(?:the|this|our)\s+code\b",
    r"\b(?:venmo|zelle|cash\s?app)\b|\bpay(?:ment)?\s+(?:us\s+)?(?:directly\s+)?(?:via|through|with|by|on)\s+paypal\b",
    HANDLE.pattern,
)


def check_off_platform_contact(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Marketplaces forbid steering buyers to other channels (our site, phone, social handles, QR codes)."""
    if policy.messaging.off_platform_contact_allowed:
        return []
    return [_violation("off_platform_contact", f"Keep the buyer on {policy.display_name}.", s)
            for s in _affirmative(_OFF_PLATFORM, text)]


_MARKETING = _any_of(
    r"\b(?:promo(?:tional)?|coupon|discount|voucher)\s+codes?\b|\buse\s+(?:the\s+)?code\b",
    r"\b\d{1,2}\s?%\s+off\b|\b\d{1,2}\s+percent\s+off\b",
    r"\b(?:here'?s|here\s+is|enjoy|take|get|grab|receive|claim)\s+(?:a|an|this|our|your)?\s*"
    r"(?:exclusive\s+|special\s+)?(?:coupon|voucher|discount|deal|offer)\b",
    r"\b(?:exclusive|special)\s+(?:offer|deal|discount|promotion|pricing)\b|\blimited[- ]time\b",
    r"\bcheck\s+out\s+(?:our|the)\s+(?:new|latest|other|full|holiday|summer|fall|winter|spring|best[- ]?sell\w*)\b",
    r"\bnew\s+(?:arrivals|collection|releases?)\b",
    r"\bon\s+sale\b|\bsale\s+(?:ends|starts|is\s+(?:on|live))\b"
    r"|\b(?:big|huge|holiday|black\s+friday|cyber\s+monday|prime\s+day|labor\s+day|memorial\s+day|summer|spring|fall"
    r"|winter|flash|clearance|anniversary|site-?wide|store-?wide|annual)\s+sale\b",
    r"\b(?:black\s+friday|cyber\s+monday|prime\s+day)\s+(?:deals?|savings|specials?)\b",
    r"\bnewsletter\b|\bmailing\s+list\b|\bsign\s+up\s+for\s+(?:our|emails|texts)\b|\bsubscribe\s+to\s+our\b",
    r"\bshop\s+now\b|\bdon'?t\s+miss\s+out\b|\bbuy\s+one,?\s+get\s+one\b|\bBOGO\b|\bfree\s+gift\b",
    r"\byou\s+(?:might|may|would)\s+also\s+(?:like|love|enjoy)\b",
)


def check_marketing(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Support messages may not promote (Amazon, TikTok, Meta tags); a stated refund or price is not a promotion."""
    if policy.messaging.marketing_allowed:
        return []
    return [_violation("marketing", "Promotions do not belong in a support reply.", s)
            for s in _affirmative(_MARKETING, text)]


# ---------------------------------------------------------------- reviews (FTC 16 CFR 465 and marketplace rules)

_NOUN = r"(?:reviews?|feedback|ratings?|stars?|testimonials?)"
_DET = r"(?:a|an|the|your|that|this|those|these|some|any|us\s+(?:a|an|some)|me\s+(?:a|an)|(?:it|them)\s+to(?:\s+a)?)"
_SOLICIT = _any_of(
    rf"\b(?:leav(?:e|ing)|writ(?:e|ing)|post(?:ing)?|submit(?:ting)?|drop(?:ping)?)\s+(?:{_DET}\s+)?"
    rf"(?:[\w-]+\s+){{0,2}}{_NOUN}\b",
    rf"\bgiv(?:e|ing)\s+(?:us\s+|it\s+|them\s+)?(?:{_DET}\s+)?(?:[\w-]+\s+){{0,2}}(?:reviews?|ratings?|stars?)\b",
    r"\brat(?:e|ing)\s+(?:us|your\s+(?:order|purchase|experience|item)|(?:the|this)\s+(?:product|item|seller))\b",
    r"\breview\s+(?:us|our\s+(?:shop|store|products?))\b",
    r"\b(?:[45]|four|five)[- ]stars?\b",
)
_CHANGE = (
    r"(?:remov(?:e|ing)|delet(?:e|ing)|withdraw(?:ing)?|retract(?:ing)?|tak(?:e|ing)\s+down|chang(?:e|ing)"
    r"|updat(?:e|ing)|edit(?:ing)?|revis(?:e|ing)|amend(?:ing)?|modify(?:ing)?|modifying|reconsider(?:ing)?"
    r"|revisit(?:ing)?|rais(?:e|ing)|bump(?:ing)?\s+up|improv(?:e|ing)|upgrad(?:e|ing))"
)
_CHANGED = r"(?:removed|deleted|taken\s+down|withdrawn|retracted|changed|updated|revised|edited|amended|raised)"
_REMOVAL = _any_of(
    rf"\b{_CHANGE}\s+{_DET}\s+(?:[\w-]+\s+){{0,2}}{_NOUN}\b",
    rf"\b(?:have|get|having|getting)\s+{_DET}\s+(?:[\w-]+\s+){{0,2}}{_NOUN}\s+{_CHANGED}\b",
    rf"\b{_NOUN}\s+(?:(?:could|can|would|might|to)\s+)?(?:be|been|get|gets|got)\s+(?:[\w-]+\s+)?{_CHANGED}\b",
)
_POSITIVE = re.compile(
    rf"\b(?:positive|good|great|glowing|favou?rable|better|higher|[45][- ]?star|(?:four|five)[- ]?star)\s+{_NOUN}", _I
)
_FOR_REVIEW = re.compile(
    rf"\b(?:in\s+(?:exchange|return)\s+for\s+(?:{_DET}\s+)?|for\s+(?:a|an)\s+)(?:[\w-]+\s+){{0,2}}{_NOUN}\b", _I
)
_INCENTIVE = re.compile(
    r"\b(?:refund(?:ed|s)?|reimburs\w*|discount\w*|coupons?|promo\w*|vouchers?|rebates?|gift(?:\s+cards?)?|credit"
    r"|cash\s?back|money\s+back|compensat\w*|rewards?|bonus|\d+\s?%\s+off)\b|(?<![\w-])free\b(?!\s+to\b)|\$\s?\d",
    _I,
)
_IN_RETURN = re.compile(
    r"\b(?:in\s+return|in\s+exchange|as\s+a\s+thank[- ]you|(?:once|after|when|if)\s+you\s+do)\b", _I
)


_PROHIBITION = re.compile(
    r"\b(?:never|not|no|cannot|can't|can not|won't|don't|do not|doesn't)\b(?:\s+\w+){0,3}?\s+"
    r"(?:offer\w*|give|given|gives|exchange\w*|trade\w*|ask\w*|request\w*|pay\w*|reward\w*|allow\w*|permitted)\b", _I)


def _states_a_prohibition(sentence: str) -> bool:
    """'We never offer anything for a review' states the rule; it is not an offer or a request."""
    return bool(_PROHIBITION.search(sentence))


def _sentence_at(text: str, position: int) -> str:
    start = max(text.rfind(".", 0, position), text.rfind("\n", 0, position)) + 1
    ends = [i for i in (text.find(".", position), text.find("\n", position)) if i != -1]
    return text[start:min(ends) if ends else len(text)]


def check_review_solicitation(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Review requests go through each platform's own tool (Amazon: Request a Review), never a support reply."""
    if policy.messaging.review_requests_allowed:
        return []
    return [_violation("review_solicitation", f"Do not ask for reviews or ratings on {policy.display_name}.", s)
            for s in _spans(text, _SOLICIT, _POSITIVE) if not _states_a_prohibition(_sentence_at(text, text.find(s)))]


def _review_phrase(sentence: str) -> bool:
    """Asks for a review, a changed or removed one, or a positive one (a mere mention of "your review" is not)."""
    return any(p.search(sentence) for p in (_SOLICIT, _REMOVAL, _POSITIVE, _FOR_REVIEW))


def check_review_incentive(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """FTC 16 CFR 465: nothing of value may be tied to a review, a changed review or a removed one. Every platform."""
    sentences = _sentences(text)
    found = []
    for i, sentence in enumerate(sentences):
        if not _review_phrase(sentence) or _states_a_prohibition(sentence):
            continue
        following = sentences[i + 1] if i + 1 < len(sentences) else ""
        if _INCENTIVE.search(sentence):
            found.append(sentence.strip())
        elif _IN_RETURN.search(following) and _INCENTIVE.search(following):
            found.append(f"{sentence.strip()} {following.strip()}")
    return [_violation("review_incentive", "Never offer anything in exchange for a review, a changed review or its "
                       "removal (FTC 16 CFR 465).", s, fixable=False) for s in found]


def check_feedback_removal(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Asking a buyer to remove or change a review is review suppression, forbidden everywhere."""
    return [_violation("feedback_removal", "Never ask the buyer to remove, change or update a review or feedback.",
                       m.group(0)) for m in _REMOVAL.finditer(text)
            if not _states_a_prohibition(_sentence_at(text, m.start()))]


# ---------------------------------------------------------------- FTC Mail Order Rule

_CANCEL = re.compile(r"\bcancel\w*", _I)


def check_delay_notice(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """FTC 16 CFR 435: a delay notice must offer to cancel for a prompt full refund ("we can't cancel" is no offer)."""
    if not data.delay_notice or next(_affirmative(_CANCEL, text, words=3), None):
        return []
    return [_violation("delay_notice_cancellation", "A delay notice must offer to cancel the order for a full refund "
                       "(FTC Mail Order Rule).")]


# ---------------------------------------------------------------- grounding

_ID = re.compile(rf"(?<![\w#-])(?:{ID_BODY})(?![\w-])", _I)
_ID_FULL = ID_ANY
# Tracking numbers are often written in groups: "9400 1000 0000 0000 0000 00", "1Z 999 AA1 01 2345 6784".
_GROUP = r"(?=[a-z]*\d)[a-z0-9]{2,6}"
_SPACED_ID = re.compile(rf"(?<![\w-]){_GROUP}(?: {_GROUP}){{2,}}(?![\w-])", _I)

_AMOUNT = re.compile(
    r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?(?!\d|\.\d)"
    r"|(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?\s?(?:USD|US\s+dollars|dollars)\b",
    _I,
)
_BARE_CENTS = re.compile(r"(?<![\w.])\d+\.\d{2}(?![\d.])")

_MONTH = (r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
          r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DATE_MD = re.compile(rf"\b{_MONTH}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)")
_DATE_DM = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b")
_DATE_ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_UNIT = (r"\s*-?\s*(?:in\b|inch|\"|cups?\b|tsp|tbsp|oz\b|ounces?|lbs?\b|pounds?|qt\b|quarts?|gal|cm\b|mm\b|ft\b"
         r"|feet|foot)")
_DATE_SLASH = re.compile(rf"(?<![\d/.])(\d{{1,2}})/(\d{{1,2}})(/\d{{4}}|/\d{{2}})?(?![\d/])(?!{_UNIT})", _I)
_DATETIME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?")


def _norm_id(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def _identifiers(text: str) -> Iterator[tuple[str, str]]:
    """(as written, normalised) for every order id and tracking number of any platform or carrier."""
    for m in _ID.finditer(text):
        yield m.group(0), _norm_id(m.group(0))
    for m in _SPACED_ID.finditer(text):
        if _ID_FULL.fullmatch(_norm_id(m.group(0))):
            yield m.group(0), _norm_id(m.group(0))


def _cents(value: str | Decimal) -> str | None:
    try:
        return str(Decimal(str(value).replace(",", "")).quantize(Decimal("0.01")))
    except InvalidOperation:
        return None


def _amounts(text: str) -> Iterator[tuple[str, str]]:
    for m in _AMOUNT.finditer(text):
        whole, frac = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        value = _cents(whole + (frac or ""))
        if value:
            yield m.group(0).strip(), value


def _month_day(month: int, day: int) -> tuple[int, int] | None:
    try:
        date(2024, month, day)  # a leap year, so February 29 counts
    except ValueError:
        return None
    return month, day


def _fraction(m: re.Match[str], text: str) -> bool:
    """Kitchen fractions ("1/2 full", "1 3/4") are not dates; "12/8" and "1/2/2027" are."""
    numerator, denominator = int(m.group(1)), int(m.group(2))
    mixed = re.search(r"\d\s$", text[: m.start()]) is not None
    return not m.group(3) and (mixed or (numerator < denominator and denominator in (2, 3, 4, 8)))


def _dates(text: str) -> Iterator[tuple[str, tuple[int, int]]]:
    """(as written, (month, day)) for calendar dates in prose (English or Spanish), ISO and US numeric form."""
    found: list[tuple[str, tuple[int, int] | None]] = []
    for written, _, md in grounding.spanish_dates(text):  # "el martes, 24 de noviembre"
        found.append((written, _month_day(int(md[:2]), int(md[3:]))))
    for m in _DATE_MD.finditer(text):
        found.append((m.group(0), _month_day(_MONTHS[m.group(1)[:3].lower()], int(m.group(2)))))
    for m in _DATE_DM.finditer(text):
        found.append((m.group(0), _month_day(_MONTHS[m.group(2)[:3].lower()], int(m.group(1)))))
    for m in _DATE_ISO.finditer(text):
        found.append((m.group(0), _month_day(int(m.group(2)), int(m.group(3)))))
    for m in _DATE_SLASH.finditer(text):
        if not _fraction(m, text):
            found.append((m.group(0), _month_day(int(m.group(1)), int(m.group(2)))))
    for written, md in found:
        if md:
            yield written, md


def _evidence_dates(blob: str) -> set[tuple[int, int]]:
    """Dates the evidence supports; a UTC timestamp before 10:00 is still the previous day somewhere in the US."""
    days = {md for _, md in _dates(blob)}
    for m in _DATETIME.finditer(blob):
        try:
            moment = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{m.group(3) or ''}")
        except ValueError:
            continue
        if moment.tzinfo is not None:
            utc = moment.astimezone(UTC)
            for shifted in (utc, utc - timedelta(hours=10)):
                days.add((shifted.month, shifted.day))
    return days


def _json_numbers(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _json_numbers(item)
    elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        yield _cents(value) or ""
    elif isinstance(value, str) and re.fullmatch(r"-?\d+(?:\.\d+)?", value.strip()):
        yield _cents(value.strip().lstrip("-")) or ""


def _evidence_amounts(evidence: list[str]) -> set[str]:
    """Amounts in the evidence: JSON numbers (12.5, "12.50") and written amounts ($12.50, 12.50 USD)."""
    amounts: set[str] = set()
    for item in evidence:
        amounts |= {value for _, value in _amounts(item)}
        amounts |= {_cents(m.group(0)) or "" for m in _BARE_CENTS.finditer(item)}
        try:
            amounts |= {n.lstrip("-") for n in _json_numbers(json.loads(item, parse_float=Decimal))}
        except ValueError:
            pass
    return amounts


# Checked by other rules (contacts, action honesty) or only where the customer's name is known (the draft step).
_GROUNDED_ELSEWHERE = {"person_name", "contact", "action_claim"}


def _seller_policy() -> dict[str, object]:
    """The seller's own policy file (cached by the loader): its waits and windows are true for every order."""
    from tools.policy.loader import load_seller

    return load_seller().model_dump(mode="json")


def check_grounding(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Every id, tracking number, amount and date the reply states must come from a tool result or passage;
    and, bound to its entity (agent/grounding.py), a tracking number or carrier must be the named order's,
    a destination the order's, a quantity with its unit, a time, a place or a product must be in the evidence
    or the platform's policy, and a "there is no refund" must not contradict a refund on record."""
    blob = "\n".join(data.evidence)
    ids = {norm for _, norm in _identifiers(blob)}
    amounts = _evidence_amounts(data.evidence)
    days = _evidence_dates(blob)
    found = [("order id or tracking number", w) for w, norm in _identifiers(text) if norm not in ids]
    found += [("amount", w) for w, value in _amounts(text) if value not in amounts]
    found += [("date", w) for w, md in _dates(text) if md not in days]
    violations = [_violation("ungrounded_fact", f"The {kind} {written!r} is not in any tool result or passage.",
                             written) for kind, written in found]
    evidence = grounding.evidence_from_strings(data.evidence, done_actions=data.done_actions,
                                               policies=[policy.model_dump(mode="json"), _seller_policy()])
    for u in grounding.ground_draft(text, evidence, strict=False):
        legacy = u.fact.kind in ("order_id", "amount", "date") and u.why == "not_in_evidence" \
            and u.fact.role != "labelled"  # the rules above already decided these
        if u.fact.kind not in _GROUNDED_ELSEWHERE and not legacy:
            violations.append(_violation("ungrounded_fact", u.reason[0].upper() + u.reason[1:] + ".", u.fact.text))
    return violations


# ---------------------------------------------------------------- action honesty

_DONE_BY_US = r"\b(?:I|we|and)(?:'ve|\s+have)?(?:\s+(?:just|now|already|also|(?:gone|went)\s+ahead\s+and))*\s+"
_WITH_ID = r"(?:\s+(?:of|for|on)\s+\S*\d\S*|\s+\S*\d\S*)?"
_HAS_BEEN = (r"(?:\s+(?:has|have|had)\s+(?:now\s+|already\s+|just\s+)?been|'s\s+been|\s+(?:was|were)"
             r"|\s+(?:is|are)\s+(?:now|already))\s+(?:successfully\s+|now\s+|already\s+)?")
_IS = rf"(?:{_HAS_BEEN}|\s+is\s+)"
_ARTICLE = r"(?:you\s+)?(?:a|an|the|your|this|that)\s+(?:full\s+|partial\s+|prepaid\s+|new\s+)*"
_REFUND_DONE = r"(?:issued|processed|sent|initiated|submitted|completed|approved)"
_RETURN_DONE = r"(?:started|created|opened|initiated|set\s+up|submitted|approved|authori[sz]ed)"
_LABEL_DONE = r"(?:created|sent|emailed|generated|attached|issued)"
_ADDRESS_DONE = r"(?:updated|changed|corrected|edited|modified)"
_NEXT_BOX = r"next\s+(?:delivery|shipment|order|charge)"
_SUBSCRIPTION_DONE = r"(?:paused|skipped|cancell?ed|resumed|reactivated|updated|changed)"
_WRITE_CLAIMS: dict[str, re.Pattern[str]] = {
    "refund": _any_of(
        rf"{_DONE_BY_US}(?:refunded|reimbursed)\b",
        rf"{_DONE_BY_US}{_REFUND_DONE}\s+{_ARTICLE}refund\b",
        rf"\brefund{_WITH_ID}{_HAS_BEEN}{_REFUND_DONE}\b",
        rf"\b(?:order|payment|item|purchase|charge|you){_WITH_ID}(?:{_HAS_BEEN}|'ve\s+been\s+)refunded\b",
    ),
    "cancel_order": _any_of(
        rf"{_DONE_BY_US}cancell?ed\s+(?:your|the|this|that)\s+order\b",
        rf"\border{_WITH_ID}{_IS}cancell?ed\b",
    ),
    "start_return": _any_of(
        rf"{_DONE_BY_US}{_RETURN_DONE}\s+{_ARTICLE}return\b",
        rf"\breturn(?:\s+request)?{_WITH_ID}{_IS}{_RETURN_DONE}\b",
        rf"\breturn\s+(?:shipping\s+)?label{_WITH_ID}{_HAS_BEEN}{_LABEL_DONE}\b",
        rf"{_DONE_BY_US}{_LABEL_DONE}\s+{_ARTICLE}return\s+(?:shipping\s+)?label\b",
    ),
    "change_shipping_address": _any_of(
        rf"{_DONE_BY_US}{_ADDRESS_DONE}\s+(?:your|the)\s+(?:shipping\s+|delivery\s+)?address\b",
        rf"\baddress{_WITH_ID}{_HAS_BEEN}{_ADDRESS_DONE}\b",
    ),
    "update_subscription": _any_of(
        rf"{_DONE_BY_US}{_SUBSCRIPTION_DONE}\s+(?:your|the)\s+(?:subscription|{_NEXT_BOX})\b",
        rf"\bsubscription{_WITH_ID}{_IS}{_SUBSCRIPTION_DONE}\b",
        rf"\b{_NEXT_BOX}{_WITH_ID}{_HAS_BEEN}skipped\b",
    ),
}
# The same claims in Spanish (agent/templates_es.py answers order status, returns, refunds and cancellations in
# Spanish): "le reembolsamos", "el pedido 1234 está cancelado", "su devolución del pedido 1234 está lista".
_ES_ID = r"(?:\s+(?:del\s+pedido\s+)?\S*\d\S*)?"
_ES_IS = r"\s+(?:ya\s+)?(?:está|fue|ha\s+sido|quedó)\s+"
_ES_WE = r"\b(?:(?:ya|le|les)\s+){0,2}"
_ES_CLAIMS: dict[str, tuple[str, ...]] = {
    "refund": (
        rf"{_ES_WE}(?:reembolsamos|reembolsé|hemos\s+reembolsado|he\s+reembolsado)\b",
        r"\b(?:emitimos|procesamos|hemos\s+(?:emitido|procesado|enviado)|se\s+(?:emitió|procesó|ha\s+emitido"
        r"|ha\s+procesado))\s+(?:un|el|su)\s+reembolso\b",
        rf"\breembolso{_ES_ID}{_ES_IS}(?:emitido|procesado|enviado|aprobado)\b",
        rf"{_ES_IS}(?:devuelto\s+y\s+)?reembolsado\b",
    ),
    "cancel_order": (
        rf"\bpedido{_ES_ID}{_ES_IS}cancelado\b",
        r"\b(?:cancelamos|cancelé|hemos\s+cancelado|he\s+cancelado)\s+(?:su|el|este|ese)\s+pedido\b",
    ),
    "start_return": (
        rf"\bdevoluci[oó]n{_ES_ID}{_ES_IS}(?:lista|creada|abierta|aprobada|iniciada)\b",
        r"\b(?:iniciamos|inicié|creamos|abrimos|hemos\s+(?:iniciado|creado|abierto))\s+(?:la|su|una)\s+devoluci[oó]n\b",
        rf"\betiqueta\s+de\s+devoluci[oó]n{_ES_ID}{_ES_IS}(?:creada|enviada|generada)\b",
    ),
    "change_shipping_address": (
        r"\b(?:actualizamos|cambiamos|corregimos|hemos\s+(?:actualizado|cambiado|corregido))\s+(?:la|su)\s+direcci[oó]n\b",
        rf"\bdirecci[oó]n{_ES_ID}{_ES_IS}(?:actualizada|cambiada|corregida)\b",
    ),
    "update_subscription": (
        rf"\bsuscripci[oó]n{_ES_ID}{_ES_IS}(?:pausada|cancelada|reanudada|reactivada|actualizada)\b",
    ),
}
_WRITE_CLAIMS = {action: _any_of(pattern.pattern, *_ES_CLAIMS.get(action, ())) for action, pattern in _WRITE_CLAIMS.items()}
_CONDITION = re.compile(r"\b(?:if|once|when|whenever|after|as\s+soon\s+as|until|before|unless|whether|in\s+case"
                        r"|si|cuando|una\s+vez|en\s+cuanto|hasta\s+que|antes\s+de\s+que|despu[eé]s\s+de\s+que"
                        r"|a\s+menos\s+que|siempre\s+que)\b", _I)


def _in_question(text: str, position: int) -> bool:
    ends = [i for i in (text.find(c, position) for c in ".!?\n") if i != -1]
    return bool(ends) and text[min(ends)] == "?"


def check_action_honesty(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """A reply may only say a refund, cancellation, return, address or subscription change happened if it did."""
    found = []
    for action, pattern in _WRITE_CLAIMS.items():
        if action in data.done_actions:
            continue
        for m in pattern.finditer(text):
            if _in_question(text, m.start()):
                continue  # "Shall I set up the return?" offers the action, it does not claim it
            if not _CONDITION.search(_clause_before(text, m.start())):
                found.append(_violation("action_honesty", f"The reply says {action!r} was done, but no tool did it.",
                                        m.group(0).strip()))
    return found


# ---------------------------------------------------------------- privacy

def check_other_customer_data(text: str, data: ComplianceInput, policy: PlatformPolicy) -> list[Violation]:
    """Another customer's name, email or order id in a reply is a privacy breach; a person must look."""
    found = []
    for value in {v.strip() for v in data.forbidden_values if v.strip()}:
        left = r"(?<!\w)" if re.match(r"\w", value) else ""
        right = r"(?!\w)" if re.search(r"\w$", value) else ""
        m = re.search(f"{left}{re.escape(value)}{right}", text, _I)
        if m:
            found.append(_violation("other_customer_data", "The reply contains another customer's data.",
                                    m.group(0), fixable=False))
    return sorted(found, key=lambda v: text.lower().find((v.evidence or "").lower()))


CHECKS: tuple[Check, ...] = (
    check_length, check_html, check_links, check_email_addresses, check_phone_numbers, check_echoed_contact,
    check_off_platform_contact,
    check_marketing, check_review_solicitation, check_review_incentive, check_feedback_removal, check_delay_notice,
    check_grounding, check_action_honesty, check_other_customer_data,
)


def check_reply(data: ComplianceInput, policy: PlatformPolicy) -> ComplianceReport:
    """Run every check on the draft; the report is ok only when no rule found anything."""
    text = data.text.replace("\u2019", "'").replace("\u2018", "'")
    violations = _unique(v for check in CHECKS for v in check(text, data, policy))
    return ComplianceReport(ok=not violations, violations=violations)
