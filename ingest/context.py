"""What is embedded for a chunk: the chunk in its document's context.

A chunk of a regulation carries only its section path ("Article 112 › ..."), and the same article number
exists in every act of the index. With the document's title embedded too, a question that names the act,
programme or measure finds its articles rather than the same-numbered ones of other acts. The stored text
and the quotes stay the chunk alone.
"""

from __future__ import annotations


def passage_text(title: str, chunk_text: str) -> str:
    return f"{title}\n{chunk_text}" if title else chunk_text
