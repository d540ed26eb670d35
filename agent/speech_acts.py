"""What a reply does about each action: refuses it, offers or asks about it, or states it.

A wording can keep every id, date and amount of its template and still reverse its meaning: "the return
window closed, so I can't open a return" reworded as "please go ahead and return it". Fact mapping
(agent/grounding.py) cannot see that, so a rewording must also keep, for every action the template talks
about, the same kinds of statement, and must not start talking about an action the template leaves alone.
The reading is deliberately coarse (per sentence: a negation, a question or offer, else a statement); a
false alarm only means the verified template is sent instead of the wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Act = Literal["refuse", "offer", "state"]

_I = re.IGNORECASE
ACTIONS: dict[str, re.Pattern[str]] = {
    "return": re.compile(r"\breturn(?:s|ed|ing|able)?\b|\bsend (?:it|them|this|that) back\b"
                         r"|\bship (?:it|them) back\b|\bmail (?:it|them) back\b", _I),
    "refund": re.compile(r"\brefund\w*|\breimburs\w*|\bmoney back\b|\bcredit(?:ed)? (?:back|to your)\b", _I),
    "cancel": re.compile(r"\bcancel+\w*", _I),
    "address": re.compile(r"\b(?:shipping |delivery |new )?address\b|\bredirect\w*|\breroute\w*", _I),
    "replacement": re.compile(r"\breplac\w*|\bexchang\w*|\bre-?send\w*|\bre-?ship\w*|\bsend (?:you )?(?:a )?new\b", _I),
    "delivery": re.compile(r"\bdeliver(?:ed|y|ies)?\b|\barriv(?:e|es|ed|ing)\b|\bin transit\b|\bon (?:its|the) way\b", _I),
    "subscription": re.compile(r"\bsubscri\w*|\bskip(?:ped|ping)?\b|\bpaus\w*|\bresum\w*", _I),
}
_NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|can't|couldn't|won't|isn't|aren't|wasn't|weren't|doesn't|don't|didn't|hasn't|"
    r"haven't|unable|no longer|ineligible|not eligible|closed|expired|outside (?:the|our|its)|past (?:the|its)|"
    r"only through|only via|unfortunately|too late|already (?:shipped|left)|yet to)\b|n't\b", _I)
_OFFER = re.compile(
    r"\b(?:would you like|do you want|want me to|shall I|should I|if you(?:'d| would)? like|if you want|"
    r"let me know if|just reply|reply (?:yes|with)|can I|may I|happy to|glad to|I can|we can|you can|"
    r"feel free)\b", _I)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*", re.S)


@dataclass(frozen=True)
class ActReading:
    """Per action the reply talks about, the kinds of statement it makes."""

    acts: dict[str, frozenset[Act]]

    def about(self, action: str) -> frozenset[Act]:
        return self.acts.get(action, frozenset())


def _kind(sentence: str) -> Act:
    if _NEGATION.search(sentence):
        return "refuse"
    if sentence.rstrip().endswith("?") or _OFFER.search(sentence):
        return "offer"
    return "state"


def read_acts(text: str) -> ActReading:
    """Each sentence's kind, filed under every action it mentions."""
    found: dict[str, set[Act]] = {}
    for match in _SENTENCE.finditer(text.replace("\u2019", "'")):
        sentence = match.group(0)
        actions = [name for name, pattern in ACTIONS.items() if pattern.search(sentence)]
        if not actions:
            continue
        kind = _kind(sentence)
        for action in actions:
            found.setdefault(action, set()).add(kind)
    return ActReading({a: frozenset(k) for a, k in found.items()})


def act_changes(template: str, wording: str) -> list[str]:
    """Why the wording does something else than the template about an action (empty: same acts)."""
    meant, said = read_acts(template), read_acts(wording)
    reasons: list[str] = []
    for action in sorted(set(meant.acts) | set(said.acts)):
        before, after = meant.about(action), said.about(action)
        if not before:
            reasons.append(f"talks about {action}, which the draft does not")
        elif not after:
            continue  # dropped topics are caught by the fact checks; saying less is not saying otherwise
        elif "refuse" in before and "refuse" not in after:
            reasons.append(f"drops the draft's 'no' about {action}")
        elif "refuse" in after and "refuse" not in before:
            reasons.append(f"says 'no' about {action} where the draft does not")
        elif "offer" in after and "offer" not in before:
            reasons.append(f"offers {action} where the draft does not")
        elif "state" in after and "state" not in before and "offer" in before:
            reasons.append(f"states as done or settled the {action} the draft only offers")
    return reasons
