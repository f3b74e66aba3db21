"""Model artifacts on disk: written atomically and reproducibly, holding only what the packaged base
encoder does not (the word-piece, position and type embeddings stay frozen in training, so they are
referenced by hash, not copied), with a checksums file; read and verified; the current one (LATEST)
and the one that ships with the project (models/shipped/)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import random
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np

from models.base import ModelError, resolve_base_model
from newsmon.files import write_atomically

CHECKSUMS = "checksums.sha256"
# when and how long this build took: a fact about the run, not the model, so outside the checksums
# (as is the card, which also quotes analyses kept beside the training data)
RUN_FACTS = "run.json"
CARD = "MODEL_CARD.md"
HEADS = "heads.safetensors"
ENCODER = "encoder"
WEIGHTS = "weights.safetensors"  # not model.safetensors: transformers must not read a partial model
BASE = "base.json"
SHIPPED = Path(__file__).parent / "shipped"
# embeddings that stay as the base encoder has them, in fine-tuning and distillation alike
FROZEN_PREFIXES = ("embeddings.word_embeddings.", "embeddings.position_embeddings.",
                   "embeddings.token_type_embeddings.")
# how trained tensors are stored: float16 halves the bytes; measured on the default models, test F1
# unchanged (benchmarks/README.md, "Model size"); training rounds to it before choosing thresholds
# and measuring, so every figure in the artifact is the stored model's
STORAGE_DTYPE = "float16"
# part of every model version's hash: a model stored another way is another model
STORAGE_FORMAT = f"frozen-embeddings/{STORAGE_DTYPE}"
# training runs on this many threads whatever the machine has: a reduction's order, hence the last
# bits of a result, can depend on it
TRAIN_THREADS = 2


def versioned_fields(config, neutral: dict) -> dict:
    """The fields of config (a dataclass) that a model's version hashes: options added after models
    were shipped count only where they differ from neutral, their values that keep the old
    behaviour, so a model made without them keeps its version."""
    return {key: value for key, value in asdict(config).items() if key not in neutral or value != neutral[key]}


@contextlib.contextmanager
def reproducible(seed: int):
    """Seeds, deterministic algorithms and a fixed thread count for one training run; the caller's
    settings come back afterwards."""
    import torch

    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(TRAIN_THREADS)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def freeze_embeddings(model) -> None:
    """No gradient for the embeddings the base encoder holds (transformers' BertModel names)."""
    for name, parameter in model.named_parameters():
        if name.startswith(FROZEN_PREFIXES):
            parameter.requires_grad_(False)


def round_to_storage(model) -> None:
    """Round the weights that will be stored to the storage precision, in place, so what is measured
    after training is what ships."""
    import torch

    dtype = getattr(torch, STORAGE_DTYPE)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point() and not name.startswith(FROZEN_PREFIXES):
                tensor.copy_(tensor.to(dtype).float())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _base_location(base_model: str) -> Path | None:
    """The base encoder's local directory, if it is one with safetensors weights."""
    try:
        location = Path(resolve_base_model(base_model))
    except ModelError:
        return None
    return location if (location / "model.safetensors").is_file() else None


def _tensor_bytes(tensor) -> bytes:
    return tensor.detach().contiguous().cpu().numpy().tobytes()


@functools.cache
def _base_digest(path: str, mtime_ns: int, size: int, name: str) -> str:
    """sha256 of one tensor of an installed base encoder, once per process and file version."""
    from safetensors import safe_open

    with safe_open(path, "pt") as weights:
        return _sha256(_tensor_bytes(weights.get_tensor(name)))


def write_encoder(folder: Path, model, base_model: str) -> None:
    """config.json, the tensors the base encoder does not hold (weights.safetensors, STORAGE_DTYPE)
    and base.json, naming the base and the sha256 of each tensor taken from it (and its tokenizer)."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    folder.mkdir(parents=True)
    state = {name: tensor for name, tensor in model.state_dict().items() if not name.endswith("position_ids")}
    base = _base_location(base_model)
    referenced: dict[str, str] = {}
    if base is not None:
        with safe_open(str(base / "model.safetensors"), "pt") as weights:
            names = set(weights.keys())
            for name, tensor in state.items():
                if name in names:
                    theirs = weights.get_tensor(name)
                    if theirs.dtype == tensor.dtype and theirs.shape == tensor.shape and torch.equal(theirs, tensor):
                        referenced[name] = _sha256(_tensor_bytes(theirs))
    dtype = getattr(torch, STORAGE_DTYPE)
    own = {name: (tensor.to(dtype) if tensor.is_floating_point() else tensor).contiguous()
           for name, tensor in state.items() if name not in referenced}
    save_file(own, str(folder / WEIGHTS))
    config = model.config.to_dict()
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tokenizer = {}
    if base is not None:
        tokenizer = {name: _file_sha256(base / name) for name in ("tokenizer.json", "tokenizer_config.json",
                                                                  "special_tokens_map.json", "vocab.txt")
                     if (base / name).is_file()}
    (folder / BASE).write_text(json.dumps({"base_model": base_model if base is not None else None,
                                           "tensors": referenced, "tokenizer": tokenizer},
                                          indent=2, sort_keys=True) + "\n", encoding="utf-8")


def is_packed(location: str | Path) -> bool:
    """Whether location is an encoder directory written by write_encoder."""
    return (Path(location) / BASE).is_file()


def read_encoder(location: str | Path) -> tuple[dict, dict, Path]:
    """The encoder's config, its whole state (float32, transformers' names) with the referenced
    tensors read from the installed base and checked against their hashes, and the directory its
    tokenizer comes from."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    folder = Path(location)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        reference = json.loads((folder / BASE).read_text(encoding="utf-8"))
        state = {name: tensor.float() if tensor.is_floating_point() else tensor
                 for name, tensor in load_file(str(folder / WEIGHTS)).items()}
    except FileNotFoundError as exc:
        raise ModelError(f"encoder at {folder} is incomplete: {Path(exc.filename or '?').name} is missing: "
                         "run `newsmon train`") from None
    except (OSError, ValueError, SafetensorError) as exc:
        raise ModelError(f"encoder at {folder} is corrupt ({str(exc).splitlines()[0]}): run `newsmon train`") from None
    base_model = reference.get("base_model")
    if base_model is None:
        return config, state, folder
    base = _base_location(base_model)
    if base is None:
        raise ModelError(f"the model at {folder.parent} needs the base encoder {base_model!r}, which is not "
                         "installed: run `make install`")
    weights_file = base / "model.safetensors"
    stat = weights_file.stat()
    with safe_open(str(weights_file), "pt") as weights:
        names = set(weights.keys())
        for name, digest in reference["tensors"].items():
            tensor = weights.get_tensor(name) if name in names else None
            if tensor is None or _base_digest(str(weights_file), stat.st_mtime_ns, stat.st_size, name) != digest:
                raise ModelError(f"the installed {base_model} is not the one the model at {folder.parent} was "
                                 f"trained on ({name} differs): reinstall it (`make install`) or run `newsmon train`")
            state[name] = tensor
    for name, digest in reference["tokenizer"].items():
        if not (base / name).is_file() or _file_sha256(base / name) != digest:
            raise ModelError(f"the installed {base_model} is not the one the model at {folder.parent} was "
                             f"trained on ({name} differs): reinstall it (`make install`) or run `newsmon train`")
    return config, state, base


