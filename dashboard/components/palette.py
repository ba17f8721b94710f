"""Colours that stay apart for colour-blind readers: the Okabe–Ito palette
(Okabe & Ito, "Color Universal Design", 2008), the usual choice for categorical data.

Chart series cycle through ``SERIES``; status colours never carry meaning alone (the
markers and bars also differ in shape or pattern, and tiles add an icon and a word).
"""

from __future__ import annotations

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

# Series order: the strongest contrasts on white first; yellow (weak on white) last.
SERIES = [OKABE_ITO[name] for name in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple",
                                       "sky_blue", "black", "yellow")]

# Text on white (contrast 4.5:1 or more); a level is never told by colour alone: its
# icon and word come with it.
LEVEL_TEXT = {"good": "#1a7f37", "warn": "#9a6700", "bad": "#cf222e", "unknown": "#59636e"}
