import numpy as np
import pytest

from clusterms import Ion
from clusterms.errors import OptionError
from clusterms.isotopes.envelope import Envelope
from clusterms.isotopes.profile import log_grid, peak_shapes, profile


def _single(mz=2000.0):
    return Envelope(mz=[mz], intensity=[1.0], probability=[1.0], charge=-1)


@pytest.mark.parametrize("shape", ["gaussian", "lorentzian", "pseudo-voigt"])
@pytest.mark.parametrize("resolution", [8000, 20000, 40000])
def test_fwhm_is_mz_over_r(shape, resolution):
    prof = profile(_single(), resolution=resolution, shape=shape, points_per_fwhm=200)
    y = prof.intensity
    half = y.max() / 2
    above = prof.mz[y >= half]
    fwhm = above.max() - above.min()
    assert fwhm == pytest.approx(2000.0 / resolution, rel=0.02)
    assert prof.mz[np.argmax(y)] == pytest.approx(2000.0, abs=2000.0 / resolution / 100)


def test_area_equals_probability():
    env = Ion.parse("[Ag29(BDT)12]3-").envelope()
    prof = profile(env, resolution=20000, points_per_fwhm=20)
    area = np.trapezoid(prof.intensity, prof.mz)
    assert area == pytest.approx(env.probability.sum(), rel=1e-3)


def test_resolved_peaks_at_high_resolution_merge_at_low():
    env = Ion.parse("[Ag29(BDT)12]3-").envelope()
    sharp = profile(env, resolution=40000).normalized()
    blunt = profile(env, resolution=1000).normalized()
    def maxima(p):
        y = p.intensity
        return int(np.sum((y[1:-1] > y[:-2]) & (y[1:-1] > y[2:]) & (y[1:-1] > 0.05)))
    assert maxima(sharp) > 20
    assert maxima(blunt) <= 2


def test_grid_spacing_and_errors():
    g = log_grid(1000, 2000, resolution=10000, points_per_fwhm=10)
    rel = np.diff(g) / g[:-1]
    assert np.allclose(rel, 1e-5)
    with pytest.raises(OptionError, match="resolution"):
        peak_shapes(g, [1500.0], [1.0], resolution=-1)
    with pytest.raises(OptionError, match="shape"):
        peak_shapes(g, [1500.0], [1.0], resolution=1000, shape="square")  # type: ignore[arg-type]
