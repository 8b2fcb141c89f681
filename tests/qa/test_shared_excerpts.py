"""A real Estonian act: a paragraph of a section run together is quoted alone, verbatim, marked where it is cut.

The act's numbered paragraphs ("(1) … (2) …") reach the composer as one unit of several hundred characters; the
answer shows the paragraph that answers. Only this act is ingested (about seventy chunks).
"""

from __future__ import annotations

import shutil

import pytest

from common.runtime import Runtime
from ingest.pipeline import Ingestor
from qa.compose.excerpt import ELLIPSIS
from qa.helpdesk import Helpdesk
from tests.conftest import SHARED_CORPUS, needs_shared

ACT = SHARED_CORPUS / "et" / "111032022001.md"  # the 2021-2027 cohesion funds implementation act

pytestmark = [needs_shared(), pytest.mark.shared]


@pytest.fixture(scope="module")
def act_helpdesk(tmp_path_factory, embedding_cache_dir):
    from common.settings import Settings

    folder = tmp_path_factory.mktemp("act")
    shutil.copy(ACT, folder / ACT.name)
    data_dir = tmp_path_factory.mktemp("act-data")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    runtime = Runtime(Settings(data_dir=data_dir))
    assert Ingestor(runtime.settings, runtime.store, runtime.embedder).ingest([folder]).ok
    yield Helpdesk(runtime.settings, runtime.store, runtime.embedder)
    runtime.close()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_paragraph_on_repayment_is_quoted_alone_and_verbatim(act_helpdesk):
    answer = act_helpdesk.ask("Mitme kalendripäeva jooksul peab toetuse saaja finantskorrektsiooni otsusega nõutud "
                              "toetuse tagasi maksma?")
    assert answer.language == "et" and answer.answerable
    line = next(line for line in answer.answer.splitlines() if "60 kalendripäeva" in line)
    n = int(line.rsplit("[", 1)[1].split("]")[0])
    passage = next(c for c in answer.citations if c.n == n).text
    shown = line.removeprefix("- ").rsplit(" [", 1)[0]
    assert shown.startswith(f"{ELLIPSIS} (1) Toetuse saaja peab maksma tagasi") and shown.endswith(ELLIPSIS)
    assert "(2)" not in shown  # the next paragraph, on state aid, does not answer
    assert _flat(shown.strip(f"{ELLIPSIS} ")) in _flat(passage)
