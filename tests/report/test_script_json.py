"""clusterms.report.html.script_json: JSON that cannot end or open markup inside <script>."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from clusterms.report.html import script_json

PAYLOADS = ["</script><script>alert(1)</script>", "<!--", "-->", "]]>", "a&b", "<\u2028>", "</SCRIPT >"]


@pytest.mark.parametrize("text", PAYLOADS)
def test_markup_characters_are_unicode_escapes_and_decode_back(text: str) -> None:
    obj = {"name": text, "list": [text, 1.5], text: None}
    out = script_json(obj)
    assert not set(out) & set("<>&"), out
    assert re.search(r"</script", out, re.I) is None
    assert json.loads(out) == obj


def test_numpy_values_and_compact_separators() -> None:
    out = script_json({"a": np.arange(3, dtype=np.int64), "b": np.float64(0.25), "c": np.bool_(True)})
    assert out == '{"a":[0,1,2],"b":0.25,"c":true}'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), object()])
def test_values_that_are_not_json_are_refused(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        script_json({"x": bad})
