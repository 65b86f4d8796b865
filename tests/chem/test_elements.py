from IsoSpecPy import PeriodicTbl
from scipy.constants import physical_constants

from clusterms.chem import elements


def test_table_is_isospecpy_table():
    for sym in ("Ag", "Au", "Pd", "Pt", "Cu", "Cd", "Hg", "Se", "Te", "C", "H", "S", "Cs"):
        el = elements.element(sym)
        pairs = sorted(zip(PeriodicTbl.symbol_to_massNo[sym], PeriodicTbl.symbol_to_masses[sym],
                           PeriodicTbl.symbol_to_probs[sym], strict=True))
        assert el.mass_numbers == tuple(int(a) for a, _, _ in pairs)
        assert el.masses == tuple(m for _, m, _ in pairs)
        assert el.abundances == tuple(p for _, _, p in pairs)
        assert abs(el.average_mass - PeriodicTbl.symbol_to_avg_mass[sym]) < 1e-9
        assert el.monoisotopic_mass == PeriodicTbl.symbol_to_monoisotopic_mass[sym]


def test_electron_mass_is_codata():
    assert elements.electron_mass() == physical_constants["electron mass in u"][0]


def test_cache_is_rebuilt_when_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    elements._load.cache_clear()
    elements._elements.cache_clear()
    try:
        assert elements.element("Ag").masses[0] == PeriodicTbl.symbol_to_masses["Ag"][0]
        assert (tmp_path / "clusterms" / "elements.json").exists()
        # A corrupt cache is ignored and replaced.
        (tmp_path / "clusterms" / "elements.json").write_text("{not json")
        elements._load.cache_clear()
        elements._elements.cache_clear()
        assert elements.element("Pt").mass_numbers[0] == 190
    finally:
        elements._load.cache_clear()
        elements._elements.cache_clear()


def test_pseudo_elements_are_not_elements():
    assert not elements.is_element("E")
    assert not elements.is_element("Pn")
    assert elements.is_element("Ag")
