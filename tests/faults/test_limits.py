"""Resource limits through the console script, under an address-space limit (issue 9).

Each input would take gigabytes without its limit: the run happens under
``RLIMIT_AS`` = 2 GiB, so a limit that does not hold shows as an ``internal error:
MemoryError`` (exit 1) or a time-out, never as a pass. Every case asserts exit 2, one
``error:`` line naming the limit, no traceback, and a quick end. The bombs are built in a
fraction of a second: gzip members and zlib blocks of zeros repeat byte for byte, so a
4 GiB bomb is one compressed block written many times (see docs/limits.md).
"""

from __future__ import annotations

import gzip
import os
import re
import resource
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pytest

CLI = Path(sys.executable).with_name("clusterms")
ADDRESS_SPACE = 2 << 30
SECONDS = 3.0
BLOCK = 1 << 24  # 16 MiB


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERMS_MAX")}
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"  # thread stacks count against RLIMIT_AS
    return {**env, **(extra or {})}


def _run(args: list[str], *, env: Mapping[str, str] | None = None, stdin: object = None,
         timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=timeout,
                          env=_env(env), preexec_fn=_limit_memory, stdin=stdin)
    return proc, time.perf_counter() - start


def _refused(proc: subprocess.CompletedProcess[str], seconds: float, pattern: str) -> str:
    err = proc.stderr
    assert "Traceback" not in err and "internal error" not in err, err
    assert proc.returncode == 2, err
    assert proc.stdout == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(pattern, lines[0]), lines[0]
    assert seconds < SECONDS, f"took {seconds:.1f} s"
    return lines[0]


# ------------------------------------------------------------------------------ inputs


def _gzip_members(block: bytes, count: int, *, prefix: bytes = b"") -> bytes:
    """A multi-member gzip file: ``prefix`` then ``block`` ``count`` times, decompressed."""
    member = gzip.compress(block, compresslevel=9, mtime=0)
    head = gzip.compress(prefix, mtime=0) if prefix else b""
    return head + member * count


def _zlib_zeros(count: int, block: int = BLOCK) -> bytes:
    """A valid zlib stream of ``count * block`` zero bytes (4 GiB in ~4 MB, in 0.3 s).

    After a full flush the compressor's output for another block of zeros repeats exactly;
    the stream ends with an empty final block and the Adler-32 of n zeros, (n mod 65521) << 16 | 1.
    """
    c = zlib.compressobj(9)
    zeros = bytes(block)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    n = count * block
    return first + again * (count - 1) + b"\x03\x00" + struct.pack(">I", ((n % 65_521) << 16) | 1)


