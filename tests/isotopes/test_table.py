"""Packed envelope tables: the same envelopes as one by one, from arrays of counts."""

import numpy as np
import pytest

from clusterms import Ion
from clusterms.errors import OptionError
from clusterms.isotopes.engine import clear_envelope_cache, composition_envelope
from clusterms.isotopes.table import envelope_table

IONS = ["[Ag29(BDT)12]3-", "[PtAg24(DMBT)18]2-", "[Ag(DMBT)2]-", "[Au144(PET)60]", "[Pt5Pd4Cu6]3+",
        "[AuAg52(BDT)12(DMBT)16]3-", "[Cd4Se3Te2]2-"]


def _arrays(texts):
    ions = [Ion.parse(t) for t in texts]
    syms = sorted({s for i in ions for s in i.composition})
    counts = np.array([[i.composition.get(s, 0) for s in syms] for i in ions])
    return ions, syms, counts, np.array([i.charge for i in ions])


@pytest.mark.parametrize("enrich", [None, {"Ag": {107: 0.99, 109: 0.01}}])
def test_rows_equal_single_envelopes(enrich):
    ions, syms, counts, charges = _arrays(IONS * 3)  # repeats land in different FFT groups' rows
    table = envelope_table(syms, counts, charges, abundances=enrich)
    assert len(table) == len(ions)
    assert table.offsets[0] == 0 and table.offsets[-1] == table.mz.size
    clear_envelope_cache()
    for i, ion in enumerate(ions):
        env = composition_envelope(ion.composition, ion.charge, abundances=enrich)
        row = table.row(i)
        assert row.charge == ion.charge
        np.testing.assert_allclose(row.mz, env.mz, rtol=1e-13)
        np.testing.assert_allclose(row.probability, env.probability, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(row.intensity, env.intensity, rtol=1e-9, atol=1e-13)
        assert table.base_mz[i] == pytest.approx(env.most_abundant_mz, rel=1e-13)
    assert np.array_equal(table.row_index, np.repeat(np.arange(len(ions)), np.diff(table.offsets)))


def test_empty_and_bad_inputs():
    assert len(envelope_table(["C"], np.zeros((0, 1), dtype=int), [])) == 0
    with pytest.raises(OptionError, match="element"):
        envelope_table(["Xx"], [[1]], [0])
    with pytest.raises(OptionError, match="shape"):
        envelope_table(["C", "H"], [[1]], [0])
    with pytest.raises(OptionError, match="integer"):
        envelope_table(["C"], [[1.5]], [0])
    with pytest.raises(OptionError, match="charges"):
        envelope_table(["C"], [[1], [2]], [0])
    with pytest.raises(OptionError, match="at least one atom"):
        envelope_table(["C"], [[0]], [0])
    with pytest.raises(OptionError, match="coverage"):
        envelope_table(["C"], [[1]], [0], coverage=1.0)


def test_arrays_are_read_only():
    table = envelope_table(["Ag"], [[5]], [-1])
    with pytest.raises(ValueError):
        table.mz[0] = 0.0
