"""Lines of customer text as sentences: a long sentence wrapped over two lines is one sentence.

Kept apart (no imports) because the request splitter and the answer check both cut text into sentences at
line breaks, and both must not cut a wrapped sentence in two.
"""

from __future__ import annotations

import re

# A line break inside a sentence: the line ends in a word, a number, a comma or a bracket (no sentence end)
# and the next starts with a lower-case word. Email clients and web forms wrap long lines ("remind me, how
# much\ndo I save with the subscription?"); a list item, a greeting on its own line or a signature starts
# with a capital, a bullet or a blank line, and keeps its break.
_WRAPPED_BREAK = re.compile(r"(?<=[A-Za-z0-9,)])[ \t]*\r?\n(?=[ \t]*[a-z])")


def unwrap(text: str) -> str:
    """The text with wrapped lines joined: each break inside a sentence becomes spaces of the same length, so
    every position in the text stays where it was."""
    return _WRAPPED_BREAK.sub(lambda m: " " * len(m.group()), text)
