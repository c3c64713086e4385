"""Groups of examples that belong together (the recordings of one speaker, the photos of
one patient), read from the files' names: so that a split can keep each group on one
side, and so that data whose names follow {label}_{group}_{n} can be said to share
groups between training and test when it is split at random."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError

PART = re.compile(r"(\{[^{}]*\}|\*)")  # a pattern's {field} and * wildcards
LAYOUT_SHARE = 0.9  # the share of file names that must follow {label}_{group}_{n} to be read so
MAX_STARS = 4  # wildcards in a --group-split pattern


@dataclass(frozen=True)
class NamePattern:
    """How a file's name (without its extension) says its group. A word alone ("speaker")
    reads the name as {label}_{speaker}_{n}: the group is the part between the first and
    the last "_" (yes_george_3.wav: george). A pattern names one {field} for the group and
    uses * for any other text: "{speaker}_*" reads 0a7c2a8d_nohash_0.wav as 0a7c2a8d (the
    field takes as little text as it can)."""

    text: str

    @classmethod
    def parse(cls, text: str) -> NamePattern:
        """Refuse (ConfigError) a pattern without exactly one named {field}."""
        pattern = cls(text)
        fields = re.findall(r"\{([^{}]*)\}", text)
        stray = PART.sub("", text)
        if not pattern.is_word and (
            len(fields) != 1
            or not fields[0].strip()
            or "{" in stray
            or "}" in stray
            or text.count("*") > MAX_STARS  # each * multiplies the ways a name can be tried
        ):
            raise ConfigError(
                "Invalid value for --group-split. Expected a column, a word such as speaker (names read as "
                "{label}_{speaker}_{n}) or a pattern with one {field} and * for any text, such as "
                f"'{{speaker}}_*' (at most {MAX_STARS} *). Received: {text!r}"
            )
        return pattern

    @property
    def is_word(self) -> bool:
        return not PART.search(self.text) and "{" not in self.text and "}" not in self.text

    @property
    def word(self) -> str:
        """What a group is called: the word, or the pattern's field."""
        return self.text.strip() if self.is_word else re.findall(r"\{([^{}]*)\}", self.text)[0].strip()

    @property
    def layout(self) -> str:
        """How names are read, for messages: {label}_{speaker}_{n}, or the pattern."""
        return f"{{label}}_{{{self.word}}}_{{n}}" if self.is_word else self.text

    def regex(self) -> re.Pattern:
        if self.is_word:
            return re.compile(r"[^_]+_(?P<group>.+)_[^_]+")
        parts = []
        for token in PART.split(self.text):
            if token == "*":
                if parts[-1:] != [".*?"]:  # ** is *
                    parts.append(".*?")
            elif PART.fullmatch(token):
                parts.append("(?P<group>.+?)")
            else:
                parts.append(re.escape(token))
        return re.compile("".join(parts))

    def groups(self, files: list) -> list[str | None]:
        """Each file's group, or None where its name does not follow the pattern."""
        regex = self.regex()
        found = [regex.fullmatch(Path(f).stem) for f in files]
        return [m["group"] if m else None for m in found]


def layout_groups(files: list, labels: list[str], repeats: bool = True) -> np.ndarray | None:
    """The groups of files named {label}_{group}_{n} after their own label (yes/yes_george_3.wav),
    when nearly all are so named and (with repeats) some group is found under several
    labels (a speaker who says several words); None otherwise."""
    groups = []
    for file, label in zip(files, labels):
        stem, head = Path(file).stem, f"{label}_"
        rest = stem[len(head) :] if stem.lower().startswith(head.lower()) else ""
        groups.append(rest.rsplit("_", 1)[0] if "_" in rest.strip("_") else None)
    named = [(g, label) for g, label in zip(groups, labels) if g]
    if not files or len(named) < LAYOUT_SHARE * len(files):
        return None
    labels_of: dict[str, set] = {}
    for group, label in named:
        labels_of.setdefault(group, set()).add(label)
    if repeats and (len(labels_of) < 2 or all(len(found) < 2 for found in labels_of.values())):
        return None
    return np.array(groups, dtype=object)


def listed(names, n: int = 3) -> str:
    """A few names for a sentence: "george, jackson, lucas, …"."""
    names = sorted({str(v) for v in names})
    return ", ".join(names[:n]) + (", …" if len(names) > n else "")
