"""Labelled sets: a folder or zip whose pictures sit in sub-folders is read as classes, one per folder.

    cats/a.png, cats/b.png, ..., dogs/x.jpg, ...  ->  classes ("cats", "dogs"), labels (N,) 0 / 1

Rules (no configuration; a flat folder trains exactly as before):
- A picture's class is the first folder of its path inside the source; deeper folders belong to it
  (cats/indoor/a.png is a cat). One folder wrapping everything (a zip of "icons/weather/...") is
  looked through.
- 2..MAX_CLASSES classes with at least MIN_PER_CLASS pictures each make a labelled set. Pictures at
  the top level and classes with fewer pictures are dropped, each with its reason in the report.
- Fewer than 2 usable classes, or more than MAX_CLASSES: the set is used without labels, as today
  (a warning says why when class folders were there).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import torch

MIN_CLASSES = 2
MAX_CLASSES = 100
MIN_PER_CLASS = 5
MAX_CLASS_NAME = 60  # characters; longer folder names are cut (names reach cards, pickers and files)


def class_paths(names: list[str], archives: Iterable[str]) -> list[str]:
    """Each picture's path inside its source: zip members lose their "archive.zip/" prefix; folder
    pictures keep their relative path; single files are a bare name (no class)."""
    prefixes = tuple(f"{a}/" for a in archives)
    out = []
    for name in names:
        hit = next((p for p in prefixes if name.startswith(p)), None)
        out.append(name[len(hit):] if hit else name)
    return out


def _strip_wrapper(paths: list[str]) -> list[str]:
    """Look through one folder that holds everything (and nothing beside it), however deep."""
    while paths and all("/" in p for p in paths):
        heads = {p.split("/", 1)[0] for p in paths}
        if len(heads) != 1:
            break
        paths = [p.split("/", 1)[1] for p in paths]
    return paths


def clean_class_name(folder: str) -> str:
    """A folder name as a class name: surrounding spaces trimmed, control characters removed, cut to
    MAX_CLASS_NAME characters. Unicode and inner spaces are kept ("Food & drink", "café")."""
    text = "".join(ch for ch in folder if ch.isprintable()).strip()
    return text[:MAX_CLASS_NAME] or "unnamed"


def assign_classes(paths: list[str]) -> tuple[list[str], list[int | None], list[tuple[int, str]], str]:
    """paths inside the source -> (classes, label per picture or None to drop, [(index, reason) dropped],
    warning). classes is empty when the set is not labelled: then every label is None and nothing is
    dropped (the caller keeps all pictures, unlabelled)."""
    inner = _strip_wrapper(list(paths))
    folders = [clean_class_name(p.split("/", 1)[0]) if "/" in p else None for p in inner]
    counts = Counter(f for f in folders if f is not None)
    kept = sorted(f for f, n in counts.items() if n >= MIN_PER_CLASS)
    unlabelled = [None] * len(paths)
    if len(kept) < MIN_CLASSES:
        warning = ""
        if counts:
            warning = (f"Found {len(counts)} sub-folder{'s' if len(counts) != 1 else ''} but fewer than "
                       f"{MIN_CLASSES} with at least {MIN_PER_CLASS} pictures, so the pictures are used "
                       "without labels.")
        return [], unlabelled, [], warning
    if len(kept) > MAX_CLASSES:
        return [], unlabelled, [], (f"Found {len(kept)} class folders, more than the {MAX_CLASSES} a model "
                                    "can learn as labels, so the pictures are used without labels.")
    index = {name: i for i, name in enumerate(kept)}
    labels: list[int | None] = []
    dropped: list[tuple[int, str]] = []
    for i, folder in enumerate(folders):
        if folder is None:
            dropped.append((i, "at the top level of a labelled set (not in a class folder)"))
        elif folder not in index:
            dropped.append((i, f"class \"{folder}\" has only {counts[folder]} picture"
                               f"{'s' if counts[folder] != 1 else ''} (at least {MIN_PER_CLASS} are needed)"))
        labels.append(index.get(folder) if folder is not None else None)
    return kept, labels, dropped, ""


def class_counts(labels: torch.Tensor, classes: tuple[str, ...]) -> dict[str, int]:
    """Pictures per class, in class order."""
    counts = torch.bincount(labels, minlength=len(classes)).tolist()
    return dict(zip(classes, counts))
