"""Made-up documents for the benches to upload: long enough to take a while, worded per key so that neither the
embedding cache nor the unchanged-file check can shortcut them."""

from __future__ import annotations


def scheme_document(key: str, sections: int) -> str:
    """Markdown with front matter: `sections` rules of funding scheme `key` (about one chunk per three rules)."""
    rules = [f"## Rule {i}\n\nUnder scheme {key}, measure {i} funds up to {1000 + 37 * i} euro for care providers; "
             f"claims are filed within {10 + i} days with the evidence a beneficiary keeps for audit."
             for i in range(sections)]
    return f"---\ntitle: Scheme {key}\nlanguage: en\n---\n\n" + "\n\n".join(rules)
