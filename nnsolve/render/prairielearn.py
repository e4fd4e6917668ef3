"""A PrairieLearn question folder: info.json, question.html and a server.py whose generate()
picks one of the precomputed variants, so PrairieLearn needs no nnsolve."""

from __future__ import annotations

import json
import uuid

from .question import label, math, problem_html

SERVER = '''"""Made by nnsolve new: picks one of its precomputed variants. Needs nothing but Python."""

import random

VARIANTS = {variants}


def generate(data):
    variant = random.choice(VARIANTS)
    data["params"]["variant"] = variant["id"]
    data["params"]["problem_html"] = variant["problem_html"]
    for name, value in variant["correct_answers"].items():
        data["correct_answers"][name] = value
    for name, value in variant["tolerances"].items():
        data["params"][name + "_atol"] = value
'''


def info_json(title: str, question_uuid: uuid.UUID) -> str:
    info = {
        "uuid": str(question_uuid),
        "title": title,
        "topic": "Neural networks",
        "tags": ["nnsolve", "backpropagation"],
        "type": "v3",
    }
    return json.dumps(info, indent=2) + "\n"


def question_html(names) -> str:
    """Each answer's tolerance is its variant's, absolute (params q1_atol, ...: check.answer_width,
    the rule check grades with)."""
    inputs = [
        f'<pl-number-input answers-name="q{n}" label="{math(label(name))}" comparison="relabs" rtol="0" atol="{{{{params.q{n}_atol}}}}"></pl-number-input>'
        for n, name in enumerate(names, start=1)
    ]
    return "<pl-question-panel>\n{{{params.problem_html}}}\n</pl-question-panel>\n\n" + "\n".join(inputs) + "\n"


def server_py(variants) -> str:
    """variants: (id, problem, [(name, answer, tolerance), ...]) each; answers are named q1, q2,
    ... in order."""
    data = [
        {
            "id": variant_id,
            "problem_html": problem_html(problem),
            "correct_answers": {f"q{n}": float(answer) for n, (_, answer, _) in enumerate(answers, start=1)},
            "tolerances": {f"q{n}": float(width) for n, (_, _, width) in enumerate(answers, start=1)},
        }
        for variant_id, problem, answers in variants
    ]
    return SERVER.replace("{variants}", json.dumps(data, indent=4))
