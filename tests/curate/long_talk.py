"""A long constructed talk with ground truth by construction, for the moments tests.

Five readers in turn (printing history, JFK, Sense and Sensibility, printing again, then
football and cooking by one voice) with the faults an ASR makes at pauses inside sentences:
a full stop before a lower-case continuation, and long pauses mid-sentence. Every reference
sentence start, voice turn and topic boundary is known, as is the target passage.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_video.types import Segment, Transcript, Word

PRINTING = [
    # (ASR pieces of one reference sentence, pause after each piece)
    (
        [
            "Printing, in the only sense with which we are at present concerned, differs from "
            "most if not from all the arts and crafts represented in the Exhibition.",
            "in being comparatively modern.",
        ],
        [1.2, 0.7],
    ),
    (
        [
            "For although the Chinese took impressions from wood blocks engraved in relief for "
            "centuries before the woodcutters of the Netherlands, by a similar process",
            "produced the block books, which were the immediate predecessors of the true "
            "printed book,",
            "the invention of movable metal letters in the middle of the fifteenth century may "
            "justly be considered as the invention of the art of printing.",
        ],
        [1.4, 1.3, 0.7],
    ),
]
REPEATED = (
    [
        "And it is worth mention in passing that, as an example of fine typography, the earliest "
        "book printed with movable types, the Gutenberg, or forty-two line Bible of about "
        "fourteen fifty-five.",
        "has never been surpassed.",
    ],
    [1.1, 0.7],
)
JFK = (
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can "
    "do for your country."
)
AUSTEN = [
    "And Mister John Dashwood had then leisure to consider how much there might be prudently "
    "in his power to do for them.",
    "He was not an ill disposed young man, unless to be rather cold hearted and rather selfish "
    "is to be ill disposed.",
    "Had he married a more amiable woman, he might have been made still more respectable than "
    "he was.",
    "He might even have been made amiable himself.",
]
FOOTBALL = [
    "The striker scored again late in the game after a long pass from midfield.",
    "The keeper dived to his left but the ball curled into the top corner of the net.",
    "Fans sang loudly in the stadium as the referee blew the final whistle.",
    "The coach said his team had played their best football of the whole season.",
]
COOKING = [
    "Fresh pasta needs only flour, eggs and a pinch of salt.",
    "Knead the dough for ten minutes until it feels smooth and elastic.",
    "Roll it thin, cut it into ribbons and boil it briefly in salted water.",
    "Toss the pasta with butter, sage and grated parmesan before serving.",
]
WORD_S = 0.3
GAP_S = 0.05
TURN_PAUSE_S = 1.5


@dataclass(frozen=True)
class LongTalk:
    """The transcript and its truth."""

    transcript: Transcript
    sentence_starts_s: tuple[float, ...]
    """Start time of the first word of every reference sentence."""
    speaker_changes_s: tuple[float, ...]
    """Middle of the pause at every change of voice."""
    topic_starts_s: tuple[float, ...]
    """Start of the first word of every topic after the first (voice turns + football->cooking)."""
    target_span_s: tuple[float, float]
    """From the first to the last word of the JFK sentence."""
    repeated_spans_s: tuple[tuple[float, float], tuple[float, float]]
    """The two readings of the repeated passage."""
    duration_s: float


class _Builder:
    def __init__(self) -> None:
        self.t = 0.5
        self.segments: list[Segment] = []
        self.sentence_starts: list[float] = []

    def say(self, pieces: list[str], pauses: list[float]) -> tuple[float, float]:
        """One reference sentence spoken as ASR pieces; returns its first/last word times."""
        first = self.t
        last_end = self.t
        self.sentence_starts.append(self.t)
        for piece, pause in zip(pieces, pauses, strict=True):
            words = []
            for token in piece.split():
                words.append(Word(" " + token, self.t, self.t + WORD_S, 0.9))
                self.t += WORD_S + GAP_S
            last_end = words[-1].end_s
            self.segments.append(Segment(piece, words[0].start_s, last_end, tuple(words)))
            self.t = last_end + pause
        return first, last_end

    def turn(self) -> float:
        """A change of voice after a longer pause; returns its time (mid-pause)."""
        self.t += TURN_PAUSE_S
        return self.t - TURN_PAUSE_S / 2 - 0.35


def long_talk() -> LongTalk:
    """Build the constructed talk (about 140 s, 5 voices turns, one text-only topic change)."""
    b = _Builder()
    changes: list[float] = []
    topics: list[float] = []
    for pieces, pauses in PRINTING:
        b.say(pieces, pauses)
    first_reading = b.say(*REPEATED)
    changes.append(b.turn())
    topics.append(b.t)
    target = b.say([JFK], [0.7])
    changes.append(b.turn())
    topics.append(b.t)
    for sentence in AUSTEN:
        b.say([sentence], [0.6])
    changes.append(b.turn())
    topics.append(b.t)
    second_reading = b.say(*REPEATED)
    changes.append(b.turn())
    topics.append(b.t)
    for sentence in FOOTBALL:
        b.say([sentence], [0.6])
    topics.append(b.t + 0.2)
    b.t += 0.2
    for sentence in COOKING:
        b.say([sentence], [0.6])
    transcript = Transcript(language="en", segments=tuple(b.segments), model="hand-built")
    return LongTalk(
        transcript=transcript,
        sentence_starts_s=tuple(b.sentence_starts),
        speaker_changes_s=tuple(changes),
        topic_starts_s=tuple(topics),
        target_span_s=target,
        repeated_spans_s=(first_reading, second_reading),
        duration_s=b.t + 1.0,
    )
