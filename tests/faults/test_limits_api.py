"""The limits from Python: :func:`clusterms.limits.using`, the environment, the readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterms.errors import InputFileError, OptionError
from clusterms.limits import DEFAULT_MAX_POINTS, current, using
from clusterms.spectra.readers import read_spectra, read_spectrum


def _text(path: Path, rows: int) -> Path:
    path.write_text("m/z\tintensity\n" + "".join(f"{1600 + k / 100}\t{k + 1}\n" for k in range(rows)))
    return path


def test_defaults_then_environment_then_using(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLUSTERMS_MAX_POINTS", raising=False)
    assert current().max_points == DEFAULT_MAX_POINTS
    monkeypatch.setenv("CLUSTERMS_MAX_POINTS", "5e6")
    assert current().max_points == 5_000_000  # read at each call
    with using(max_points=7) as limits:
        assert limits.max_points == 7 and current().max_points == 7
    assert current().max_points == 5_000_000


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "9"])
def test_using_refuses_what_is_not_a_positive_integer(value: object) -> None:
    with pytest.raises(OptionError, match="max_points must be a positive integer"), using(max_points=value):  # type: ignore[arg-type]
        pass


def test_readers_keep_to_the_limit_in_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLUSTERMS_MAX_POINTS", raising=False)
    path = _text(tmp_path / "s.txt", 300)
    assert len(read_spectrum(path)) == 300
    with using(max_points=299), pytest.raises(InputFileError, match=r"s\.txt holds 300 points; raise the limit of 299"):
        read_spectrum(path)
    monkeypatch.setenv("CLUSTERMS_MAX_POINTS", "299")
    with pytest.raises(InputFileError, match="limit of 299 points"):
        read_spectra(path)
    with using(max_points=300):
        assert len(read_spectra(path)[0]) == 300
