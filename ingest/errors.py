"""Named errors for bad input: each says which file (and page, where known) and why."""

from __future__ import annotations

from pathlib import Path


class LoadError(Exception):
    """A file could not be turned into text; the batch goes on without it."""

    code = "load-error"

    def __init__(self, path: Path | str, cause: str, page: int | None = None) -> None:
        self.path = str(path)
        self.page = page
        self.cause = cause
        where = f"{self.path}, page {page}" if page is not None else self.path
        super().__init__(f"{where}: {cause}")


class EmptyFileError(LoadError):
    code = "empty-file"


class FileTooLargeError(LoadError):
    code = "file-too-large"


class UnsupportedTypeError(LoadError):
    code = "unsupported-type"


class NotAPdfError(LoadError):
    code = "not-a-pdf"


class EncryptedPdfError(LoadError):
    code = "encrypted-pdf"


class NoTextLayerError(LoadError):
    code = "no-text-layer"


class InvalidEncodingError(LoadError):
    code = "invalid-encoding"


class CorruptFileError(LoadError):
    code = "corrupt-file"


class FrontMatterError(LoadError):
    code = "bad-front-matter"


class NoContentError(LoadError):
    code = "no-content"
