"""CID ramps on spectra rendered independently from known channel curves (ramp_synthetic)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import ramp_synthetic as R

from clusterms import Ion
from clusterms.cli import main
from clusterms.errors import InputFileError, OptionError
from clusterms.tandem.ramp import RampScan, RampSettings, analyse_ramp, centre_of_mass
from clusterms.tandem.ramp_input import energy_from_name, load_ramp

PREC = Ion.parse(R.PRECURSOR)


@pytest.fixture(scope="module")
def ramp():
    return R.render_ramp()


@pytest.fixture(scope="module")
def result(ramp):
    return analyse_ramp([RampScan(e, s) for e, s in ramp.items()], PREC)


def test_every_product_found_and_nothing_else(result) -> None:
    names = {s.species for s in result.species}
    truth = {Ion.parse(name).notation for name, *_ in R.CHANNELS} | {PREC.notation}
    assert names == truth


def test_shares_follow_the_true_curves(result) -> None:
    surv, frag = R.true_shares(R.ENERGIES)
    np.testing.assert_allclose(result.shares(PREC.notation), surv, atol=0.03)
    for name, *_ in R.CHANNELS:
        np.testing.assert_allclose(result.shares(Ion.parse(name).notation), frag[name], atol=0.05)
    total = np.sum([p.shares for p in result.points], axis=1)
    np.testing.assert_allclose(total, 1.0, atol=1e-9)


def test_ce50_and_appearance_energies(result) -> None:
    prec = result.species[0]
    assert prec.kind == "precursor"
    assert abs(prec.ce50 - R.ce50_truth()) <= 1.0
    assert 0 < prec.ce50_err < 1.0
    for s in result.species[1:]:
        assert abs(s.appearance - R.appearance_truth(_name(s.species))) <= 2.0, s.species


def _name(notation: str) -> str:
    return next(n for n, *_ in R.CHANNELS if Ion.parse(n).notation == notation)


def test_the_papers_order_of_appearance(result) -> None:
    app = {s.species: s.appearance for s in result.species[1:]}
    order = ["[Ag(DMBT)2]-", "[Ag31(BDT)12(DMBT)]2-", "[Ag30(BDT)12H]2-", "[Ag29(BDT)12H]2-", "[Ag29(BDT)12]3-"]
    values = [app[Ion.parse(n).notation] for n in order]
    assert values == sorted(values)
    assert app[Ion.parse("[AuAg51(BDT)12(DMBT)14]2-").notation] < app[Ion.parse("[Ag31(BDT)12(DMBT)]2-").notation]


def test_channels_balance_mass_and_charge(result) -> None:
    by = {c.product: c for c in result.channels}
    c = by[Ion.parse("[Ag(DMBT)2]-").notation]
    assert c.parent == PREC.notation
    assert c.partner == Ion.parse("[AuAg51(BDT)12(DMBT)14]2-").notation and c.partner_observed
    for ch in result.channels:
        parent = next(s.ion for s in result.species if s.species == ch.parent)
        product = next(s.ion for s in result.species if s.species == ch.product)
        assert abs(product.charge) <= abs(parent.charge)
        assert all(parent.composition.get(k, 0) >= v for k, v in product.composition.items()
                   if k not in {"H", "C"})
    assert set(result.graph.nodes) == {s.species for s in result.species}
    # Sequential losses: the smallest earlier species that contains a product is its parent.
    assert by[Ion.parse("[Ag29(BDT)12H]2-").notation].parent == Ion.parse("[Ag30(BDT)12H]2-").notation
    assert by[Ion.parse("[Ag29(BDT)12H]2-").notation].partner == "[Ag]"
    app = {s.species: s.appearance for s in result.species}
    for ch in result.channels:
        if ch.parent != PREC.notation:
            assert app[ch.parent] < app[ch.product]


def test_a_species_absent_from_every_scan_is_not_reported(ramp) -> None:
    # The ramp without the last product: nothing is invented to fill its place.
    scans = [RampScan(e, s) for e, s in ramp.items()][:6]  # energies 0-25: [Ag29(BDT)12]3- not yet formed
    res = analyse_ramp(scans, PREC)
    assert Ion.parse("[Ag29(BDT)12]3-").notation not in {s.species for s in res.species}


def test_centre_of_mass_convention() -> None:
    m = 8000.0
    assert centre_of_mass(30.0, ion_mass=m, gas="Ar", charge=-3, unit="V") == pytest.approx(
        90.0 * 39.948 / (39.948 + m))
    assert centre_of_mass(30.0, ion_mass=m, gas="N2", charge=-3, unit="eV") == pytest.approx(
        30.0 * 28.0134 / (28.0134 + m))
    with pytest.raises(OptionError, match="gas 'Kr'"):
        centre_of_mass(1.0, ion_mass=m, gas="Kr", charge=-1)


@pytest.mark.parametrize(("name", "energy"), [("trap_ce_25.txt", 25.0), ("CE25.mzML", 25.0), ("ramp_12.5eV.csv", 12.5),
                                              ("30V.txt", 30.0), ("mix.txt", None), ("CID-5.txt", 5.0)])
def test_energy_from_name(name: str, energy: float | None) -> None:
    assert energy_from_name(name) == energy


def _write_mzml(path: Path, ramp: dict, precursor_mz: float, *, other: float | None = None) -> None:
    """An MS/MS ramp written by hand as PSI mzML 1.1 (not clusterms' writer): one scan per energy
    and precursor, with the selected ion and the CID collision energy."""
    import base64

    def arr(values: np.ndarray, acc: str, name: str) -> str:
        data = base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode()
        return (f'<binaryDataArray encodedLength="{len(data)}"><cvParam cvRef="MS" accession="MS:1000523" '
                f'name="64-bit float"/><cvParam cvRef="MS" accession="MS:1000576" name="no compression"/>'
                f'<cvParam cvRef="MS" accession="{acc}" name="{name}"/><binary>{data}</binary></binaryDataArray>')

    spectra = []
    k = 0
    for e, s in ramp.items():
        for pmz in ([precursor_mz, other] if other else [precursor_mz]):
            keep = s.intensity > 1e-3 * s.intensity.max()
            mz, y = s.mz[keep], s.intensity[keep]
            spectra.append(
                f'<spectrum index="{k}" id="scan={k + 1}" defaultArrayLength="{mz.size}">'
                '<cvParam cvRef="MS" accession="MS:1000580" name="MSn spectrum"/>'
                '<cvParam cvRef="MS" accession="MS:1000511" name="ms level" value="2"/>'
                '<cvParam cvRef="MS" accession="MS:1000129" name="negative scan"/>'
                '<cvParam cvRef="MS" accession="MS:1000128" name="profile spectrum"/>'
                '<precursorList count="1"><precursor><selectedIonList count="1"><selectedIon>'
                f'<cvParam cvRef="MS" accession="MS:1000744" name="selected ion m/z" value="{pmz}"/>'
                '</selectedIon></selectedIonList><activation>'
                '<cvParam cvRef="MS" accession="MS:1000133" name="collision-induced dissociation"/>'
                f'<cvParam cvRef="MS" accession="MS:1000045" name="collision energy" value="{e}"/>'
                '</activation></precursor></precursorList>'
                f'<binaryDataArrayList count="2">{arr(mz, "MS:1000514", "m/z array")}'
                f'{arr(y, "MS:1000515", "intensity array")}</binaryDataArrayList></spectrum>')
            k += 1
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1.0">'
        '<cvList count="1"><cv id="MS" fullName="PSI-MS" URI="https://purl.obolibrary.org/obo/ms.obo"/></cvList>'
        '<fileDescription><fileContent><cvParam cvRef="MS" accession="MS:1000580" name="MSn spectrum"/>'
        '</fileContent></fileDescription><softwareList count="1"><software id="test" version="1"/></softwareList>'
        '<instrumentConfigurationList count="1"><instrumentConfiguration id="IC"/></instrumentConfigurationList>'
        '<dataProcessingList count="1"><dataProcessing id="dp"/></dataProcessingList>'
        f'<run id="ramp" defaultInstrumentConfigurationRef="IC"><spectrumList count="{k}" '
        f'defaultDataProcessingRef="dp">{"".join(spectra)}</spectrumList></run></mzML>\n')


def test_mzml_ramp_selects_scans_of_the_precursor(ramp, tmp_path: Path) -> None:
    sub = {e: s for e, s in ramp.items() if e in (0.0, 20.0, 40.0)}
    f = tmp_path / "ramp.mzML"
    _write_mzml(f, sub, float(PREC.most_abundant_mz), other=1500.0)
    scans = load_ramp(f, precursor=PREC)
    assert [s.energy for s in scans] == [0.0, 20.0, 40.0]
    np.testing.assert_allclose(scans[1].spectrum.tic, sub[20.0].intensity[sub[20.0].intensity > 1e-3 * sub[20.0]
                                                                        .intensity.max()].sum(), rtol=1e-6)
    with pytest.raises(InputFileError, match=r"precursors are at m/z"):
        load_ramp(f, precursor=Ion.parse("[Ag25(DMBT)18]-"))


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_cli_contract(ramp, tmp_path: Path, capsys) -> None:
    from clusterms.spectra.writers import write_text

    folder = tmp_path / "ramp"
    folder.mkdir()
    for e, s in ramp.items():
        write_text(s, folder / f"trap_ce_{e:g}.txt")
    out = tmp_path / "res"
    assert main(["ramp", str(folder), "--precursor", R.PRECURSOR, "--gas", "Ar", "--out", str(out),
                 "--resolution", "20000"]) == 0
    rows = _csv(out / "breakdown.csv")
    assert list(rows[0]) == ["energy", "species", "formula", "charge", "share"]
    assert len(rows) == 13 * 7
    ce = _csv(out / "ce50.csv")
    assert list(ce[0]) == ["species", "formula", "charge", "ce50", "ce50_err", "kind"]
    assert {r["kind"] for r in ce} == {"survival", "appearance"}
    ch = _csv(out / "channels.csv")
    assert list(ch[0]) == ["parent", "product", "partner", "partner_observed", "first_energy"]
    com = {r["species"]: float(r["ce50"]) for r in _csv(out / "ce50_com.csv")}
    lab = {r["species"]: float(r["ce50"]) for r in ce}
    factor = 3 * 39.948 / (39.948 + float(PREC.average_mz) * 3)
    assert com[PREC.notation] == pytest.approx(lab[PREC.notation] * factor, rel=2e-2)  # 3 decimals
    assert (out / "breakdown.png").read_bytes()[:4] == b"\x89PNG"
    html = (out / "report.html").read_text()
    assert PREC.notation in html and "<svg" in html
    params = json.loads((out / "params.json").read_text())
    assert "E_lab = |z| x V" in params["centre_of_mass_convention"]
    # ramp-compare over two ramps
    out2 = tmp_path / "cmp"
    assert main(["ramp-compare", str(out), str(out), "--out", str(out2)]) == 0
    cmp_rows = _csv(out2 / "compare.csv")
    assert list(cmp_rows[0]) == ["ramp", "species", "formula", "charge", "ce50", "ce50_err", "kind"]
    assert len({r["ramp"] for r in cmp_rows}) == 2
    capsys.readouterr()


def test_cli_refusals(tmp_path: Path, capsys) -> None:
    (tmp_path / "ramp").mkdir()
    (tmp_path / "ramp" / "mix.txt").write_text("100 1\n101 2\n")
    assert main(["ramp", str(tmp_path / "ramp"), "--precursor", R.PRECURSOR, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "no collision energy in the name" in err[-1]
    assert main(["ramp", str(tmp_path / "ramp"), "--precursor", "[Ag25(DMBT)18]", "--out", str(tmp_path / "o")]) == 2
    assert "a precursor is an ion" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    with pytest.raises(OptionError):
        RampSettings(min_share=2.0)


def test_manifest_ramp(ramp, tmp_path: Path) -> None:
    from clusterms.spectra.writers import write_text

    rows = []
    for k, (e, s) in enumerate(list(ramp.items())[:3]):
        write_text(s, tmp_path / f"s{k}.txt")
        rows.append(f"s{k}.txt,{e:g} V")
    (tmp_path / "m.csv").write_text("file,energy\n" + "\n".join(rows) + "\n")
    assert [s.energy for s in load_ramp(tmp_path / "m.csv", precursor=PREC)] == [0.0, 5.0, 10.0]
    (tmp_path / "bad.csv").write_text("file,energy\ns0.txt,5 kJ\n")
    with pytest.raises(InputFileError, match="line 2: energy '5 kJ'"):
        load_ramp(tmp_path / "bad.csv", precursor=PREC)


def test_pchip_matches_scipy():
    from scipy.interpolate import PchipInterpolator

    from clusterms.tandem.ramp import pchip_segment

    rng = np.random.default_rng(3)
    for n in (2, 3, 5, 13):
        x = np.sort(rng.uniform(0, 60, n)) + np.arange(n)
        for y in (np.cumsum(rng.uniform(0, 1, n)), rng.uniform(0, 1, n), 1 / (1 + np.exp(-(x - 30) / 4))):
            ref = PchipInterpolator(x, y)
            for k in range(n - 1):
                at = np.linspace(x[k], x[k + 1], 17)
                assert pchip_segment(x, y, k, at) == pytest.approx(ref(at), rel=1e-9, abs=1e-12)
