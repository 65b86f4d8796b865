"""Write a spectrum as mzML (with psims) or CSV; both appear atomically.

Both writers go through :func:`clusterms.io_atomic.atomic_write`: the output is written
to a temporary file beside the target and renamed onto it only when complete, so a failure
leaves no partial file and an existing file intact.
"""

from __future__ import annotations

import functools
import gzip
import os
from typing import Any

import numpy as np

from clusterms.io_atomic import atomic_write
from clusterms.spectra.spectrum import Spectrum

__all__ = ["write_csv", "write_mzml"]

PathLike = str | os.PathLike[str]


def write_mzml(spectrum: Spectrum, path: PathLike, /, *, overwrite: bool = True) -> None:
    """Write one spectrum as an indexed mzML file.

    Arrays are 64-bit floats, zlib-compressed, so the file reads back bit-identical. The
    spectrum carries the profile or centroid term of ``spectrum.mode`` (none when unknown),
    the polarity term (none when unknown), its MS level (``metadata["ms_level"]``, else 1)
    and its scan start time when ``metadata["time_min"]`` is one number.

    Parameters
    ----------
    spectrum
        The spectrum to write.
    path
        The output file.
    overwrite
        Replace an existing file; when ``False`` an existing file raises
        :class:`~clusterms.errors.OutputError`.

    Raises
    ------
    OutputError
        The file cannot be written (missing directory, exists with ``overwrite=False`` ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "s.mzML"
    >>> write_mzml(Spectrum(mz=[1000.5, 1001.5], intensity=[10.0, 5.0]), out)
    >>> out.read_bytes().startswith(b"<?xml")
    True
    """
    _check_spectrum(spectrum)
    # psims is a heavy import, needed only here.
    from psims.controlled_vocabulary.controlled_vocabulary import OBOCache
    from psims.mzml import MzMLWriter

    from clusterms import __version__

    level = spectrum.metadata.get("ms_level")
    ms_level = level if isinstance(level, int) and not isinstance(level, bool) and level > 0 else 1
    time = spectrum.metadata.get("time_min")
    scan_start = float(time) if isinstance(time, int | float) and np.isfinite(time) else None
    params: list[Any] = [{"ms level": ms_level}, "MS1 spectrum" if ms_level == 1 else "MSn spectrum"]
    vocabularies = OBOCache(enabled=False, use_remote=False)
    for uri, vendored in _VOCABULARIES.items():
        vocabularies.set_resolver(uri, functools.partial(_vocabulary, vendored))
    with atomic_write(path, binary=True, overwrite=overwrite) as fh:
        writer = MzMLWriter(fh, close=False, vocabulary_resolver=vocabularies)
        with writer:
            writer.controlled_vocabularies()
            writer.file_description([params[1]])
            writer.software_list([
                writer.Software(id="clusterms", version=__version__,
                                params=["custom unreleased software tool"]),
            ])
            writer.instrument_configuration_list([
                writer.InstrumentConfiguration(id="IC1", component_list=[],
                                               params=["instrument model"]),
            ])
            writer.data_processing_list([
                writer.DataProcessing(
                    [writer.ProcessingMethod(order=0, software_reference="clusterms",
                                             params=["Conversion to mzML"])],
                    id="clusterms_processing",
                ),
            ])
            with writer.run(id="clusterms_run", instrument_configuration="IC1"), \
                    writer.spectrum_list(count=1):
                element = writer.spectrum(
                    np.asarray(spectrum.mz, dtype=np.float64),
                    np.asarray(spectrum.intensity, dtype=np.float64),
                    id="scan=1",
                    polarity=None if spectrum.polarity is None else f"{spectrum.polarity} scan",
                    centroided=spectrum.mode == "centroid",
                    scan_start_time=scan_start,
                    params=params,
                    encoding={"m/z array": np.float64, "intensity array": np.float64},
                    compression="zlib",
                )
                if spectrum.mode is None:  # psims always adds one; unknown means neither
                    element.params = [
                        p for p in element.params if p not in ("profile spectrum", "centroid spectrum")
                    ]
                element.write(writer.writer)


def write_csv(spectrum: Spectrum, path: PathLike, /, *, overwrite: bool = True) -> None:
    """Write a spectrum as CSV: header ``mz,intensity``, then one row per point.

    Numbers are written with :func:`repr`, the shortest text that reads back to the same
    float64, so :func:`~clusterms.spectra.readers.read_spectrum` returns identical arrays.

    Parameters
    ----------
    spectrum
        The spectrum to write.
    path
        The output file.
    overwrite
        Replace an existing file; when ``False`` an existing file raises
        :class:`~clusterms.errors.OutputError`.

    Raises
    ------
    OutputError
        The file cannot be written.
    """
    _check_spectrum(spectrum)
    rows = [f"{m!r},{i!r}\n" for m, i in zip(spectrum.mz.tolist(), spectrum.intensity.tolist(),
                                              strict=True)]
    with atomic_write(path, overwrite=overwrite) as fh:
        fh.write("mz,intensity\n")
        fh.writelines(rows)


# The vocabularies the mzML writer needs, from the copies psims ships: psims would otherwise
# try to download them, then fall back to these copies leaving their files open.
_VOCABULARIES = {
    "http://purl.obolibrary.org/obo/ms/psi-ms.obo": "psi-ms.obo.gz",
    "http://purl.obolibrary.org/obo/uo.obo": "unit.obo.gz",
}


def _vocabulary(filename: str, _resolver: Any) -> Any:
    return _load_vocabulary(filename)


@functools.cache  # parsing one takes about a second; they never change in a process
def _load_vocabulary(filename: str) -> Any:
    from importlib.resources import files

    from psims.controlled_vocabulary.controlled_vocabulary import ControlledVocabulary

    resource = files("psims.controlled_vocabulary.vendor") / filename
    with resource.open("rb") as raw, gzip.GzipFile(fileobj=raw) as text:
        return ControlledVocabulary.from_obo(text)


def _check_spectrum(spectrum: Any) -> None:
    if not isinstance(spectrum, Spectrum):
        raise TypeError(f"spectrum must be a Spectrum, got {type(spectrum).__name__}")
