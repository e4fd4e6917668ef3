"""`--format html` in a real browser (issue 17): the worksheet's page opened by headless Chromium
at 800 px wide. Its MathML is laid out (every <math> element has a size), nothing makes the page
wider than the window, and the screenshot is not blank. Chromium comes from the distribution's
packages (`make browser-deps`); where it cannot be had, the test says so and skips."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import PROBLEMS, invoke

MEASURE = """<script>
window.addEventListener("load", () => {
  const maths = [...document.querySelectorAll("math")];
  const sizes = maths.map(m => { const r = m.getBoundingClientRect(); return [r.width, r.height]; });
  const wide = [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                && !e.closest(".scroll, .eq")).map(e => e.tagName + "." + e.className).slice(0, 5);
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({maths: maths.length, empty: sizes.filter(s => s[0] < 1 || s[1] < 1).length,
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide: wide,
    mathml: typeof MathMLElement !== "undefined"});
  document.body.appendChild(out);
});
</script>"""


def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run runs `make browser-deps` to install it")
        pytest.skip("no Chromium here: `make browser-deps` installs it from the distribution's packages (apt-get install chromium)")
    return found


def browse(browser: str, page, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=800,1200",
                           "--virtual-time-budget=5000", *extra, page.as_uri()], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("problem", ["worksheet.yaml", "breast_cancer.yaml", "wxb_relu_softmax.yaml"])
def test_the_page_lays_out_its_math_and_fits_800_pixels(problem, tmp_path):
    browser = chromium()
    result = invoke("run", str(PROBLEMS / problem), "--format", "html")
    assert result.exit_code == 0
    page = result.stdout
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    measured = tmp_path / "measured.html"
    measured.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = browse(browser, measured, "--dump-dom").stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, dom[-500:]
    m = json.loads(found.group(1).replace("&quot;", '"'))
    assert m["mathml"] and m["maths"] > 20
    assert m["empty"] == 0, m  # every formula has a width and a height: laid out, not dropped
    assert m["scrollWidth"] <= m["innerWidth"] and not m["wide"], m  # nothing wider than 800 px
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    screenshot = tmp_path / "page.png"
    browse(browser, tmp_path / "page.html", f"--screenshot={screenshot}")
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a page of text and tables, not a blank one


LABEL_BOXES = """<script>
window.addEventListener("load", () => {
  // each label's text as the browser lays it out, in its group's frame, against the box its size was estimated at
  const labels = [...document.querySelectorAll("svg.network g.edge-label, svg.network g.bias-label")].map(g => {
    const t = g.querySelector("text").getBBox(), r = g.querySelector("rect");
    const box = ["x", "y", "width", "height"].map(k => parseFloat(r.getAttribute(k)));
    return {text: g.textContent, inside: t.x >= box[0] && t.y >= box[1] && t.x + t.width <= box[0] + box[2] && t.y + t.height <= box[1] + box[3],
            width: t.width / box[2], height: t.height / box[3]};
  });
  const keys = [...document.querySelectorAll("svg.network text.key")].map(t => { const b = t.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; });
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({labels: labels, keys: keys, font: getComputedStyle(document.querySelector("svg.network text")).fontFamily});
  document.body.appendChild(out);
});
</script>"""


def test_every_label_of_the_html_picture_lies_inside_the_box_it_was_placed_with(tmp_path):
    """getBBox() of each label's text, in the browser's font, inside the (estimated) box that
    geometry.py kept clear of every other label and node; the key's entries apart."""
    browser = chromium()
    from test_svg import picture

    pictures = [picture(PROBLEMS / name, color_by="gradient") for name in ("deep_tanh_relu.yaml", "breast_cancer.yaml", "wxb_relu_softmax.yaml")]
    page = invoke("run", str(PROBLEMS / "two_outputs.yaml"), "--format", "html").stdout
    page = page.replace("</main>", "".join(f'<div class="scroll">{p}</div>' for p in pictures) + "</main>")
    measured = tmp_path / "labels.html"
    measured.write_text(page.replace("</body>", LABEL_BOXES + "</body>"), encoding="utf-8")
    dom = browse(browser, measured, "--dump-dom").stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, dom[-500:]
    m = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(m["labels"]) > 60 and m["keys"], m["font"]
    outside = [label for label in m["labels"] if not label["inside"]]
    assert not outside, (m["font"], outside[:5])
    keys = m["keys"]
    for k, a in enumerate(keys):
        for b in keys[k + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
