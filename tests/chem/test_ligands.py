

def test_default_library_from_the_cache_equals_the_toml(tmp_path, monkeypatch):
    import tomllib
    from pathlib import Path

    from clusterms.chem import ligands
    from clusterms.chem.ligand_file import library_from_data

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    toml = Path(ligands.__file__).resolve().parent.parent / "data" / "ligands.toml"
    direct = library_from_data(tomllib.loads(toml.read_text(encoding="utf-8")), "ligands.toml")
    ligands.default_library.cache_clear()
    try:
        first = ligands.default_library()  # parses the TOML, writes the cache
        assert (tmp_path / "clusterms" / "ligands.json").exists()
        ligands.default_library.cache_clear()
        second = ligands.default_library()  # from the cache
        for lib in (first, second):
            assert lib.ligands == direct.ligands and lib.adducts == direct.adducts
            assert lib.aliases == direct.aliases
        (tmp_path / "clusterms" / "ligands.json").write_text("{broken")  # a damaged cache is rebuilt
        ligands.default_library.cache_clear()
        assert ligands.default_library().ligands == direct.ligands
    finally:
        ligands.default_library.cache_clear()


_USER_FILE = """
[ligands.MPA]
formula = "C3H5O2S"
charge = -1
withdraws = 1
name = "3-mercaptopropionate"
aliases = ["MPA3"]

[ligands.BDT]
formula = "C6H4S2"
charge = -2
withdraws = 2
denticity = 2
name = "my own BDT entry"

[adducts.Li]
formula = "Li"
charge = 1
"""


def test_user_file_is_merged_over_the_default_library(tmp_path):
    from clusterms import Ion
    from clusterms.chem.ligands import default_library, load_library

    path = tmp_path / "mine.toml"
    path.write_text(_USER_FILE, encoding="utf-8")
    lib = load_library(path)
    base = default_library()
    assert set(lib.ligands) == set(base.ligands) | {"MPA"}
    assert lib.ligands["BDT"].name == "my own BDT entry"  # the user's entry wins
    assert lib.ligands["MPA"].denticity == 1  # the default when not given
    assert lib.ligand("MPA3") is lib.ligands["MPA"] and lib.ligand("SC2H4Ph") is lib.ligands["PET"]
    assert set(lib.adducts) == set(base.adducts) | {"Li"}
    ion = Ion.parse("[Au25(MPA3)18]-", library=lib)
    assert ion.formula == "C54H90Au25O36S18"
    # Over an explicit base: that base's entries (here an extra alias) are kept.
    over = load_library(path, base=base.with_aliases({"Q": "DMBT"}))
    assert over.ligand("Q") is over.ligands["DMBT"] and lib.ligand("Q") is None
    again = load_library(path)
    assert again == lib and hash(again) == hash(lib)
    assert lib != base and (lib == "not a library") is False


def test_unreadable_ligand_files_are_input_file_errors(tmp_path):
    import pytest

    from clusterms.chem.ligands import load_library
    from clusterms.errors import InputFileError

    with pytest.raises(InputFileError, match=r"is a directory, expected a ligand TOML file"):
        load_library(tmp_path)
    with pytest.raises(InputFileError, match=r"missing.toml: cannot read ligand file \(No such file or directory\)"):
        load_library(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[ligands.X\nformula=", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad.toml: not a valid TOML ligand file \("):
        load_library(bad)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[ligands.X]\nname = "Ä"\n'.encode("latin-1"))
    with pytest.raises(InputFileError, match=r"latin.toml: not a valid TOML ligand file"):
        load_library(latin)


def test_a_bad_entry_names_the_file(tmp_path):
    import re

    import pytest

    from clusterms.chem.ligands import load_library
    from clusterms.errors import InputFileError

    path = tmp_path / "typo.toml"
    path.write_text('[ligands.X]\nformula = "C6Qq"\ncharge = -1\nwithdraws = 1\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="^" + re.escape(str(path)) + r": ligand 'X'"):
        load_library(path)


def test_entry_fields_and_defaults(tmp_path):
    import re

    import pytest

    from clusterms.chem.ligands import default_library, load_library
    from clusterms.errors import InputFileError

    path = tmp_path / "mine.toml"
    path.write_text(_USER_FILE.replace('name = "3-mercaptopropionate"\n', ""), encoding="utf-8")
    lib = load_library(path)
    mpa = lib.ligands["MPA"]
    assert (mpa.charge, mpa.withdraws, mpa.denticity, mpa.name, mpa.aliases) == (-1, 1, 1, "MPA", ("MPA3",))
    assert (lib.ligands["BDT"].denticity, lib.ligands["BDT"].charge) == (2, -2)
    li = lib.adducts["Li"]
    assert (li.charge, li.name, dict(li.composition.items())) == (1, "Li", {"Li": 1})
    with pytest.raises(TypeError):
        lib.ligands["X"] = mpa  # read-only mappings
    with pytest.raises(TypeError):
        lib.aliases["X"] = "MPA"
    with pytest.raises(TypeError):
        lib.adducts["X"] = li
    only_adducts = tmp_path / "adducts.toml"
    only_adducts.write_text('[adducts.Li]\nformula = "Li"\ncharge = 1\n', encoding="utf-8")
    assert set(load_library(only_adducts).ligands) == set(default_library().ligands)
    only_ligands = tmp_path / "ligands.toml"
    only_ligands.write_text('[ligands.Y]\nformula = "C2H5S"\ncharge = -1\nwithdraws = 1\n', encoding="utf-8")
    assert set(load_library(only_ligands).adducts) == set(default_library().adducts)
    cases = [
        ('[ligands.X]\nformula = "CH3S"\nwithdraws = 1\n', r"ligand 'X': missing field 'charge'"),
        ('[ligands.X]\nformula = "CH3S"\ncharge = "-1"\nwithdraws = 1\n', r"ligand 'X': field 'charge' must be"),
        ('[ligands.X]\nformula = "CH3S"\ncharge = -1\nwithdraws = true\n', r"ligand 'X': field 'withdraws' must be"),
        ('[ligands.X]\nformula = "CH3S"\ncharge = -1\nwithdraws = 1\ndenticity = 1.5\n',
         r"ligand 'X': field 'denticity' must be"),
        ('[ligands.X]\nformula = 3\ncharge = -1\nwithdraws = 1\n', r"ligand 'X': field 'formula' must be"),
        ("[ligands]\nX = 3\n", r"ligand 'X': must be a table"),
        ('[adducts.Z]\nformula = "Li"\ncharge = "+"\n', r"adduct 'Z': field 'charge' must be"),
        ('[adducts.Z]\nformula = "Qq"\ncharge = 1\n', r"adduct 'Z': bad formula"),
    ]
    for text, message in cases:
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(InputFileError, match=re.escape(str(bad)) + ": " + message):
            load_library(bad)
