#!/usr/bin/env python3
"""Compare a backend's outputs with every case of the SLAYER oracle's fixture library.

Usage:  python3 compare_fixtures.py FIXTURES_DIR ACTUAL_ROOT [CASE ...]

FIXTURES_DIR holds the cases (each a directory with case.json, its inputs and expected/).
ACTUAL_ROOT/<case>/ holds the backend's outputs for <case> under expected/'s file names
(op<k>.npy, op<k>.u.npy, op<k>.spikes.npy of a TSSL-BP lif op, loss.json, grad.input.npy,
grad.op<k>.<param>.npy). Name cases to compare only those. NumPy and the standard library only.

The rules are those of `slayer compare` (Sources/SlayerIO/Comparison.swift, Docs/FixtureFormat.md):
an element passes when |a - e| <= atol + rtol*|e| (NaN never passes), with

    spikes       op<k>.npy of a spike op,      exact, but a spike may differ where the expected
                 op<k>.spikes.npy of a lif op  |u - theta| < 1e-3 (u from expected/op<k>.u.npy)
    potentials   other op<k>.npy, op<k>.u.npy  atol 1e-3, rtol 1e-4
    loss         loss.json "loss"              atol 1e-6, rtol 1e-5
    gradients    grad.*.npy                    atol 1e-5 * max|expected|, rtol 1e-3

Prints one line per tensor (ok/FAIL, the worst element, its index, the tolerance) and exits
0 when everything agrees, 1 when a tensor fails or is missing, 2 on bad input.
"""
import json
import math
import pathlib
import sys

import numpy as np

MARGIN_TOLERANCE = 1e-3
POTENTIALS = (1e-3, 1e-4)
LOSS = (1e-6, 1e-5)
GRADIENT_ATOL_SCALE, GRADIENT_RTOL = 1e-5, 1e-3
# The op whose learnable tensor gives grad.op<k>.<param>.npy, and that tensor's name.
PARAMETERS = {"dense": "weights", "conv": "weights", "convTranspose": "weights",
              "pspLayer": "filters", "pspFilter": "filters", "delay": "delays"}


class BadInput(Exception):
    """A fixture that cannot be read: exit code 2."""


def expected_files(spec):
    """(file name, kind, potential file or None) for every file of expected/, in slayer's order."""
    files = []
    for k, op in enumerate(spec["ops"]):
        if op["op"] == "spike":
            files += [(f"op{k}.npy", "spikes", f"op{k}.u.npy"), (f"op{k}.u.npy", "potentials", None)]
        elif op["op"] == "lif":  # TSSL-BP: the output is the PSC; u and the spikes beside it
            files += [(f"op{k}.npy", "potentials", None), (f"op{k}.u.npy", "potentials", None),
                      (f"op{k}.spikes.npy", "spikes", f"op{k}.u.npy")]
        else:
            files.append((f"op{k}.npy", "potentials", None))
    if "loss" in spec:
        files += [("loss.json", "loss", None), ("grad.input.npy", "gradients", None)]
        files += [(f"grad.op{k}.{PARAMETERS[op['op']]}.npy", "gradients", None)
                  for k, op in enumerate(spec["ops"]) if op["op"] in PARAMETERS]
    return files


def read(path):
    """An .npy as a float64 array, or loss.json's "loss" as a 0-d array (null reads as NaN)."""
    if path.name == "loss.json":
        value = json.loads(path.read_text())["loss"]
        return np.array(math.nan if value is None else float(value))
    return np.load(path, allow_pickle=False).astype(np.float64)


def tolerance(kind, e):
    if kind == "spikes":
        return 0.0, 0.0
    if kind == "potentials":
        return POTENTIALS
    if kind == "loss":
        return LOSS
    return GRADIENT_ATOL_SCALE * (float(np.max(np.abs(e))) if e.size else 0.0), GRADIENT_RTOL


def index_text(flat, shape):
    if len(shape) == 0:
        return ""
    if len(shape) == 5:
        return " at (" + ", ".join(str(int(i)) for i in np.unravel_index(flat, shape)) + ")"
    return f" at [{flat}]"