def write_heads(path: Path, heads: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    save_file({name: np.ascontiguousarray(value, dtype=np.float32) for name, value in heads.items()}, str(path))


def read_heads(folder: Path) -> dict[str, np.ndarray]:
    """The label and sector heads (heads.safetensors; head.npz in artifacts written before it)."""
    if (folder / HEADS).is_file():
        from safetensors.numpy import load_file

        return load_file(str(folder / HEADS))
    with np.load(folder / "head.npz") as legacy:
        return {name: legacy[name] for name in legacy.files}


def _listed_files(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")
                  if path.is_file() and path.name not in (CHECKSUMS, RUN_FACTS, CARD))


def write_checksums(folder: Path) -> None:
    lines = [f"{_file_sha256(folder / name)}  {name}\n" for name in _listed_files(folder)]
    (folder / CHECKSUMS).write_text("".join(lines), encoding="utf-8")


def read_checksums(folder: Path) -> dict[str, str]:
    """{relative path: sha256} from the checksums file."""
    out = {}
    for line in (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise ModelError(f"model at {folder} is corrupt: {CHECKSUMS} is unreadable: run `newsmon train`")
        out[name] = digest
    return out


def verify(folder: Path, *, required: bool = False) -> None:
    """Check every file the checksums file lists (artifacts written before checksums existed, with
    head.npz, pass unless required): one ModelError naming the first file missing or changed."""
    if not (folder / CHECKSUMS).is_file():
        legacy = (folder / "head.npz").is_file() and (folder / "config.json").is_file()
        if required or not legacy:
            raise ModelError(f"model at {folder} is incomplete: {CHECKSUMS} is missing: run `newsmon train`")
        return
    for name, digest in read_checksums(folder).items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"model at {folder} is incomplete: {name} is missing: run `newsmon train`")
        if _file_sha256(path) != digest:
            raise ModelError(f"model at {folder} is corrupt: {name} does not match its checksum: "
                             "run `newsmon train`")


def write_artifact(models_dir: Path, version: str, config: dict, heads: dict[str, np.ndarray], metrics: dict,
                   encoder_model=None, *, card: str, run_facts: dict | None = None) -> Path:
    """Write into a temporary directory and rename it into place, then point LATEST at it; card is
    the model card's text (models.card.render_card). Every file but run.json and the card is a
    function of the training inputs alone (no clock, no machine): a rebuild has the same checksums."""
    models_dir.mkdir(parents=True, exist_ok=True)
    final = models_dir / version
    tmp = models_dir / f".{version}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    if encoder_model is not None:
        write_encoder(tmp / ENCODER, encoder_model, config["base_model"])
    write_heads(tmp / HEADS, heads)
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_checksums(tmp)
    (tmp / CARD).write_text(card, encoding="utf-8")
    if run_facts:
        (tmp / RUN_FACTS).write_text(json.dumps(run_facts, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    make_current(models_dir, version)
    return final


def make_current(models_dir: Path, version: str) -> None:
    write_atomically(models_dir / "LATEST", version)


def read_run_facts(folder: Path) -> dict:
    try:
        return json.loads((folder / RUN_FACTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def latest_model(models_dir: Path) -> Path | None:
    """The artifact LATEST points at, if any."""
    pointer = models_dir / "LATEST"
    if not pointer.exists():
        return None
    path = models_dir / pointer.read_text(encoding="utf-8").strip()
    return path if path.exists() else None


def shipped_model() -> Path | None:
    """The model that ships with the project (models/shipped/LATEST), if this install has one; its
    directory may still be incomplete or corrupt (verify says)."""
    pointer = SHIPPED / "LATEST"
    if not pointer.is_file():
        return None
    return SHIPPED / pointer.read_text(encoding="utf-8").strip()


def model_dir_or_exit(args: list[str]) -> Path:
    """For analysis scripts: the model directory named first on the command line, else the current
    one under data/models, else the shipped one; exits with one line when there is none."""
    path = Path(args[0]) if args else latest_model(Path("data") / "models") or shipped_model()
    if path is None:
        raise SystemExit("error: no trained model: run `newsmon train` or pass a model directory")
    return path
