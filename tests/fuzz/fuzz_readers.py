"""Fuzz the spectrum readers and the species parser with atheris.

Run (``make fuzz`` does this after installing the ``fuzz`` extra)::

    .venv/bin/python tests/fuzz/fuzz_readers.py -atheris_runs=20000 tests/fuzz/corpus

Each input is one byte that chooses the target, then the payload:

- ``0..6``: the payload is written to a temporary file with the suffix
  ``SUFFIXES[byte % 8]`` (``.mzML.gz`` gzip-compresses it first) and read with
  :func:`clusterms.spectra.readers.read_spectrum`;
- ``7``: the payload, decoded as UTF-8 (errors replaced), is parsed with
  :meth:`clusterms.chem.ion.Ion.parse`.

The contract checked: a reader returns a valid :class:`Spectrum` or raises
:class:`InputFileError`, warns only with :class:`ClustermsWarning` and never changes the file;
the parser returns an ion that round-trips through its notation or raises
:class:`NotationError` pointing inside the text. Anything else is a finding: atheris stops
and writes the input to ``crash-<sha1>``; keep it in ``tests/fuzz/regressions/`` (replayed by
``tests/fuzz/test_regressions.py``).

This module imports neither atheris nor clusterms at import time, so the tests can import it
and atheris can instrument clusterms when it runs as a script.
"""

from __future__ import annotations

import atexit
import gzip
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

__all__ = ["SPECIES", "SUFFIXES", "check_file", "check_input", "check_read", "check_species"]

SUFFIXES = (".txt", ".csv", ".mzML", ".mzXML", ".gz", ".mzML.gz", ".dat")
SPECIES = 7

_workdir: Path | None = None


def _directory() -> Path:
    global _workdir
    if _workdir is None:
        _workdir = Path(tempfile.mkdtemp(prefix="clusterms-fuzz-"))
        atexit.register(shutil.rmtree, _workdir, ignore_errors=True)
    return _workdir


def check_input(data: bytes) -> None:
    """Run one fuzz input; raises only on a broken contract."""
    if not data:
        return
    selector, payload = data[0] % 8, data[1:]
    if selector == SPECIES:
        check_species(payload.decode("utf-8", errors="replace"))
    else:
        suffix = SUFFIXES[selector]
        if suffix == ".mzML.gz":
            payload = gzip.compress(payload, mtime=0)
        check_file(payload, suffix)


def check_file(content: bytes, suffix: str) -> Any:
    """Write ``content`` to a file with ``suffix`` and read it; returns the Spectrum or None."""
    path = _directory() / f"input{suffix}"
    path.write_bytes(content)
    return check_read(path)


def check_read(path: Path) -> Any:
    """Read ``path`` under the reader's contract; returns the Spectrum, or None for an
    InputFileError (raises AssertionError on anything else)."""
    import numpy as np

    from clusterms.errors import ClustermsWarning, InputFileError
    from clusterms.spectra.readers import read_spectrum
    from clusterms.spectra.spectrum import Spectrum

    content = path.read_bytes()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                spectrum = read_spectrum(path)
            except InputFileError as exc:
                message = str(exc)
                if not message or "\n" in message.strip():
                    raise AssertionError(f"InputFileError message must be one line, got {message!r}") from exc
                return None
        others = [w for w in caught if not issubclass(w.category, ClustermsWarning)]
        if others:
            w = others[0]
            raise AssertionError(f"unexpected {w.category.__name__} from {w.filename}:{w.lineno}: {w.message}")
        if not isinstance(spectrum, Spectrum):
            raise AssertionError(f"read_spectrum returned {type(spectrum).__name__}, not a Spectrum")
        mz, intensity = spectrum.mz, spectrum.intensity
        if mz.dtype != np.float64 or intensity.dtype != np.float64 or mz.shape != intensity.shape:
            raise AssertionError(f"bad arrays: {mz.dtype}{mz.shape}, {intensity.dtype}{intensity.shape}")
        if mz.size == 0 and spectrum.metadata.get("format") == "text":
            # (an mzML/mzXML scan may be empty, and says so: it round-trips as empty)
            raise AssertionError("an empty text spectrum was returned instead of an InputFileError")
        if not (np.all(np.isfinite(mz)) and np.all(np.isfinite(intensity))):
            raise AssertionError("the spectrum holds NaN or infinite values")
        if np.any(mz <= 0) or np.any(intensity < 0) or np.any(np.diff(mz) <= 0):
            raise AssertionError("m/z must be > 0 and strictly increasing, intensities >= 0")
        return spectrum
    finally:
        if path.read_bytes() != content:
            raise AssertionError("the input file was modified")


def check_species(text: str) -> Any:
    """Parse ``text``; returns the Ion or None (a NotationError)."""
    from clusterms.chem.ion import Ion
    from clusterms.chem.notation import MAX_CHARGE
    from clusterms.errors import NotationError

    try:
        ion = Ion.parse(text)
    except NotationError as exc:
        if exc.position is not None:
            if not 0 <= exc.position <= len(text):
                raise AssertionError(f"error position {exc.position} outside the text {text!r}") from exc
            if "^" not in str(exc):
                raise AssertionError(f"no caret in {str(exc)!r}") from exc
        if "\n" in exc.one_line():
            raise AssertionError(f"one_line() has a line break: {exc.one_line()!r}") from exc
        return None
    if abs(ion.charge) > MAX_CHARGE:
        raise AssertionError(f"{text!r} parsed with charge {ion.charge}")
    again = Ion.parse(ion.notation)
    if again != ion:
        raise AssertionError(f"{text!r} -> {ion.notation!r} -> {again.notation!r}: no round trip")
    return ion


def _protect_seeds(argv: list[str]) -> list[str]:
    """libFuzzer writes every new interesting input into the first corpus folder: when that is
    the committed seed corpus, put a scratch folder first so the seeds stay as committed."""
    seeds = Path(__file__).with_name("corpus").resolve()
    folders = [k for k, a in enumerate(argv[1:], start=1) if not a.startswith("-")]
    if folders and Path(argv[folders[0]]).resolve() == seeds:
        scratch = Path(tempfile.mkdtemp(prefix="clusterms-fuzz-corpus-"))
        print(f"fuzz_readers: new corpus inputs go to {scratch} (the seeds are left as they are)",
              file=sys.stderr)
        return [*argv[:folders[0]], str(scratch), *argv[folders[0]:]]
    return argv


def _fuzz(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["clusterms"]):
        import clusterms.chem.ion
        import clusterms.spectra.read_mzml
        import clusterms.spectra.read_text
        import clusterms.spectra.readers
        import clusterms.spectra.scan_combine
        import clusterms.spectra.scan_select  # noqa: F401
    # pyteomics and lxml are imported on the first XML input; import them now so that the
    # first run is not slow (atheris counts it against -timeout).
    import pyteomics.mzml
    import pyteomics.mzxml  # noqa: F401

    atheris.Setup(_protect_seeds(argv), check_input)
    atheris.Fuzz()


if __name__ == "__main__":
    _fuzz(sys.argv)