def compare(name, kind, e, a, u, theta):
    """(ok, line) for one tensor, as slayer compare's TensorComparison."""
    atol, rtol = tolerance(kind, e)
    tol_text = "exact" if atol == 0 and rtol == 0 else f"atol {atol:g}, rtol {rtol:g}"
    shape = "(" + ", ".join(map(str, e.shape)) + ("," if e.ndim == 1 else "") + ")"
    head = f"{name} {shape}: "
    if a.shape != e.shape:
        sa = "(" + ", ".join(map(str, a.shape)) + ("," if a.ndim == 1 else "") + ")"
        return False, head + f"FAIL, shape mismatch: expected {shape}, found {sa}; tolerance {tol_text} ({kind})"
    e1, a1 = e.reshape(-1), a.reshape(-1)
    with np.errstate(invalid="ignore"):
        diff = np.abs(a1 - e1)
        excess = diff - (atol + rtol * np.abs(e1))
        failed = ~(excess <= 0)
    excused = np.zeros_like(failed)
    if kind == "spikes" and u is not None and u.size == e.size:
        excused = failed & (np.abs(u.reshape(-1) - theta) < MARGIN_TOLERANCE)
        failed = failed & ~excused
    failures = int(failed.sum())
    line = head + ("ok" if failures == 0 else f"FAIL, {failures} of {e1.size} elements")
    if e1.size:
        # Among failures the largest excess over the bound; if none fails, the largest |a - e|.
        key = np.where(failed, excess, diff)
        key = np.where(np.isnan(key), np.inf, key)
        worst = int(np.argmax(np.where(failed, key, -np.inf))) if failures else int(np.argmax(key))
        line += (f"; worst{index_text(worst, e.shape)}: actual {float(a1[worst])!r}, expected {float(e1[worst])!r}, "
                 f"|a - e| {float(abs(a1[worst] - e1[worst]))!r}")
    line += f"; tolerance {tol_text} ({kind})"
    if excused.any():
        first = int(np.argmax(excused))
        line += (f"; {int(excused.sum())} spike(s) differ where the expected |u - theta| < {MARGIN_TOLERANCE}, "
                 f"allowed (first{index_text(first, e.shape)})")
    return failures == 0, line


def compare_case(case, actual):
    """Prints one line per file of `case`; returns True when all agree."""
    try:
        spec = json.loads((case / "case.json").read_text())
        theta = float(spec["neuron"]["theta"])
        files = expected_files(spec)
        expected = {f: read(case / "expected" / f) for f, _, _ in files}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BadInput(f"{case}: cannot read the case or its expected/ ({error}); run `slayer run {case}`")
    if not actual.is_dir():
        print(f"{case.name}: FAIL, no directory {actual} of the backend's outputs")
        return False
    agree = True
    for name, kind, potential in files:
        label = f"{case.name}/{name}"
        path = actual / name
        if not path.exists():
            print(f"{label}: FAIL, missing from the actual directory")
            agree = False
            continue
        try:
            a = read(path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"{label}: FAIL, unreadable ({error})")
            agree = False
            continue
        ok, line = compare(label, kind, expected[name], a, expected.get(potential), theta)
        print(line)
        agree = agree and ok
    return agree


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    fixtures, actual_root = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    if not fixtures.is_dir() or not actual_root.is_dir():
        print(f"expected two directories, found {fixtures} and {actual_root}", file=sys.stderr)
        return 2
    cases = sorted(p for p in fixtures.iterdir() if (p / "case.json").is_file())
    if argv[3:]:
        unknown = sorted(set(argv[3:]) - {c.name for c in cases})
        if unknown:
            print(f"no such case in {fixtures}: {', '.join(unknown)}", file=sys.stderr)
            return 2
        cases = [c for c in cases if c.name in argv[3:]]
    if not cases:
        print(f"expected case directories (with case.json) in {fixtures}, found none", file=sys.stderr)
        return 2
    try:
        failed = [c.name for c in cases if not compare_case(c, actual_root / c.name)]
    except BadInput as error:
        print(error, file=sys.stderr)
        return 2
    print(("agree" if not failed else "DISAGREE") + f": {len(cases) - len(failed)} of {len(cases)} cases ok"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    print(f"tolerances |a - e| <= atol + rtol*|e|: spikes exact except where expected |u - theta| < "
          f"{MARGIN_TOLERANCE}; potentials atol {POTENTIALS[0]}, rtol {POTENTIALS[1]}; loss atol {LOSS[0]}, "
          f"rtol {LOSS[1]}; gradients atol {GRADIENT_ATOL_SCALE}*max|expected|, rtol {GRADIENT_RTOL}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
