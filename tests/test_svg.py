"""The network as plain SVG (render/svg.py: `run --format html`, `new --keys html`, notebooks),
without matplotlib: every edge label on its edge where it overlaps no other label, no node and
no neuron's bias, in every problem, convention and colouring; one that fits nowhere is written
in the key under the picture, its number on the edge. Each text's box is read back from the SVG
and sized by svg.measure, the estimate the placement used."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import PROBLEM_FILES, PROBLEMS, invoke
from test_newcomer import _overlap

NS = "{http://www.w3.org/2000/svg}"
OPTIONS = [{}, {"color_by": "gradient"}, {"color_by": "weight", "updated": True}]


def diagram(path, **options):
    from nnsolve.problem import load_problem
    from nnsolve.render.diagram import network_diagram
    from nnsolve.solution import solve

    return network_diagram(solve(load_problem(str(path))), **options)


def picture(path, **options) -> str:
    from nnsolve.render.svg import svg

    return svg(diagram(path, **options))


def _box(text: str, x: float, y: float, font_px: float, angle: float = 0.0, central: bool = True, middle: bool = True) -> list[tuple[float, float]]:
    """The corners of a text's estimated box (svg.measure at its font size), in the SVG's pixels:
    centred on (x, y) or starting at x, on y or on its first line's baseline y, turned by angle
    degrees about (x, y)."""
    from nnsolve.render.svg import FONT_PX, SCALE, measure

    width, height = (v * SCALE * font_px / FONT_PX for v in measure(text))
    cy = 0.0 if central else -0.35 * font_px  # a baseline: the glyphs' middle is about 0.35 em above it
    cx = 0.0 if middle else width / 2
    a = math.radians(angle)
    corners = [(cx + sx * width / 2, cy + sy * height / 2) for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    return [(x + u * math.cos(a) - v * math.sin(a), y + u * math.sin(a) + v * math.cos(a)) for u, v in corners]


def texts(svg: str, kind: str) -> list[tuple[str, list[tuple[float, float]]]]:
    """(text, box corners) of every text of a class: 'edge-label', 'bias-label', 'node-label' or
    'key', whether the class is on a group that places and turns its text or on the text."""
    root = ET.fromstring(svg)
    found = []
    for element in root.iter():
        if element.get("class") != kind:
            continue
        x, y, angle = float(element.get("x", 0)), float(element.get("y", 0)), 0.0
        text = element if element.tag == NS + "text" else element.find(NS + "text")
        placed = re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)(?: rotate\(([-\d.]+)\))?", element.get("transform", ""))
        if placed:
            x, y, angle = float(placed.group(1)), float(placed.group(2)), float(placed.group(3) or 0)
        spans = text.findall(NS + "tspan")
        written = "\n".join("".join(s.itertext()) for s in spans) if spans else "".join(text.itertext())
        central, middle = text.get("dominant-baseline") == "central", text.get("text-anchor") == "middle"
        found.append((written, _box(written, x, y, float(text.get("font-size")), angle, central, middle)))
    return found


def nodes(svg: str) -> tuple[list[tuple[float, float, float]], list[list[tuple[float, float]]]]:
    """The neurons' circles (cx, cy, r) and the +1 nodes' boxes."""
    root = ET.fromstring(svg)
    circles = [(float(c.get("cx")), float(c.get("cy")), float(c.get("r"))) for c in root.iter(NS + "circle")]
    boxes = []
    for r in root.iter(NS + "rect"):
        if r.get("stroke-dasharray"):  # a +1 node (a label's background has none)
            x, y, w, h = (float(r.get(k)) for k in ("x", "y", "width", "height"))
            boxes.append([(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
    return circles, boxes


def _meets_circle(polygon, circle) -> bool:
    """Whether a convex polygon comes within a circle."""
    cx, cy, r = circle
    inside = all((q[0] - p[0]) * (cy - p[1]) - (q[1] - p[1]) * (cx - p[0]) >= 0 for p, q in zip(polygon, polygon[1:] + polygon[:1]))
    if inside:
        return True
    for p, q in zip(polygon, polygon[1:] + polygon[:1]):
        dx, dy = q[0] - p[0], q[1] - p[1]
        t = max(0.0, min(1.0, ((cx - p[0]) * dx + (cy - p[1]) * dy) / (dx * dx + dy * dy)))
        if math.hypot(p[0] + t * dx - cx, p[1] + t * dy - cy) < r:
            return True
    return False


def assert_labels_clear(svg: str, context) -> None:
    """No two labels (of edges, of biases, of gap nodes, of the key) overlap, and none meets a node."""
    labels = texts(svg, "edge-label") + texts(svg, "bias-label") + texts(svg, "key")
    circles, plus_ones = nodes(svg)
    gaps = [t for t in texts(svg, "node-label") if not any(_meets_circle(t[1], (c[0], c[1], 1)) for c in circles)]
    everything = labels + gaps + [("+1", box) for box in plus_ones]
    assert labels, ("no labels found", context)
    for k, (text, box) in enumerate(labels):
        for other, other_box in everything[k + 1:]:
            assert not _overlap(box, other_box), (context, text, other)
        for circle in circles:
            assert not _meets_circle(box, circle), (context, text, circle)
    width = float(ET.fromstring(svg).get("width"))
    assert all(0 <= x <= width for _, box in labels for x, _ in box), context  # inside the picture


def assert_every_label_readable(d, svg: str, context) -> None:
    """Every weight's label is on its edge, or in the key with its number on the edge (or, where
    even the number fits nowhere, in the key alone)."""
    from nnsolve.render.mathtext import unicode

    on_edges = [t for t, _ in texts(svg, "edge-label")]
    key = [t for t, _ in texts(svg, "key")]
    for e in d.edges:
        if e.gap:
            continue
        label = unicode(d.edge_label(e))
        if label.replace(", ", "\n", 1) in on_edges:
            continue
        entry = next((k for k in key if k.endswith("] " + label)), None)
        assert entry is not None, (context, label)
        number = entry.split(" ", 1)[0]
        assert on_edges.count(number) <= 1 and key.count(entry) == 1, (context, entry)


def conversions(tmp_path, problem_path) -> list:
    """The problem, and as Wx+b and xW+b (where it converts)."""
    paths = [problem_path]
    for convention in ("Wx+b", "xW+b"):
        result = invoke("convert", str(problem_path), "--to", convention)
        if result.exit_code == 0:
            path = tmp_path / f"{problem_path.stem}.{convention}.yaml"
            path.write_text(result.stdout, encoding="utf-8")
            paths.append(path)
    return paths


@pytest.mark.parametrize("problem_path", PROBLEM_FILES, ids=lambda p: p.name)
def test_no_label_of_the_html_picture_overlaps_another_or_a_node(problem_path, tmp_path):
    for path in conversions(tmp_path, problem_path):
        for options in OPTIONS:
            if options.get("updated") and "learning_rate" not in path.read_text(encoding="utf-8"):
                continue
            d = diagram(path, **options)
            from nnsolve.render.svg import svg

            text = svg(d)
            assert_labels_clear(text, (path.name, options))
            assert_every_label_readable(d, text, (path.name, options))


def test_the_deep_networks_labels_no_longer_overlap_in_the_html_page():
    """On the staggered labels (t = 0.3 + 0.15 (k mod 3)) W1[1,2] and W1[0,3] met; they overlap no more."""
    page = invoke("run", str(PROBLEMS / "deep_tanh_relu.yaml"), "--format", "html").stdout
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    assert_labels_clear(svg, "deep_tanh_relu.yaml")
    assert len(texts(svg, "edge-label")) == 20


def test_wx_plus_b_draws_each_bias_under_its_neuron_clear_of_the_labels():
    svg = picture(PROBLEMS / "wxb_relu_softmax.yaml", color_by="gradient")
    biases = [t for t, _ in texts(svg, "bias-label")]
    assert biases == ["b1[1] = 0.1", "b1[2] = -0.1", "b2[1] = 0", "b2[2] = 0.2"]
    assert "+1" not in svg
    assert_labels_clear(svg, "wxb_relu_softmax.yaml")


def test_labels_that_fit_nowhere_go_to_the_key_and_still_overlap_nothing(write):
    # six by six by six, every weight with eight digits and its gradient: far more text than the edges hold
    rows = lambda n, m, s: "[" + ", ".join("[" + ", ".join(f"{(-1) ** (i + j) * (0.12345678 + s * i + j / 7):.8f}" for j in range(m)) + "]" for i in range(n)) + "]"
    path = write(f"x: [1, 2, 3, 4, 5, 6]\ny: [0, 1, 0, 0, 0, 0]\nW1: {rows(7, 6, 0.1)}\nW2: {rows(7, 6, 0.2)}\n"
                 "activation: [tanh, softmax]\nloss: cross_entropy\nlearning_rate: 0.1\n")
    d = diagram(path, color_by="gradient", digits=8)
    from nnsolve.render.svg import svg

    text = svg(d)
    key = [t for t, _ in texts(text, "key")]
    assert key and all(re.fullmatch(r"\[\d+\] W\d\[\d,\d\] = \S+, ∂ℓ/∂w = \S+", k) for k in key), key
    assert_labels_clear(text, "dense")
    assert_every_label_readable(d, text, "dense")
    height = float(ET.fromstring(text).get("height"))
    assert all(y <= height for _, box in texts(text, "key") for _, y in box)  # the picture grew to hold its key


def test_the_estimate_is_never_smaller_than_dejavu_sans_draws_a_label():
    matplotlib = pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    from nnsolve.render.geometry import LABEL_SIZE
    from nnsolve.render.mathtext import unicode
    from nnsolve.render.svg import measure

    renderer = RendererAgg(1, 1, 72)
    font = FontProperties(family="DejaVu Sans", size=LABEL_SIZE)
    assert matplotlib.font_manager.findfont(font).endswith("DejaVuSans.ttf")
    for path in PROBLEM_FILES:
        d = diagram(path, color_by="gradient")
        for e in [e for e in d.edges if not e.gap] + [b for b in d.biases]:
            for line in unicode(d.edge_label(e)).split(", "):
                width, height, _ = renderer.get_text_width_height_descent(line, font, ismath=False)
                assert width / 72 <= measure(line)[0] and height / 72 <= measure(line)[1], line
