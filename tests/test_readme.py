"""The README's Python snippets run as written (in a fresh folder, from the repository root's
sample data), and print what their comments say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _snippets() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_has_python_snippets() -> None:
    assert len(_snippets()) >= 2


def test_every_python_snippet_runs_as_written(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
           "KINEWRITE_CONFIG_DIR": str(tmp_path / "config")}
    for i, code in enumerate(_snippets()):
        (tmp_path / "data").unlink(missing_ok=True)
        (tmp_path / "data").symlink_to(ROOT / "data")  # the paths are the repository's
        r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"snippet {i + 1}:\n{code}\n{r.stderr}"
        expected = [m.group(1) for m in re.finditer(r"print\(.*\)\s+# (\S+)", code)]
        assert r.stdout.split() == expected, (i, r.stdout)
