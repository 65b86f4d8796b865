

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
