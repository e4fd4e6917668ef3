"""`nnsolve draw`: the worksheet's network in text, DOT, Mermaid, SVG and PNG, wide layers
summarised, --updated and --color-by, and every way the command can be misused."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml

from conftest import PROBLEM_FILES, PROBLEMS, ROOT, assert_usage_error, invoke
from test_formats import snapshot  # tests/snapshots/NAME, rewritten with NNSOLVE_UPDATE_SNAPSHOTS=1

WORKSHEET = str(PROBLEMS / "worksheet.yaml")

# the worksheet's nine weights, named and valued as every drawing labels them
NINE = [
    "W1[0,1] = -1", "W1[1,1] = -2", "W1[2,1] = 1",
    "W1[0,2] = 2", "W1[1,2] = 1", "W1[2,2] = 4",
    "W2[0,1] = 1", "W2[1,1] = 2", "W2[2,1] = -4",
]
# the same weights after one update (lambda = 2), to 4 decimals
NINE_UPDATED = [
    "W1[0,1] = -0.9075", "W1[1,1] = -1.8150", "W1[2,1] = 1.4624",
    "W1[0,2] = 1.99999999997", "W1[1,2] = 0.9999999999", "W1[2,2] = 3.9999999999",
    "W2[0,1] = 1.1850", "W2[1,1] = 2.0925", "W2[2,1] = -3.8150",
]


def draw(*args: str) -> str:
    result = invoke("draw", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def worksheet_diagram(**options):
    from nnsolve.problem import load_problem
    from nnsolve.render.diagram import network_diagram
    from nnsolve.solution import solve

    return network_diagram(solve(load_problem(None)), **options)


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> str:
    """A 784-16-10 network (MNIST-sized): sigmoid, then softmax, random weights with a fixed seed."""
    rng = np.random.default_rng(784)
    sizes = (784, 16, 10)
    problem = {"title": "784-16-10", "x": np.round(rng.random(784), 2).tolist(), "y": [0] * 9 + [1]}
    for l in (1, 2):
        problem[f"W{l}"] = np.round(rng.normal(0, 0.1, (sizes[l - 1] + 1, sizes[l])), 3).tolist()
    problem.update(activation=["sigmoid", "softmax"], loss="cross_entropy", learning_rate=0.1)
    path = tmp_path_factory.mktemp("wide") / "wide.yaml"
    path.write_text(yaml.safe_dump(problem, default_flow_style=None, width=1_000_000), encoding="utf-8")
    return str(path)


# -- text ----------------------------------------------------------------------------------


def test_worksheet_text_names_and_values_all_nine_weights():
    out = draw()
    for label in NINE:
        assert out.count(label) == 1, label
    # each edge goes into its neuron, and the neurons say their activation
    assert "x₂ --W1[2,1] = 1---'" in out
    assert "β¹₁ --W2[1,1] = 2---+--> ŷ = sigmoid(α²)" in out
    assert "x₁ --W1[1,1] = -2--+--> β¹₁ = sigmoid(α¹₁)" in out
    assert out.count("+1 ") >= 2  # a bias node feeding each layer
    assert out == draw(WORKSHEET)  # the built-in worksheet is problems/worksheet.yaml


def test_worksheet_text_snapshot():
    snapshot("draw_worksheet.txt", draw(WORKSHEET))


def test_updated_and_gradient_snapshot():
    snapshot("draw_worksheet_updated_gradient.txt", draw(WORKSHEET, "--updated", "--color-by", "gradient"))


def test_updated_shows_the_weights_after_the_update():
    out = draw("--updated")
    for label in NINE_UPDATED:
        assert label in out, label
    for label in ("W1[1,1] = -2", "W2[2,1] = -4"):
        assert label not in out
    assert "after one update" in out and "λ = 2" in out


def test_updated_needs_a_learning_rate(tmp_path):
    problem = tmp_path / "no_rate.yaml"
    problem.write_text((PROBLEMS / "worksheet.yaml").read_text().replace("learning_rate: 2", ""))
    assert_usage_error(invoke("draw", str(problem), "--updated"), "--updated", "no learning rate, so no update to draw",
                       "add learning_rate to the problem, or leave out --updated")
    out = invoke("draw", str(problem)).stdout
    assert "W1[1,1] = -2" in out and "λ" not in out


def test_updated_values_are_the_solutions():
    from nnsolve.problem import load_problem
    from nnsolve.solution import solve

    d = worksheet_diagram(updated=True)
    solution = solve(load_problem(None))
    for e in d.edges:
        layer = solution.layers[e.layer - 1]
        assert e.value == layer.updated_W[e.source.index, e.target.index - 1]
        assert e.gradient == layer.grad_W[e.source.index, e.target.index - 1]


def test_gradient_marks_the_sign_in_text():
    out = draw("--color-by", "gradient")
    # dl/dW1[2,1] = -0.2312 < 0: the update raises the weight; dl/dW1[2,2] > 0 lowers it
    assert "W1[2,1] = 1, ∂ℓ/∂w = -0.2312 ↑" in out
    assert "W1[2,2] = 4, ∂ℓ/∂w = 6.982e-11 ↓" in out
    assert "↑ marks a weight the update raises" in out


def test_terminal_gets_box_drawing_and_colour_pipes_get_ascii():
    from rich.console import Console

    from nnsolve.render import diagram_text

    d = worksheet_diagram(color_by="weight")
    buffer = io.StringIO()
    diagram_text.write(d, Console(file=buffer, force_terminal=True, color_system="standard", width=120))
    fancy = buffer.getvalue()
    assert "──▶" in fancy and "┼" in fancy and "\x1b[" in fancy
    plain = diagram_text.plain_text(d)  # what a pipe, or a terminal with NO_COLOR, gets
    assert invoke("draw", "--color-by", "weight", env={"NO_COLOR": "1"}).stdout == plain
    assert not re.search(r"[\u2500-\u257f\x1b]", plain)  # no box drawing, no escapes
    assert "Colour" not in plain  # no colours to explain


def test_only_a_colour_terminal_gets_rich(monkeypatch):
    from nnsolve.cli import common

    monkeypatch.setattr(common.sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert common.colour_terminal()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not common.colour_terminal()


def test_wide_layers_are_summarised(wide):
    out = draw(wide)
    lines = out.splitlines()
    assert len(lines) < 60
    assert max(len(line) for line in lines) <= 100
    assert "784 inputs → layer 1: 16 sigmoid neurons → layer 2: 10 softmax outputs" in out
    for node in ("x₁", "x₂", "x₇₈₄", "β¹₁₆", "ŷ₁₀", "784 inputs", "16 neurons", "10 outputs"):
        assert node in out, node
    assert "x₃…x₇₈₃   W1[3..783,1]: 781 weights" in out
    assert "⋮  into β¹₃…β¹₁₅ (13 more neurons): W1[0..784,3..15]" in out
    assert "⋮  into ŷ₃…ŷ₉ (7 more neurons): W2[0..16,3..9]" in out
    assert "785 × 16 (12560 weights" in out
    assert "x₅₀₀" not in out and "W1[500," not in out


def test_every_edge_of_a_small_network_is_drawn():
    out = draw(str(PROBLEMS / "deep_tanh_relu.yaml"))
    names = re.findall(r"W\d\[\d+,\d+\] = ", out)
    assert len(names) == 3 * 3 + 4 * 2 + 3 * 1
    assert "β²₂ = relu(α²₂)" in out and "β¹₃ = tanh(α¹₃)" in out


def test_without_bias_rows_count_from_1(write):
    path = write("x: [1, 2]\ny: [1]\nW1: [[1, -1], [2, 0.5]]\nW2: [[1], [-1]]\nbias: false\nlearning_rate: 1\n")
    out = draw(path)
    assert "+1" not in out
    for label in ("W1[1,1] = 1", "W1[2,2] = 0.5", "W2[1,1] = 1", "W2[2,1] = -1"):
        assert label in out
    assert "W1[0," not in out
    dot_edges = parse_dot(draw(path, "--format", "dot")).get_edges()
    assert len(dot_edges) == 6


@pytest.mark.parametrize("problem", PROBLEM_FILES, ids=lambda p: p.name)
def test_every_shipped_problem_draws_in_every_text_format(problem):
    for fmt in ("text", "dot", "mermaid"):
        out = draw(str(problem), "--format", fmt)
        assert out.endswith("\n") and "nan" not in out


# -- DOT -----------------------------------------------------------------------------------


def parse_dot(text: str):
    pydot = pytest.importorskip("pydot")
    with warnings.catch_warnings():
        # pydot's grammar still uses pyparsing's camelCase names, which newer pyparsing deprecates
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*deprecated - use")
        graphs = pydot.graph_from_dot_data(text)
    assert graphs and len(graphs) == 1
    return graphs[0]


def test_dot_parses_and_holds_every_edge():
    graph = parse_dot(draw("--format", "dot"))
    assert graph.get_type() == "digraph"
    assert graph.get("rankdir") == "LR"
    clusters = graph.get_subgraphs()
    assert [c.get_name() for c in clusters] == ["cluster_0", "cluster_1", "cluster_2"]
    assert [c.get("label") for c in clusters] == ['"input"', '"layer 1\\nsigmoid"', '"layer 2\\nsigmoid"']
    nodes = {n.get_name().strip('"'): n for c in clusters for n in c.get_nodes()}
    assert set(nodes) == {"bias0", "x_1", "x_2", "bias1", "beta1_1", "beta1_2", "y_hat"}
    assert "dashed" in nodes["bias0"].get("style") and nodes["bias0"].get("shape") == "box"
    edges = graph.get_edges()
    assert sorted(e.get("label").strip('"') for e in edges) == sorted(NINE)
    pairs = {(e.get_source().strip('"'), e.get_destination().strip('"')) for e in edges}
    assert ("x_2", "beta1_1") in pairs and ("bias1", "y_hat") in pairs and len(pairs) == 9


def test_dot_colours_by_gradient():
    graph = parse_dot(draw("--format", "dot", "--color-by", "gradient"))
    edges = {e.get("label").strip('"').split(", ")[0]: e for e in graph.get_edges()}
    assert edges["W1[2,1] = 1"].get("color") == '"#1f77b4"'  # dl/dw < 0: blue
    assert edges["W1[2,2] = 4"].get("color") == '"#d62728"'  # dl/dw > 0: red
    # the largest |dl/dw| (W1[2,1]) is the widest edge
    widths = {k: float(e.get("penwidth")) for k, e in edges.items()}
    assert max(widths, key=widths.get) == "W1[2,1] = 1"


def test_dot_of_a_wide_network_parses(wide):
    graph = parse_dot(draw(wide, "--format", "dot"))
    edges = graph.get_edges()
    assert len(edges) == 5 * 4 + 5 * 4  # (bias, 2 first, gap, last) x (2 first, gap, last) per layer
    labels = [e.get("label").strip('"') for e in edges]
    assert "W1[3..783,3..15]: 10153 weights" in labels


def test_dot_quotes_a_title():
    from nnsolve.render import dot

    assert dot.quote('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'


# -- Mermaid -------------------------------------------------------------------------------

MERMAID_EDGE = re.compile(r'^  (\w+) (-->|-\.->)\|"([^"]*)"\| (\w+)$')
MERMAID_NODE = re.compile(r'^    (\w+)(\(\("[^"]*"\)\)|\["[^"]*"\])$')


def check_mermaid(text: str):
    """The shape of a flowchart GitHub renders: front matter, flowchart LR, balanced subgraphs,
    quoted labels, every edge between declared nodes. Returns (nodes, edges)."""
    lines = text.splitlines()
    if lines[0] == "---":
        end = lines.index("---", 1)
        assert all(re.match(r"^title: \".*\"$", line) for line in lines[1:end])
        lines = lines[end + 1:]
    assert lines[0] == "flowchart LR"
    nodes, edges, depth = set(), [], 0
    for line in lines[1:]:
        if line.startswith("  subgraph "):
            assert re.match(r'^  subgraph L\d+\["[^"]*"\]$', line), line
            depth += 1
        elif line == "  end":
            depth -= 1
        elif MERMAID_NODE.match(line):
            assert depth == 1
            nodes.add(MERMAID_NODE.match(line).group(1))
        elif MERMAID_EDGE.match(line):
            source, _, label, target = MERMAID_EDGE.match(line).groups()
            assert source in nodes and target in nodes, line
            edges.append((source, label, target))
        else:
            assert re.match(r"^  (%% .*|linkStyle \d+ \S+|classDef \w+ \S+( \S+)*|class [\w,]+ \w+)$", line), line
        assert depth in (0, 1)
    assert depth == 0
    assert "end" not in nodes  # a reserved word
    return nodes, edges


def test_mermaid_has_every_edge_and_a_valid_shape():
    text = draw("--format", "mermaid")
    nodes, edges = check_mermaid(text)
    assert sorted(label for _, label, _ in edges) == sorted(NINE)
    assert ("x_2", "W1[2,1] = 1", "beta1_1") in edges
    assert 'x_1(("x₁"))' in text and 'bias0["+1"]' in text
    assert "class bias0,bias1 bias" in text
    assert text.startswith('---\ntitle: "1 Neural Network"\n---\n')


def test_mermaid_colours_links_and_summarises(wide):
    text = draw("--format", "mermaid", "--color-by", "weight")
    _, edges = check_mermaid(text)
    styles = re.findall(r"linkStyle (\d+) stroke:(#\w+)", text)
    assert len(styles) == 9
    by_label = {label: k for k, (_, label, _) in enumerate(edges)}
    colours = {int(k): c for k, c in styles}
    assert colours[by_label["W2[2,1] = -4"]] == "#1f77b4" and colours[by_label["W1[2,2] = 4"]] == "#d62728"
    _, wide_edges = check_mermaid(draw(wide, "--format", "mermaid"))
    assert len(wide_edges) == 40
    assert "-.->" in draw(wide, "--format", "mermaid")


def test_the_docs_mermaid_block_is_real_output():
    page = (ROOT / "docs" / "draw.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```mermaid\n(.*?)```", page, re.S)
    assert blocks == [draw("--format", "mermaid")], "docs/draw.md's mermaid block is stale: paste `nnsolve draw --format mermaid`"


def test_mermaid_escapes_quotes():
    from nnsolve.render import mermaid

    assert mermaid.quote('say "hi"') == '"say #quot;hi#quot;"'


# -- SVG and PNG ---------------------------------------------------------------------------


def test_svg_is_xml_with_every_label(tmp_path):
    pytest.importorskip("matplotlib")
    text = draw("--format", "svg")
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for label in NINE + ["1 Neural Network", "+1"]:
        assert label in texts, label
    assert len(list(root.iter("{http://www.w3.org/2000/svg}path"))) >= 7 + 9  # nodes and edges
    assert draw("--format", "svg") == text  # the same bytes every time
    target = tmp_path / "net.svg"
    assert invoke("draw", "--format", "svg", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == text


def test_png_is_a_real_image_of_the_expected_size(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    from nnsolve.render import picture

    target = tmp_path / "net.png"
    result = invoke("draw", "--format", "png", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and f"wrote {target}" in result.stderr
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(str(target))
    assert image.shape[:2] == (630, 1290)
    assert picture.size_pixels(worksheet_diagram()) == (1290, 630)
    assert image[..., :3].var() > 0.005  # not blank
    again = tmp_path / "again.png"
    invoke("draw", "--format", "png", "-o", str(again))
    assert again.read_bytes() == data


def test_png_colours_by_gradient(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    target = tmp_path / "net.png"
    assert invoke("draw", "--format", "png", "-o", str(target), "--color-by", "gradient", "--updated").exit_code == 0
    rgb = imread(str(target))[..., :3]
    blue = (rgb[..., 2] > 0.6) & (rgb[..., 0] < 0.3)
    red = (rgb[..., 0] > 0.7) & (rgb[..., 1] < 0.3) & (rgb[..., 2] < 0.3)
    assert blue.sum() > 500 and red.sum() > 100


def test_png_of_a_wide_network(tmp_path, wide):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    target = tmp_path / "wide.png"
    assert invoke("draw", wide, "--format", "png", "-o", str(target)).exit_code == 0
    height, width = imread(str(target)).shape[:2]
    assert (width, height) == (1290, 900)  # five nodes a column, however wide the layer


def test_readme_picture_is_made_by_nnsolve():
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    picture = ROOT / "docs" / "worksheet.png"
    assert picture.exists(), "make it: nnsolve draw --format png -o docs/worksheet.png"
    assert imread(str(picture)).shape[:2] == (630, 1290)
    assert "](docs/worksheet.png)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_without_matplotlib_the_command_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    target = tmp_path / "net.png"
    for fmt in ("png", "svg"):
        result = invoke("draw", "--format", fmt, "-o", str(target))
        assert_usage_error(result, "needs matplotlib", "install it: ", "[plot]")  # the command: tests/test_newcomer.py
    assert not target.exists()
    assert invoke("draw", "--format", "dot").exit_code == 0  # the text formats need none


# -- writing files and misuse --------------------------------------------------------------


def test_o_writes_plain_text_and_never_overwrites_without_force(tmp_path):
    target = tmp_path / "net.dot"
    result = invoke("draw", "--format", "dot", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    dot_text = target.read_text(encoding="utf-8")
    assert dot_text == draw("--format", "dot")
    assert_usage_error(invoke("draw", "--format", "dot", "-o", str(target), "--updated"), "already exists", "--force")
    assert target.read_text(encoding="utf-8") == dot_text
    assert invoke("draw", "--format", "dot", "-o", str(target), "--updated", "--force").exit_code == 0
    assert "W2[1,1] = 2.0925" in target.read_text(encoding="utf-8")
    text_file = tmp_path / "net.txt"
    assert invoke("draw", "-o", str(text_file)).exit_code == 0
    assert text_file.read_text(encoding="utf-8") == draw()


def test_png_does_not_overwrite_without_force(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "net.png"
    target.write_bytes(b"old")
    assert_usage_error(invoke("draw", "--format", "png", "-o", str(target)), "already exists")
    assert target.read_bytes() == b"old"
    assert invoke("draw", "--format", "png", "-o", str(target), "--force").exit_code == 0
    assert target.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("--format", "jpg"), ("'jpg' is not one of",)),
        (("--format", "png"), ("--format png", "-o FILE")),
        (("--force",), ("--force is for -o FILE",)),
        (("--color-by", "size"), ("'size' is not one of",)),
        (("--digits", "0"), ("--digits",)),
        ((str(ROOT / "tests" / "data" / "bad_shape.yaml"),), ("bad_shape.yaml:4: W1: has 2 rows",)),
        (("no-such-file.yaml",), ("no-such-file.yaml: no such file",)),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, fragments):
    assert_usage_error(invoke("draw", *args), *fragments)


def test_bad_problem_writes_nothing(tmp_path):
    target = tmp_path / "net.png"
    bad = str(ROOT / "tests" / "data" / "bad_shape.yaml")
    assert_usage_error(invoke("draw", bad, "--format", "png", "-o", str(target)), "W1: has 2 rows")
    assert_usage_error(invoke("draw", bad, "--format", "dot", "-o", str(target)), "W1: has 2 rows")
    assert list(tmp_path.iterdir()) == []


def test_draw_help_imports_no_numpy():
    code = (
        "import sys\n"
        "from nnsolve.cli import main\n"
        "try:\n    main(['draw', '--help'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = {'numpy', 'yaml', 'rich', 'matplotlib'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(json.dumps(sorted(heavy)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", "import json\n" + code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(result.stderr) == []
