"""Ligand files against their schema: every fault one line naming file, entry and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterms import Ion
from clusterms.chem.ligand_file import MAX_FILE_BYTES, library_from_data, name_fault, read_ligand_file
from clusterms.chem.ligands import LigandLibrary, default_library, load_library
from clusterms.errors import InputFileError, OptionError

GOOD = '[ligands.{name}]\nformula = "C2H5S"\ncharge = -1\nwithdraws = 1\n'
_SCRIPT = Path(sys.executable).with_name("clusterms")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-c", "from clusterms.cli import entry; entry()"]


def _entry(**fields: object) -> str:
    base: dict[str, object] = {"formula": '"C2H5S"', "charge": "-1", "withdraws": "1"}
    base.update(fields)
    return "[ligands.X]\n" + "".join(f"{k} = {v}\n" for k, v in base.items() if v is not None)


BAD = [
    ('[ligands.""]\nformula = "C2H5S"\ncharge = -1\nwithdraws = 1\n', r"ligand '': name '' must not be empty"),
    (_entry(aliases='[""]'), r"ligand 'X': alias '' must not be empty"),
    (_entry(aliases='["ok", " "]'), r"ligand 'X': alias ' ' must not contain spaces"),
    ('[ligands."two words"]\nformula = "C2H5S"\ncharge = -1\nwithdraws = 1\n', r"name 'two words' must not contain"),
    ('[ligands."L(1)"]\nformula = "C2H5S"\ncharge = -1\nwithdraws = 1\n', r"name 'L\(1\)' must not contain \( \)"),
    ('[ligands."2L"]\nformula = "C2H5S"\ncharge = -1\nwithdraws = 1\n', r"name '2L' must not start with a digit"),
    ('[ligands."-L"]\nformula = "C2H5S"\ncharge = -1\nwithdraws = 1\n', r"name '-L' must not start with"),
    (GOOD.format(name="L" * 65), r"is 65 characters, over the limit of 64"),
    (_entry(aliases='["Y"]') + GOOD.format(name="Y"), r"ligand 'Y': name 'Y' is already the name of ligand 'X'"),
    (_entry(aliases='["Z"]') + GOOD.format(name="Y") + 'aliases = ["Z"]\n',
     r"ligand 'Y': alias 'Z' is already the name of ligand 'X'"),
    (_entry(aliases='["Z", "Z"]'), r"ligand 'X': alias 'Z' is already the name of ligand 'X'"),
    (_entry() + '[adducts.X]\nformula = "Li"\ncharge = 1\n', r"adduct 'X': name 'X' is already the name of ligand 'X'"),
    (_entry(charge='"x"'), r"ligand 'X': field 'charge' must be an integer, got text 'x'"),
    (_entry(charge="1.5"), r"ligand 'X': field 'charge' must be an integer, got a number 1.5"),
    (_entry(charge="true"), r"ligand 'X': field 'charge' must be an integer, got a boolean True"),
    (_entry(charge="9"), r"ligand 'X': field 'charge' must be from -8 to 8, got 9"),
    (_entry(withdraws="-9223372036854775807"), r"ligand 'X': field 'withdraws' must be from -8 to 8, got -9223"),
    (_entry(withdraws="[1]"), r"ligand 'X': field 'withdraws' must be an integer, got a list \[1\]"),
    (_entry(denticity="0"), r"ligand 'X': field 'denticity' must be from 1 to 6, got 0"),
    (_entry(denticity="7"), r"ligand 'X': field 'denticity' must be from 1 to 6, got 7"),
    (_entry(denticity='"two"'), r"ligand 'X': field 'denticity' must be an integer, got text 'two'"),
    (_entry(formula="3"), r"ligand 'X': field 'formula' must be text, got an integer 3"),
    (_entry(formula='""'), r"ligand 'X': bad formula: field 'formula' is empty"),
    (_entry(formula='"C2H5S!"'), r"ligand 'X': bad formula: unexpected character '!'"),
    (_entry(formula=None), r"ligand 'X': missing field 'formula'$"),
    (_entry(withdraws=None), r"ligand 'X': missing field 'withdraws'$"),
    (_entry(name="5"), r"ligand 'X': field 'name' must be text, got an integer 5"),
    (_entry(name='"' + "n" * 201 + '"'), r"ligand 'X': field 'name' is 201 characters"),
    (_entry(aliases='"ab"'), r"ligand 'X': field 'aliases' must be a list of names, got text 'ab'"),
    (_entry(aliases="[1]"), r"ligand 'X': field 'aliases' item 1 must be text, got an integer 1"),
    (_entry(colour='"red"'), r"ligand 'X': unknown field 'colour' \(known: formula, charge, withdraws, "),
    (_entry(aliases='[["a"]]'), r": 'ligands'.'X'.'aliases'\[0\]: nested 4 levels deep; the format needs at most 3"),
    ("ligands = 3\n", r"'ligands' must be a table, got an integer"),
    ("ligands = [1]\n", r"'ligands' must be a table, got a list"),
    ("[ligands]\nX = 3\n", r"ligand 'X': must be a table, got an integer"),
    ("[ligand.X]\nformula = 'C'\n", r"unknown table 'ligand' \(known: ligands, adducts, aliases\)"),
    ('[adducts.Li]\nformula = "Li"\n', r"adduct 'Li': missing field 'charge'"),
    ('[adducts.Li]\nformula = "Li"\ncharge = 100\n', r"adduct 'Li': field 'charge' must be from -8 to 8"),
    ('[adducts.Li]\nformula = "Li"\ncharge = 1\ncount = 2\n', r"adduct 'Li': unknown field 'count'"),
    ('[aliases]\nL = "XYZ"\n', r"alias 'L': unknown ligand 'XYZ'; known: BDT, "),
    ("[aliases]\nL = 3\n", r"alias 'L': must name a ligand as text, got an integer 3"),
    ('[aliases]\n"" = "BDT"\n', r"alias '': name '' must not be empty"),
    ('[adducts.PET]\nformula = "Li"\ncharge = 1\n', r"adduct 'PET': name is already a built-in ligand"),
    (GOOD.format(name="Na"), r"ligand 'Na': name is already a built-in adduct"),
    ("[ligands.X]\nformula = \"C\"\ncharge = 0\nwithdraws = 0\nname = {a = {b = 1}}\n",
     r": 'ligands'.'X'.'name'.'a': nested 4 levels deep"),
    ("x = " + "[" * 5000 + "]" * 5000 + "\n", r"nested too deeply; the format needs at most 3 levels"),
    ("[ligands\n", r"not a valid TOML ligand file \(.*line 1"),
    (b"[ligands.X]\nname = '\xe9'\n", r"not a valid TOML ligand file"),
]


@pytest.mark.parametrize("text, message", BAD, ids=[f"bad{k}" for k in range(len(BAD))])
def test_bad_ligand_file_is_one_line_naming_file_entry_and_field(tmp_path, text, message):
    f = tmp_path / "lig.toml"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputFileError) as info:
        load_library(f)
    msg = str(info.value)
    assert msg.startswith(f"{f}: "), msg
    assert "\n" not in msg
    assert len(msg) < 400
    import re

    assert re.search(message, msg), msg


def test_too_many_names_are_refused(tmp_path):
    f = tmp_path / "lig.toml"
    f.write_text("".join(GOOD.format(name=f"L{k}") for k in range(1001)))
    with pytest.raises(InputFileError, match=r"1,001 names, over the limit of 1,000"):
        load_library(f)


def test_oversized_file_is_refused_before_it_is_parsed(tmp_path):
    f = tmp_path / "lig.toml"
    f.write_bytes(b"#" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(InputFileError, match=r"over 1,048,576 bytes"):
        load_library(f)
    f.write_bytes(b"#" * (MAX_FILE_BYTES - 1) + b"\n")  # exactly at the limit: read
    assert load_library(f) == default_library()


def test_valid_file_reads_every_field_and_merges_over_the_builtin(tmp_path):
    f = tmp_path / "lig.toml"
    f.write_text(
        '[ligands.MBAd]\nformula = "C7H4O2S"\ncharge = -2\nwithdraws = 1\ndenticity = 1\n'
        'name = "4-mercaptobenzoate, carboxylate"\naliases = ["MBA-"]\n'
        '[ligands.TPP]\nformula = "C18H15P"\ncharge = 0\nwithdraws = 0\n'
        '[adducts.Li]\nformula = "Li"\ncharge = 1\n'
        '[aliases]\nM = "MBAd"\nP = "PET"\nQ = "SC2H4Ph"\n')
    lib = load_library(f)
    lig = lib.ligand("MBA-")
    assert lig is not None and lig is lib.ligand("M") is lib.ligand("MBAd")
    assert (lig.charge, lig.withdraws, lig.denticity, lig.own_charge) == (-2, 1, 1, -1)
    assert lig.composition.formula == "C7H4O2S"
    assert lig.name == "4-mercaptobenzoate, carboxylate"
    assert lib.ligand("P") is lib.ligand("Q") is lib.ligand("PET")
    assert lib.adducts["Li"].charge == 1
    # The file's ligand TPP wins over the built-in alias TPP (of PPh3), which stays reachable.
    assert lib.ligand("TPP") is lib.ligands["TPP"] and lib.ligand("TPP") is not lib.ligand("PPh3")
    with_li = Ion.parse("[Ag29(BDT)12+Li]2-", library=lib)
    assert with_li.adducts == ((lib.adducts["Li"], 1),) and with_li.core_charge == -3
    assert with_li == Ion.parse("[Ag29(BDT)12(Li)]2-", library=lib)


def test_builtin_library_passes_its_own_schema():
    import tomllib

    from clusterms.chem import ligands

    toml = Path(ligands.__file__).resolve().parent.parent / "data" / "ligands.toml"
    lib = library_from_data(tomllib.loads(toml.read_text(encoding="utf-8")), "ligands.toml")
    assert lib == default_library()
    names = [*lib.ligands, *lib.aliases, *lib.adducts]
    assert len(names) == len(set(names))
    assert all(name_fault(n) is None for n in names)


def test_read_ligand_file_does_not_merge(tmp_path):
    f = tmp_path / "lig.toml"
    f.write_text(GOOD.format(name="EtS"))
    assert set(read_ligand_file(f).ligands) == {"EtS"}


def test_library_built_in_code_refuses_empty_names():
    lib = default_library()
    with pytest.raises(OptionError, match="ligand name must be non-empty"):
        LigandLibrary({**lib.ligands, "": lib.ligands["BDT"]}, lib.adducts)
    with pytest.raises(OptionError, match="alias name must be non-empty"):
        LigandLibrary(lib.ligands, lib.adducts, {"": "BDT"})
    with pytest.raises(OptionError, match="adduct name must be non-empty"):
        LigandLibrary(lib.ligands, {"": lib.adducts["H"]})


def _run(args: list[str], cwd: Path, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("command", [["mass"], ["pattern"]])
def test_empty_ligand_name_is_refused_not_a_hang(tmp_path, command):
    # This used to loop forever in the species parser; a hang fails on the timeout.
    (tmp_path / "empty.toml").write_text('[ligands.""]\nformula = "C2H5S"\ncharge = -1\nwithdraws = 1\n')
    r = _run([*command, "[Ag25(DMBT)18]-", "--ligands", "empty.toml"], tmp_path)
    assert r.returncode == 2
    assert r.stderr == "error: empty.toml: ligand '': name '' must not be empty\n"
    assert r.stdout == ""


def test_parser_with_an_empty_name_slipped_in_still_terminates(tmp_path):
    # Defence in depth: even a library whose names include "" (built around the checks)
    # cannot make the parser loop; it never matches an empty name.
    code = (
        "from clusterms.chem.ligands import default_library\n"
        "from clusterms.chem.notation import parse_species\n"
        "lib = default_library()\n"
        "object.__setattr__(lib, '_names', ('', *lib._names))\n"
        "p = parse_species('[Ag25(DMBT)18]-', lib)\n"
        "print(sum(p.ligands.values()), p.charge)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=10, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["18", "-1"]


def test_huge_withdraws_is_refused_at_the_command_line(tmp_path):
    (tmp_path / "w.toml").write_text(_entry(withdraws=str(-2**63 + 1)))
    r = _run(["mass", "[Ag25(X)18]-", "--ligands", "w.toml"], tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("error: w.toml: ligand 'X': field 'withdraws' must be from -8 to 8")
    assert r.stderr.count("\n") == 1


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12)
_FIELDS = st.sampled_from(["formula", "charge", "withdraws", "denticity", "name", "aliases", "other"])
_ENTRY = st.dictionaries(_FIELDS, _VALUES | st.sampled_from(['C2H5S', -1, 1, 2, ["a"], ""]), max_size=7)
_DOC = st.dictionaries(
    st.sampled_from(["ligands", "adducts", "aliases", "x"]),
    st.dictionaries(st.text(max_size=4) | st.sampled_from(["BDT", "L", ""]), _ENTRY | _VALUES, max_size=3)
    | _VALUES,
    max_size=3)


@settings(max_examples=300, deadline=None)
@given(_DOC)
def test_any_parsed_toml_gives_a_library_or_an_input_error(data):
    try:
        lib = library_from_data(data, "f.toml", base=default_library())
    except InputFileError as exc:
        assert str(exc).startswith("f.toml: ") and "\n" not in str(exc)
        return
    merged = default_library().merged(lib)
    for lig in lib.ligands.values():
        assert -8 <= lig.charge <= 8 and -8 <= lig.withdraws <= 8 and 1 <= lig.denticity <= 6
        assert Ion.parse(f"[Ag2({lig.key})]", library=merged).ligands == ((merged.ligand(lig.key), 1),)
