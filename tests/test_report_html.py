"""The self-contained HTML report: every section present, every image an embedded PNG."""

import base64
from html.parser import HTMLParser

import pandas as pd

from test_report_verdicts import re21_table  # tests/ is on sys.path (rootdir conftest, no package)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.images, self.links, self.scripts = set(), [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag in ("link", "script"):
            self.links.append(attrs.get("href") or attrs.get("src"))
        self.scripts += tag == "script"


def _table():
    """re21 (MOO, with headroom) beside a SOO task without it: both kinds and a missing key."""
    soo = pd.DataFrame([dict(task="ackley-3", method=m, seed=s, status="ok", score_100th=v + 0.1 * s, score_dbest=0.5)
                        for s in range(3) for m, v in (("full", 0.9), ("lucky", 0.7))])
    return pd.concat([re21_table(), soo], ignore_index=True)


def test_html_report_has_every_section_and_only_embedded_png_images(tmp_path):
    from dist_ombo.reporting.html_report import SECTIONS, write_html

    out = write_html(_table(), [tmp_path], tmp_path / "sub" / "report.html")
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    assert set(SECTIONS) <= page.ids
    assert len(page.images) >= 3  # heatmap, score grid, critical difference
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.links == [] and page.scripts == 0  # nothing fetched from anywhere
    text = out.read_text(encoding="utf-8")
    assert "lucky 1/3, pending 0/3" in text and "class='txt beats'>beats<" in text  # published side-by-side
    assert "<th>headroom</th>" in text  # re21's leaderboard; ackley-3's has none and still renders


def test_report_cli_writes_html_and_refuses_a_directory_before_work(tmp_path, capsys):
    from dist_ombo.cli import main

    (tmp_path / "sweep").mkdir()
    _table().to_parquet(tmp_path / "sweep" / "results.parquet")
    assert main(["report", str(tmp_path / "sweep"), "--html", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").stat().st_size > 10_000
    assert main(["report", str(tmp_path / "sweep"), "--html", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == f"error: --html {tmp_path} is a directory; give a file name"
    assert main(["report", str(tmp_path / "sweep"), "--html", str(tmp_path / "r.html" / "x.html")]) == 2
    assert "a part of that path is a file" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "sweep"), "--markdown", str(tmp_path / "m.md"),
                 "--notes", str(tmp_path / "nope.md")]) == 2
    assert "--notes" in capsys.readouterr().err and not (tmp_path / "m.md").exists()
