"""Convert musicnn's trained TensorFlow checkpoints into the torch checkpoints this package ships.

    python -m tools.audio.tagging.convert_musicnn                       # fetches the musicnn 0.1.0 wheel
    python -m tools.audio.tagging.convert_musicnn --wheel musicnn-0.1.0-py3-none-any.whl

Run once by a maintainer, never at run time: the torch checkpoints and musicnn's ISC licence are
committed in `weights/`. The `musicnn` PyPI package (Pons & Serra, ISC licence) ships its MagnaTagATune
and Million Song Dataset taggers as TensorFlow 1 checkpoints (a `.index` table and a `.data` file);
`musicnn-keras` ships no weights at all. Rather than install TensorFlow for one conversion, this script
reads the checkpoint format itself: the `.index` is a LevelDB-style table (sorted key/value blocks, a
footer pointing at the block index) whose values are `BundleEntryProto` messages giving each tensor's
dtype, shape and byte range in the `.data` file, checked by its masked CRC-32C.

The only network access is `pip download --no-deps musicnn==0.1.0` when no `--wheel` is given.

The port was checked against musicnn's own TensorFlow graph on fixed patches and two real recordings
(logits within 4.3e-5; docs/benchmarks.md); the fixed patches' TF logits are kept in
`tests/data/musicnn_tf_reference.json` for `tests/test_music_tagger.py`.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tools.audio.tagging.musicnn import Musicnn
from tools.audio.tagging.tagger import CHECKPOINT_KIND, MODELS, WEIGHTS_DIR, MusicnnModel
from tools.files import write_atomically
from tools.music.checkpoints import save_checkpoint

logger = logging.getLogger(__name__)

MUSICNN_VERSION = "0.1.0"
_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_BYTES = 48
_BLOCK_TRAILER_BYTES = 5  # compression type and CRC after each block
_DT_FLOAT = 1


class CheckpointFormatError(ValueError):
    """The file is not a TensorFlow checkpoint this reader understands."""


# --- protocol buffers and varints --------------------------------------------------------------------------


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def _fields(message: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs of a protobuf message: ints for varint and fixed fields, bytes otherwise."""
    fields: list[tuple[int, int | bytes]] = []
    position = 0
    while position < len(message):
        key, position = _varint(message, position)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, position = _varint(message, position)
        elif wire == 1:
            value, position = struct.unpack_from("<Q", message, position)[0], position + 8
        elif wire == 2:
            length, position = _varint(message, position)
            value, position = message[position : position + length], position + length
        elif wire == 5:
            value, position = struct.unpack_from("<I", message, position)[0], position + 4
        else:
            raise CheckpointFormatError(f"unsupported protobuf wire type {wire}")
        fields.append((number, value))
    return fields


# --- CRC-32C as TensorFlow masks it ---------------------------------------------------------------------------

def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def masked_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# --- the table and the tensors ---------------------------------------------------------------------------------


def _block_entries(table: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    """The key/value pairs of one uncompressed table block (keys are prefix-compressed)."""
    if table[offset + size] != 0:
        raise CheckpointFormatError("compressed table blocks are not supported")
    block = table[offset : offset + size]
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end = len(block) - 4 - 4 * restarts
    entries, position, key = [], 0, b""
    while position < end:
        shared, position = _varint(block, position)
        unshared, position = _varint(block, position)
        length, position = _varint(block, position)
        key = key[:shared] + block[position : position + unshared]
        position += unshared
        entries.append((key, block[position : position + length]))
        position += length
    return entries


@dataclass(frozen=True)
class _Entry:
    dtype: int
    shape: tuple[int, ...]
    offset: int
    size: int
    crc: int | None


def _number(fields: dict[int, int | bytes], field: int) -> int:
    value = fields.get(field, 0)
    if not isinstance(value, int):
        raise CheckpointFormatError(f"protobuf field {field} should be a number")
    return value


def _entry(value: bytes) -> _Entry:
    """A `BundleEntryProto`: dtype (1), shape (2: repeated dim 2, each with size 1), shard (3), offset (4),
    size (5), crc32c (6), slices (7)."""
    fields = dict(_fields(value))
    shape: list[int] = []
    encoded_shape = fields.get(2, b"")
    if isinstance(encoded_shape, bytes):
        for number, dim in _fields(encoded_shape):
            if number == 2 and isinstance(dim, bytes):
                shape.append(_number(dict(_fields(dim)), 1))
    if _number(fields, 3) or 7 in fields:
        raise CheckpointFormatError("sharded or sliced tensors are not supported")
    return _Entry(_number(fields, 1), tuple(shape), _number(fields, 4), _number(fields, 5),
                  _number(fields, 6) if 6 in fields else None)


def read_checkpoint(index: bytes, data: bytes) -> dict[str, np.ndarray]:
    """Every float tensor of a single-shard TF checkpoint, by variable name (CRC-checked)."""
    if len(index) < _FOOTER_BYTES or struct.unpack_from("<Q", index, len(index) - 8)[0] != _TABLE_MAGIC:
        raise CheckpointFormatError("not a TensorFlow checkpoint index (bad table magic)")
    position = len(index) - _FOOTER_BYTES
    _, position = _varint(index, position)  # metaindex handle: offset,
    _, position = _varint(index, position)  # size (unused)
    index_offset, position = _varint(index, position)
    index_size, _ = _varint(index, position)
    tensors: dict[str, np.ndarray] = {}
    for _, handle in _block_entries(index, index_offset, index_size):
        offset, after = _varint(handle, 0)
        size, _ = _varint(handle, after)
        for key, value in _block_entries(index, offset, size):
            if not key:  # the bundle header
                continue
            entry = _entry(value)
            if entry.dtype != _DT_FLOAT:
                continue
            raw = data[entry.offset : entry.offset + entry.size]
            if entry.crc is not None and masked_crc32c(raw) != entry.crc:
                raise CheckpointFormatError(f"tensor {key.decode()} fails its CRC-32C check")
            tensors[key.decode()] = np.frombuffer(raw, dtype="<f4").reshape(entry.shape).copy()
    return tensors


# --- TF variable names to this port's parameters -----------------------------------------------------------------

_BATCH_NORM = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}
# tf.compat.v1.layers numbers layers of one kind in creation order (see musicnn.models.build_musicnn).
_LAYERS = {
    "batch_normalization": "input_norm",
    "conv2d": "timbral.0", "batch_normalization_1": "timbral_norms.0",
    "conv2d_1": "timbral.1", "batch_normalization_2": "timbral_norms.1",
    "conv2d_2": "temporal.0", "batch_normalization_3": "temporal_norms.0",
    "conv2d_3": "temporal.1", "batch_normalization_4": "temporal_norms.1",
    "conv2d_4": "temporal.2", "batch_normalization_5": "temporal_norms.2",
    "conv2d_5": "midend.0", "batch_normalization_6": "midend_norms.0",
    "conv2d_6": "midend.1", "batch_normalization_7": "midend_norms.1",
    "conv2d_7": "midend.2", "batch_normalization_8": "midend_norms.2",
    "batch_normalization_9": "pool_norm",
    "dense": "dense", "batch_normalization_10": "dense_norm",
    "dense_1": "output",
}


