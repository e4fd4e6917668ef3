"""Moodle XML: a category for the assignment, then its variants' questions.

The structure is Moodle's documented import format (docs.moodle.org "Moodle XML format"):
<quiz> holding <question type="category"> and the questions. By default each variant is one
multi-part question (type "cloze", "Embedded answers"): its question text holds every asked
quantity as a numerical part, {1:NUMERICAL:=answer:tolerance}, so a quiz that draws one
question at random from the category gives each student one whole variant. The older form,
one <question type="numerical"> per asked quantity per variant (<answer fraction="100"> with
its <tolerance>), stays for a question bank of single numbers. Text is escaped by the XML
writer; the question text is HTML whose math sits in \\( \\).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .question import label, math, problem_html


def _text(parent: ET.Element, tag: str, text: str, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    ET.SubElement(element, "text").text = text
    return element


FORMS = ("cloze", "numerical")


def quiz_xml(category: str, variants, form: str = "cloze") -> str:
    """variants: (id, problem, [(name, answer, tolerance), ...]) each; tolerance is absolute
    (check.answer_width: the rule check grades with). form: one cloze question per variant, or
    one numerical question per answer."""
    quiz = ET.Element("quiz")
    cat = ET.SubElement(quiz, "question", type="category")
    _text(cat, "category", f"$course$/top/{category}")
    for variant_id, problem, answers in variants:
        statement = problem_html(problem)
        if form == "cloze":
            parts = "\n".join(
                f"<p>{math(label(name))} = {{1:NUMERICAL:={_number(answer)}:{_number(tolerance)}}}</p>"
                for name, answer, tolerance in answers
            )
            q = ET.SubElement(quiz, "question", type="cloze")
            _text(q, "name", variant_id)
            _text(q, "questiontext", f"{statement}\n{parts}", format="html")
            _text(q, "generalfeedback", "", format="html")
            ET.SubElement(q, "penalty").text = "0"
            ET.SubElement(q, "hidden").text = "0"
            continue
        for name, answer, tolerance in answers:
            q = ET.SubElement(quiz, "question", type="numerical")
            _text(q, "name", f"{variant_id} {name}")
            _text(q, "questiontext", f"{statement}\n<p>What is {math(label(name))}?</p>", format="html")
            _text(q, "generalfeedback", "", format="html")
            ET.SubElement(q, "defaultgrade").text = "1"
            ET.SubElement(q, "penalty").text = "0"
            ET.SubElement(q, "hidden").text = "0"
            a = _text(q, "answer", _number(answer), fraction="100", format="moodle_auto_format")
            ET.SubElement(a, "tolerance").text = _number(tolerance)
            _text(a, "feedback", "", format="html")
            units = ET.SubElement(q, "unitgradingtype")
            units.text = "0"
            ET.SubElement(q, "showunits").text = "3"
            ET.SubElement(q, "unitsleft").text = "0"
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def _number(value: float) -> str:
    """A number as Moodle reads it: full precision, a decimal point, an exponent as 1e-05."""
    return repr(float(value))
