"""What the runner records for one question: the judged ranking, the judged answer, the timings."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RankedHit(BaseModel):
    rank: int
    doc_id: str
    source: str
    language: str
    score: float
    relevant: bool


class Citing(BaseModel):
    n: int
    doc_id: str
    relevant: bool


class QuestionRecord(BaseModel):
    id: str
    question: str
    language: str
    tags: list[str] = Field(default_factory=list)
    gold_answerable: bool
    has_evidence: bool
    # The language the detector finds for the question (the gold one is `language`, set by hand).
    question_language_detected: str = ""
    # The passages the composer received, in rank order as the retriever returned them.
    hits: list[RankedHit] = Field(default_factory=list)
    # A separate, deeper search, only when asked for (`--deep-k`); judged apart from what was composed.
    deep_hits: list[RankedHit] = Field(default_factory=list)
    # Chunks in the whole index that contain an evidence snippet: the ideal ranking for nDCG.
    relevant_in_index: int = 0
    # The languages of the index's chunks that contain an evidence snippet: where the answer stands.
    evidence_languages: list[str] = Field(default_factory=list)
    # Answer.
    answer: str = ""
    answerable: bool = False
    composer: str = ""
    # What the asker reads in their language: the answer without the spans copied from the passages.
    frame: str = ""
    answer_language: str = ""  # detected on the frame
    content_language: str = ""  # detected on the whole answer
    citations: list[Citing] = Field(default_factory=list)
    # One flag per gold fact: found in the answer text.
    facts_found: list[bool] = Field(default_factory=list)
    # The value type the question asks for (common.answer_types), and the key-fact line the answer opens
    # with ("Ставка: 85 % [1]"), empty when it has none.
    answer_type: str = ""
    key_fact: str = ""
    key_fact_found: bool = False  # the key-fact line states a gold fact
    # Lines of the answer that quote a passage, and the characters of each.
    quoted_lines: int = 0
    quote_chars: list[int] = Field(default_factory=list)
    search_ms: float = 0.0
    ask_ms: float = 0.0

    @property
    def relevance(self) -> list[bool]:
        return [hit.relevant for hit in self.hits]

    @property
    def deep_relevance(self) -> list[bool]:
        return [hit.relevant for hit in self.deep_hits]
