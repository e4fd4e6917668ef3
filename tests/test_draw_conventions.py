"""`nnsolve draw` in the problem's notation (issue 15): a Wx+b or xW+b problem is drawn with z
and a (or its symbols:), its weights named as the convention indexes them (Wx+b: W2[1,2] into
neuron 1 from neuron 2), and each neuron's own bias b1[j] beside the neuron instead of a +1
node, alike in the text, DOT, Mermaid, SVG and PNG drawings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import PROBLEMS, invoke
from test_draw import check_mermaid, parse_dot

WXB = str(PROBLEMS / "wxb_relu_softmax.yaml")
# its ten weights and four biases, as the course names them (W[j,i]: into neuron j from input i)
WXB_WEIGHTS = [
    "W1[1,1] = 0.5", "W1[1,2] = -0.2", "W1[1,3] = 0.1", "W1[2,1] = -0.3", "W1[2,2] = 0.4", "W1[2,3] = 0.2",
    "W2[1,1] = 0.7", "W2[1,2] = -0.5", "W2[2,1] = -0.4", "W2[2,2] = 0.6",
]
WXB_BIASES = ["b1[1] = 0.1", "b1[2] = -0.1", "b2[1] = 0", "b2[2] = 0.2"]


def draw(*args: str) -> str:
    result = invoke("draw", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def converted(tmp_path, convention: str, source=PROBLEMS / "worksheet.yaml", extra: str = "") -> str:
    result = invoke("convert", str(source), "--to", convention)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / f"{convention}.yaml"
    path.write_text(result.stdout + extra)
    return str(path)


def diagram_of(path: str, **options):
    from nnsolve.problem import load_problem
    from nnsolve.render.diagram import network_diagram
    from nnsolve.solution import solve

    return network_diagram(solve(load_problem(path)), **options)


def test_a_wx_plus_b_problem_is_drawn_in_z_and_a_with_the_courses_names():
    out = draw(WXB)
    for label in WXB_WEIGHTS + WXB_BIASES:
        assert out.count(label) == 1, label
    assert "x₃ --W1[1,3] = 0.1---|" in out  # into neuron 1 from x3
    assert "--> a¹₁ = relu(z¹₁)" in out and "--> ŷ₂ = softmax(z²)" in out
    assert "    --b1[2] = -0.1----'" in out  # the bias closes the neuron's fan, with no source node
    assert "Layer 1: W¹ is 2 × 3 (neurons × inputs), b¹ has 2" in out
    assert "Each neuron's own bias b is drawn with it: z = W a + b." in out
    assert "+1" not in out and not re.search("[αβλℓ]", out)


def test_the_same_network_draws_the_same_numbers_in_every_convention(tmp_path):
    from nnsolve.notation import weight_in

    drawings = {c: diagram_of(converted(tmp_path, c)) for c in ("bias-row", "Wx+b", "xW+b")}
    reference = drawings["bias-row"]
    # bias-row: 9 edges, 3 of them from the +1 nodes; the others: 6 edges and 3 biases
    assert len(reference.edges) == 9 and not reference.biases
    by_weight = {}
    for e in reference.edges:
        by_weight[(e.layer, e.source.index, e.target.index)] = (e.value, e.gradient)
    for convention in ("Wx+b", "xW+b"):
        d = drawings[convention]
        assert len(d.edges) == 6 and len(d.biases) == 3
        assert all(n.kind != "bias" for c in d.columns for n in c.nodes)
        for e in d.edges:
            key = (e.layer, e.source.index, e.target.index)
            assert e.name == weight_in(convention, *key)
            assert (e.value, e.gradient) == by_weight[key]
        for b in d.biases:
            assert b.name == f"b{b.layer}[{b.target.index}]"
            assert (b.value, b.gradient) == by_weight[(b.layer, 0, b.target.index)]
    # the worksheet's W1[2,1] (from x2 into neuron 1) is W1[1,2] in Wx+b, W1[2,1] in xW+b
    assert "x₂ --W1[1,2] = 1--" in draw(converted(tmp_path, "Wx+b"))
    assert "x₂ --W1[2,1] = 1--" in draw(converted(tmp_path, "xW+b"))


def test_updated_and_gradient_in_the_convention(tmp_path):
    from nnsolve.problem import load_problem
    from nnsolve.solution import solve

    path = converted(tmp_path, "xW+b")
    d = diagram_of(path, updated=True, color_by="gradient")
    s = solve(load_problem(path))
    for b in d.biases:
        layer = s.layers[b.layer - 1]
        assert b.value == layer.updated_W[0, b.target.index - 1] and b.gradient == layer.grad_W[0, b.target.index - 1]
    out = draw(path, "--updated", "--color-by", "gradient")
    assert "The weights and biases after one update, w − η ∂L/∂w with η = 2." in out
    assert "--b1[1] = -0.9075, ∂L/∂b = -0.0462 ↑--" in out
    assert "W1[2,1] = 1.4624, ∂L/∂w = -0.2312 ↑" in out
    assert "Layer 2: W² is 2 × 1 (inputs × neurons), b² has 1" in out


def test_symbols_name_the_nodes(tmp_path):
    path = converted(tmp_path, "Wx+b", extra="symbols: {alpha: h, beta: o, loss: E, learning_rate: alpha}\n")
    out = draw(path, "--color-by", "gradient")
    assert "--> o¹₁ = sigmoid(h¹₁)" in out and "--> ŷ = sigmoid(h²)" in out
    assert "∂E/∂w" in out and "ℓ" not in out and "z" not in out
    mermaid = draw(path, "--format", "mermaid")
    assert 'beta1_1(("o¹₁<br>b1[1] = -1"))' in mermaid  # node ids stay nnsolve's own


def test_bias_row_symbols_rename_the_nodes_and_keep_the_bias_nodes(tmp_path):
    path = tmp_path / "h.yaml"
    path.write_text((PROBLEMS / "worksheet.yaml").read_text() + "symbols: {alpha: h, beta: o}\n")
    out = draw(str(path))
    assert "x₁ --W1[1,1] = -2--+--> o¹₁ = sigmoid(h¹₁)" in out and "+1 --W1[0,1] = -1--." in out


def test_dot_gives_each_neuron_its_bias():
    graph = parse_dot(draw(WXB, "--format", "dot", "--color-by", "weight"))
    nodes = {n.get_name().strip('"'): n for c in graph.get_subgraphs() for n in c.get_nodes()}
    assert set(nodes) == {"x_1", "x_2", "x_3", "beta1_1", "beta1_2", "y_hat_1", "y_hat_2"}
    assert nodes["beta1_1"].get("label") == '"a¹₁"' and nodes["beta1_1"].get("xlabel") == '"b1[1] = 0.1"'
    assert nodes["beta1_2"].get("color") == '"#1f77b4"'  # b1[2] = -0.1 < 0: blue outline
    assert sorted(e.get("label").strip('"') for e in graph.get_edges()) == sorted(WXB_WEIGHTS)
    assert graph.get("forcelabels") == "true"


def test_mermaid_writes_each_bias_under_its_neuron():
    text = draw(WXB, "--format", "mermaid", "--color-by", "gradient")
    MERMAID_STYLE = re.compile(r"^  style \w+ stroke:#\w+,stroke-width:[\d.]+px$")
    checked = "\n".join(line for line in text.splitlines() if not MERMAID_STYLE.match(line)) + "\n"
    nodes, edges = check_mermaid(checked)
    assert len(edges) == 10 and "bias0" not in nodes
    assert 'beta1_2(("a¹₂<br>b1[2] = -0.1, ∂L/∂b = -0.4654"))' in text
    assert len([line for line in text.splitlines() if MERMAID_STYLE.match(line)]) == 4


def test_svg_and_png_draw_the_biases(tmp_path):
    pytest.importorskip("matplotlib")
    text = draw(WXB, "--format", "svg")
    root = ET.fromstring(text.encode("utf-8"))
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for label in WXB_WEIGHTS + WXB_BIASES + ["W¹: 2 × 3, b¹: 2"]:
        assert label in texts, label
    assert "+1" not in texts
    target = tmp_path / "wxb.png"
    assert invoke("draw", WXB, "--format", "png", "-o", str(target)).exit_code == 0
    from matplotlib.image import imread

    from nnsolve.render import picture

    height, width = imread(str(target)).shape[:2]
    assert (width, height) == picture.size_pixels(diagram_of(WXB))


def test_a_wide_wx_plus_b_network_names_its_ranges_in_the_convention(tmp_path):
    rng = np.random.default_rng(7)
    sizes = (9, 8, 3)
    lines = ["convention: Wx+b", f"x: {rng.integers(-2, 3, 9).tolist()}", "y: [0, 0, 1]"]
    for l in (1, 2):
        lines.append(f"W{l}: {rng.integers(-2, 3, (sizes[l], sizes[l - 1])).tolist()}")
        lines.append(f"b{l}: {rng.integers(-2, 3, sizes[l]).tolist()}")
    lines += ["activation: [sigmoid, softmax]", "loss: cross_entropy", "learning_rate: 0.1"]
    path = tmp_path / "wide.yaml"
    path.write_text("\n".join(lines) + "\n")
    out = draw(str(path))
    assert "x₃…x₈   W1[1,3..8]: 6 weights" in out
    assert "⋮  into a¹₃…a¹₇ (5 more neurons): W1[3..7,1..9] and b1[3..7]" in out
    assert "Layer 1: W¹ is 8 × 9 (neurons × inputs), b¹ has 8 (80 weights and biases" in out
    graph = parse_dot(draw(str(path), "--format", "dot"))
    xlabels = {(n.get("xlabel") or "").strip('"') for c in graph.get_subgraphs() for n in c.get_nodes()}
    assert "b1[3..7]: 5 biases" in xlabels and "b1[8] = " + out.split("--b1[8] = ")[1].split("-")[0] in xlabels


def test_without_biases_a_wx_plus_b_network_has_none(write):
    path = write("convention: Wx+b\nx: [1, 2]\ny: [1]\nW1: [[1, -1], [2, 0.5]]\nW2: [[1, -1]]\nbias: false\nlearning_rate: 1\n")
    out = draw(path)
    assert "b1" not in out and "+1" not in out and "bias" not in out
    assert "x₂ --W1[1,2] = -1---'" in out and "Layer 1: W¹ is 2 × 2 (neurons × inputs)\n" in out