@cache
def _mzml_text() -> str:
    import tempfile

    from clusterms.chem.ion import Ion
    from clusterms.simulate import simulate_spectrum
    from clusterms.spectra.writers import write_mzml

    spectrum = simulate_spectrum({Ion.parse("[Ag29(BDT)12]3-"): 1.0}, resolution=20_000,
                                 mz_range=(1590, 1620), noise=0.01, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "good.mzML"
        write_mzml(spectrum, path)
        return path.read_text(encoding="utf-8")


def _points() -> int:
    return int(re.search(r'defaultArrayLength="(\d+)"', _mzml_text()).group(1))  # type: ignore[union-attr]


def _with_binary(payload: bytes, *, declared: int | None = None) -> str:
    """The good mzML with its first (zlib) array's data replaced by ``payload`` (compressed)."""
    import base64

    text = _mzml_text()
    assert 'accession="MS:1000574"' in text  # the arrays are zlib-compressed
    start = text.index("<binary>") + len("<binary>")
    end = text.index("</binary>", start)
    text = text[:start] + base64.b64encode(payload).decode() + text[end:]
    if declared is not None:
        text = re.sub(r'defaultArrayLength="\d+"', f'defaultArrayLength="{declared}"', text, count=1)
    return text


@pytest.fixture(scope="module")
def good_mzml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limits") / "good.mzML"
    path.write_text(_mzml_text(), encoding="utf-8")
    return path


# ------------------------------------------------------------------------- gzip bombs


def test_gzip_text_bomb_without_line_ends_is_refused_at_once(tmp_path: Path) -> None:
    bomb = tmp_path / "spaces.txt.gz"
    bomb.write_bytes(_gzip_members(b" " * BLOCK, 256))  # 4 GiB of blanks, 4 MB on disk
    line = _refused(*_run(["peaks", str(bomb)]), r"^error: spaces\.txt\.gz is not a text spectrum: .* line ends")
    assert "1,048" in line or "MB" in line


def test_gzip_text_bomb_of_rows_is_refused_by_the_line_count(tmp_path: Path) -> None:
    bomb = tmp_path / "rows.txt.gz"
    bomb.write_bytes(_gzip_members(b"1 2\n" * (BLOCK // 4), 256))  # 1.1 billion rows
    _refused(*_run(["peaks", str(bomb)], env={"CLUSTERMS_MAX_POINTS": "10000000"}),
             r"^error: rows\.txt\.gz has more than 10,100,000 lines, .* --max-points N or .*CLUSTERMS_MAX_POINTS")


def test_gzip_bomb_is_stopped_at_the_decompressed_ceiling(tmp_path: Path) -> None:
    # Rows of 100 bytes: neither too many lines nor too long ones; the byte ceiling stops it.
    row = b"1603.25\t" + b"7" * 91 + b"\n"
    bomb = tmp_path / "long_rows.txt.gz"
    bomb.write_bytes(_gzip_members(row * (BLOCK // len(row)), 256))
    _refused(*_run(["peaks", str(bomb)], env={"CLUSTERMS_MAX_POINTS": "1000000"}),
             r"^error: long_rows\.txt\.gz decompresses to more than 64\.0 MB \(64 bytes for each of the "
             r"1,000,000 points allowed\); raise the limit")


def test_gzip_mzml_bomb_in_a_text_node_is_refused(tmp_path: Path) -> None:
    text = _mzml_text()
    prefix = text[:text.index("<binary>") + len("<binary>")].encode()
    bomb = tmp_path / "bomb.mzML.gz"
    bomb.write_bytes(_gzip_members(b"A" * BLOCK, 256, prefix=prefix))  # 4 GiB of base64 text
    _refused(*_run(["peaks", str(bomb)], env={"CLUSTERMS_MAX_POINTS": "10000000"}),
             r"^error: bomb\.mzML\.gz holds a run of more than 121\.0 MB of text without markup, longer than "
             r"an array of 10,000,000 points \(the limit\) can be")


def test_gzip_mzml_bomb_of_markup_is_stopped_at_the_ceiling(tmp_path: Path) -> None:
    text = _mzml_text()
    prefix = text[:text.index("<spectrum ")].encode()
    bomb = tmp_path / "markup.mzML.gz"
    bomb.write_bytes(_gzip_members(b"<!-- -->" * (BLOCK // 8), 256, prefix=prefix))
    _refused(*_run(["peaks", str(bomb)], env={"CLUSTERMS_MAX_POINTS": "100000"}),
             r"^error: markup\.mzML\.gz decompresses to more than 6\.4 MB")


def test_a_gzip_file_within_the_limits_is_read(tmp_path: Path) -> None:
    path = tmp_path / "good.mzML.gz"
    path.write_bytes(gzip.compress(_mzml_text().encode(), mtime=0))
    proc, _ = _run(["peaks", str(path), "--json"], env={"CLUSTERMS_MAX_POINTS": str(_points())})
    assert proc.returncode == 0, proc.stderr
    assert '"charge": 3' in proc.stdout


# ---------------------------------------------------------------------- mzML arrays


def test_zlib_bomb_in_an_array_is_refused_by_its_declared_length(tmp_path: Path) -> None:
    path = tmp_path / "zbomb.mzML"
    path.write_text(_with_binary(_zlib_zeros(256)), encoding="utf-8")  # 4 GiB inflated
    _refused(*_run(["peaks", str(path)]),
             rf"^error: zbomb\.mzML: spectrum 'scan=1': its m/z array decompresses to more than "
             rf"1,048,576 bytes, more than 4 times the {_points():,} points the spectrum declares")


def test_zlib_bomb_in_an_array_without_declared_length_is_refused_by_the_point_limit(tmp_path: Path) -> None:
    path = tmp_path / "zbomb0.mzML"
    path.write_text(_with_binary(_zlib_zeros(256), declared=0), encoding="utf-8")
    _refused(*_run(["peaks", str(path)], env={"CLUSTERMS_MAX_POINTS": "10000000"}),
             r"^error: zbomb0\.mzML: spectrum 'scan=1': its m/z array decompresses to more than 80,000,064 "
             r"bytes, more than the 10,000,000 points left under the limit; raise the limit of 10,000,000 points "
             r"with --max-points N")


def _with_arrays(mz: bytes, intensity: bytes, *, compressed: bool, declared: int) -> str:
    """The good mzML with both arrays replaced (raw float64 bytes, zlib-compressed or not)."""
    import base64

    text = _mzml_text()
    for data in (mz, intensity):
        start = text.index("<binary>", text.index("</binary>") if data is intensity else 0) + len("<binary>")
        end = text.index("</binary>", start)
        payload = zlib.compress(data) if compressed else data
        text = text[:start] + base64.b64encode(payload).decode() + text[end:]
    if not compressed:
        text = text.replace('accession="MS:1000574" name="zlib compression"',
                            'accession="MS:1000576" name="no compression"')
    return re.sub(r'defaultArrayLength="\d+"', f'defaultArrayLength="{declared}"', text, count=1)


def test_a_declared_length_far_off_is_a_bomb_only_when_compressed(tmp_path: Path) -> None:
    import numpy as np

    n = 200_000  # 1.6 MB per array: over 4 x 8 bytes x the 10 points declared, and over 1 MiB
    mz = np.linspace(1500.0, 1700.0, n).tobytes()
    intensity = np.ones(n).tobytes()
    plain = tmp_path / "plain.mzML"
    plain.write_text(_with_arrays(mz, intensity, compressed=False, declared=10))
    proc, _ = _run(["peaks", str(plain), "--json"])
    assert proc.returncode == 0, proc.stderr  # in memory already: repaired with a note
    assert proc.stderr.startswith(f"warning: plain.mzML: spectrum 'scan=1' declares 10 points but holds {n}")
    _refused(*_run(["peaks", str(plain)], env={"CLUSTERMS_MAX_POINTS": str(n - 1)}),
             rf"its m/z array holds {n:,} values, more than the {n - 1:,} points left under the limit")
    packed = tmp_path / "packed.mzML"
    packed.write_text(_with_arrays(mz, intensity, compressed=True, declared=10))
    _refused(*_run(["peaks", str(packed)]),
             r"its m/z array decompresses to more than 1,048,576 bytes, more than 4 times the 10 points")


def _mzxml(peaks: bytes, *, count: int = 10) -> str:
    import base64

    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
            '<mzXML xmlns="http://sashimi.sourceforge.net/schema_revision/mzXML_3.2"><msRun scanCount="1">\n'
            f'<scan num="1" msLevel="1" peaksCount="{count}" polarity="-" centroided="0" retentionTime="PT1S">\n'
            '<peaks precision="64" byteOrder="network" compressionType="zlib" contentType="m/z-int">'
            f'{base64.b64encode(peaks).decode()}</peaks>\n</scan></msRun></mzXML>\n')


def test_zlib_bomb_in_mzxml_peaks_is_refused(tmp_path: Path) -> None:
    import numpy as np

    pairs = np.empty(10, dtype=[("mz", ">f8"), ("intensity", ">f8")])
    pairs["mz"], pairs["intensity"] = np.arange(1600.0, 1610.0), np.arange(1.0, 11.0)
    good = tmp_path / "good.mzXML"
    good.write_text(_mzxml(zlib.compress(pairs.tobytes())))
    proc, _ = _run(["peaks", str(good), "--json"])
    assert proc.returncode == 0, proc.stderr
    bomb = tmp_path / "bomb.mzXML"
    bomb.write_text(_mzxml(_zlib_zeros(256)))
    _refused(*_run(["peaks", str(bomb)]),
             r"^error: bomb\.mzXML: scan 1: its peak list decompresses to more than 2,097,152 bytes, more than "
             r"4 times the 10 points the spectrum declares")


def test_points_over_the_limit_are_refused_and_max_points_raises_it(good_mzml: Path) -> None:
    n = _points()
    env = {"CLUSTERMS_MAX_POINTS": str(n - 1)}
    _refused(*_run(["peaks", str(good_mzml)], env=env),
             rf"^error: good\.mzML: spectrum 'scan=1': its m/z array .* more than the {n - 1:,} points left "
             r"under the limit; raise the limit")
    proc, _ = _run(["peaks", str(good_mzml), "--json", "--max-points", str(n)], env=env)
    assert proc.returncode == 0, proc.stderr
    proc, _ = _run(["peaks", str(good_mzml), "--json"], env={"CLUSTERMS_MAX_POINTS": str(n)})
    assert proc.returncode == 0, proc.stderr


def test_points_of_a_text_spectrum_over_the_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rows.txt"
    path.write_text("m/z\tintensity\n" + "".join(f"{1600 + k / 100}\t{k}\n" for k in range(5000)))
    _refused(*_run(["peaks", str(path)], env={"CLUSTERMS_MAX_POINTS": "4999"}),
             r"^error: rows\.txt holds 5,000 points; raise the limit of 4,999 points with --max-points N")
    proc, _ = _run(["peaks", str(path), "--polarity", "negative", "--max-points", "5000"],
                   env={"CLUSTERMS_MAX_POINTS": "4999"})
    assert proc.returncode == 0, proc.stderr


def test_a_text_file_larger_than_the_first_block_is_read_within_the_address_space(tmp_path: Path) -> None:
    # Regression: reading it with read(ceiling + 1) reserved 3.2 GB at once (MemoryError).
    path = tmp_path / "large.txt"
    path.write_text("m/z\tintensity\n" + "".join(f"{1600 + k / 1e4:.4f}\t{k % 97}\n" for k in range(200_000)))
    assert path.stat().st_size > 2 << 20
    proc, _ = _run(["peaks", str(path), "--polarity", "negative", "--json"])
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("value", ["0", "-5", "many", "1.5"])
def test_a_bad_limit_value_is_one_error_line(good_mzml: Path, value: str) -> None:
    _refused(*_run(["peaks", str(good_mzml)], env={"CLUSTERMS_MAX_POINTS": value}),
             rf"^error: CLUSTERMS_MAX_POINTS: expected a positive whole number .*got '{re.escape(value)}'")
    _refused(*_run(["peaks", str(good_mzml), "--max-points", value]),
             rf"^error: --max-points: expected a positive whole number .*got '{re.escape(value)}'")


# ------------------------------------------------------------- devices, pipes, binaries


def test_dev_zero_is_refused_from_its_first_block() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    _refused(*_run(["peaks", "/dev/zero"]), r"^error: zero is not a text spectrum: NUL byte at offset 0 ")


def test_a_large_file_starting_with_nul_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "sparse.txt"
    with open(path, "wb") as fh:
        fh.truncate(3 << 30)  # 3 GiB of NUL (sparse): more than the address space allowed
    _refused(*_run(["peaks", str(path)]), r"^error: sparse\.txt is not a text spectrum: NUL byte at offset 0 ")


def test_an_endless_pipe_is_stopped_at_the_limit() -> None:
    with subprocess.Popen(["yes", "1603.25 1200"], stdout=subprocess.PIPE) as yes:
        try:
            result = _run(["peaks", "/dev/stdin"], stdin=yes.stdout, env={"CLUSTERMS_MAX_POINTS": "1000000"})
        finally:
            yes.kill()
    _refused(*result, r"^error: stdin has more than 1,100,000 lines, more than a text spectrum of at most "
                      r"1,000,000 points")


def test_an_endless_pipe_of_long_rows_is_stopped_at_the_byte_ceiling() -> None:
    with subprocess.Popen(["yes", "1603.25\t" + "7" * 91], stdout=subprocess.PIPE) as yes:
        try:
            result = _run(["peaks", "/dev/stdin"], stdin=yes.stdout, env={"CLUSTERMS_MAX_POINTS": "1000000"})
        finally:
            yes.kill()
    _refused(*result, r"^error: stdin \(a pipe or device\) gives more than 64\.0 MB \(64 bytes for each of the "
                      r"1,000,000 points allowed\)")


def test_a_fifo_is_read_once_and_whole(tmp_path: Path) -> None:
    fifo = tmp_path / "spectrum.fifo"
    os.mkfifo(fifo)
    data = _mzml_text().encode()

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    proc, _ = _run(["peaks", str(fifo), "--json"])
    writer.join(5)
    assert proc.returncode == 0, proc.stderr
    assert '"charge": 3' in proc.stdout


# ------------------------------------------------------------------------------- DTDs


def test_an_internal_dtd_is_refused_by_name(tmp_path: Path) -> None:
    text = _mzml_text()
    end = text.index("?>") + 2
    path = tmp_path / "dtd.mzML"
    path.write_text(text[:end] + '\n<!DOCTYPE indexedmzML [\n<!ENTITY a "b">\n]>' + text[end:], encoding="utf-8")
    _refused(*_run(["peaks", str(path)]),
             r"^error: dtd\.mzML declares an internal DTD .* clusterms refuses DTDs in XML files for safety")


def test_a_doctype_without_internal_subset_is_read(tmp_path: Path) -> None:
    text = _mzml_text()
    end = text.index("?>") + 2
    path = tmp_path / "doctype.mzML"
    path.write_text(text[:end] + "\n<!DOCTYPE indexedmzML>" + text[end:], encoding="utf-8")
    proc, _ = _run(["peaks", str(path), "--json"])
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------------- search spaces


def test_a_search_space_too_large_for_memory_is_refused_before_it_is_built() -> None:
    line = _refused(*_run(["candidates", "--search", "Ag1-10000"]),
                    r"^error: --search: search pattern 'Ag1-10000' would take about \d+\.\d GB of memory for the "
                    r"isotope envelopes of its 40,000 candidates .* over the budget of 2\.0 GB; narrow the count "
                    r"ranges or the charges, give an m/z range, or raise the environment variable "
                    r"CLUSTERMS_MAX_SPACE_MB")
    estimate = float(re.search(r"about (\d+\.\d) GB", line).group(1))  # type: ignore[union-attr]
    assert 5.0 < estimate < 7.0  # measured 5.9 GB peak before the limit (x 4 charges)


def test_the_space_budget_and_candidate_count_come_from_the_environment() -> None:
    _refused(*_run(["candidates", "--search", "Ag1-2500", "--charges", "1"], env={"CLUSTERMS_MAX_SPACE_MB": "50"}),
             r"over the budget of 50 MB")
    _refused(*_run(["candidates", "--search", "Ag1-100 (BDT)0-20"], env={"CLUSTERMS_MAX_CANDIDATES": "8000"}),
             r"enumerates 8,400 species \(100 x 21 counts x 4 charges\), over the limit of 8,000; .* "
             r"CLUSTERMS_MAX_CANDIDATES")
    proc, _ = _run(["candidates", "--search", "Ag1-2500", "--charges", "1"], env={"CLUSTERMS_MAX_SPACE_MB": "1000"})
    assert proc.returncode == 0 and "2,500 candidates" in proc.stderr + proc.stdout, proc.stderr