def _torch_tensor(layer: str, name: str, value: np.ndarray) -> torch.Tensor:
    """TF's kernel layouts into torch's: conv (h, w, in, out) -> (out, in, h, w), mid-end convs spanning all
    features -> Conv1d (out, in, time), dense (in, out) -> (out, in)."""
    if name == "kernel" and layer.startswith("midend"):
        value = value[:, :, 0, :].transpose(2, 1, 0)
    elif name == "kernel" and value.ndim == 4:
        value = value.transpose(3, 2, 0, 1)
    elif name == "kernel":
        value = value.T
    return torch.from_numpy(np.ascontiguousarray(value))


def state_dict_from_tf(tensors: dict[str, np.ndarray], model: Musicnn) -> dict[str, torch.Tensor]:
    """The port's state dict from the TF variables (optimizer slots ignored); every parameter and buffer of
    `model` must be filled with a tensor of its exact shape."""
    state: dict[str, torch.Tensor] = {}
    for key, value in tensors.items():
        layer, _, name = key.partition("/")
        if "Adam" in name or layer not in _LAYERS:
            continue
        torch_name = f"{_LAYERS[layer]}.{_BATCH_NORM.get(name, 'weight' if name == 'kernel' else name)}"
        state[torch_name] = _torch_tensor(_LAYERS[layer], name, value)
    expected = model.state_dict()
    for name, tensor in expected.items():
        if name.endswith("num_batches_tracked"):
            state[name] = torch.zeros_like(tensor)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [name for name in expected if name in state and state[name].shape != expected[name].shape]
    if missing or unexpected or wrong:
        raise CheckpointFormatError(f"checkpoint does not fit the port: missing {missing}, unexpected {unexpected}, "
                                    f"wrong shapes {wrong}")
    return state


def convert(wheel: Path, spec: MusicnnModel, out_dir: Path) -> Path:
    """Read `spec`'s checkpoint from the musicnn wheel and save it as this package's torch checkpoint."""
    with zipfile.ZipFile(wheel) as archive:
        folder = f"musicnn/{spec.source_folder}"
        tensors = read_checkpoint(archive.read(f"{folder}/.index"), archive.read(f"{folder}/.data-00000-of-00001"))
    model = Musicnn(num_classes=len(spec.labels))
    model.load_state_dict(state_dict_from_tf(tensors, model), strict=True)
    target = out_dir / spec.checkpoint_name
    save_checkpoint(target, kind=CHECKPOINT_KIND, config={"model": spec.name, "labels": list(spec.labels)},
                    state_dict=model.state_dict(),
                    metrics={"source": f"musicnn {MUSICNN_VERSION} (PyPI), {folder}",
                             "source_wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()})
    logger.info("%s: %d tensors -> %s", spec.name, len(tensors), target)
    return target


def _download_wheel(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", f"musicnn=={MUSICNN_VERSION}",
                    "-d", str(folder)], check=True, timeout=600)
    return next(folder.glob("musicnn-*.whl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.audio.tagging.convert_musicnn",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"musicnn-{MUSICNN_VERSION}-py3-none-any.whl (else pip download)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="folder for the torch checkpoints")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as scratch:
        wheel = args.wheel or _download_wheel(Path(scratch))
        for spec in MODELS.values():
            print(convert(wheel, spec, args.out))
        with zipfile.ZipFile(wheel) as archive:
            licence = archive.read(f"musicnn-{MUSICNN_VERSION}.dist-info/LICENSE.md")
        write_atomically(args.out, {"LICENSE-musicnn.md": licence})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
