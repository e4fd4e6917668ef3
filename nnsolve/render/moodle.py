"""Moodle XML: a category, then one numerical question per asked quantity per variant.

The structure is Moodle's documented import format (docs.moodle.org "Moodle XML format"):
<quiz> holding <question type="category"> and <question type="numerical"> elements, each
numerical question with <name><text>, <questiontext format="html"><text>, <answer
fraction="100"><text> and <tolerance>. Text is escaped by the XML writer; the question text is
HTML whose math sits in \\( \\).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .question import label, math, problem_html


def _text(parent: ET.Element, tag: str, text: str, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    ET.SubElement(element, "text").text = text
    return element


def quiz_xml(category: str, variants) -> str:
    """variants: (id, problem, [(name, answer, tolerance), ...]) each; tolerance is absolute
    (check.answer_width: the rule check grades with)."""
    quiz = ET.Element("quiz")
    cat = ET.SubElement(quiz, "question", type="category")
    _text(cat, "category", f"$course$/top/{category}")
    for variant_id, problem, answers in variants:
        statement = problem_html(problem)
        for name, answer, tolerance in answers:
            q = ET.SubElement(quiz, "question", type="numerical")
            _text(q, "name", f"{variant_id} {name}")
            _text(q, "questiontext", f"{statement}\n<p>What is {math(label(name))}?</p>", format="html")
            _text(q, "generalfeedback", "", format="html")
            ET.SubElement(q, "defaultgrade").text = "1"
            ET.SubElement(q, "penalty").text = "0"
            ET.SubElement(q, "hidden").text = "0"
            a = _text(q, "answer", repr(float(answer)), fraction="100", format="moodle_auto_format")
            ET.SubElement(a, "tolerance").text = repr(float(tolerance))
            _text(a, "feedback", "", format="html")
            units = ET.SubElement(q, "unitgradingtype")
            units.text = "0"
            ET.SubElement(q, "showunits").text = "3"
            ET.SubElement(q, "unitsleft").text = "0"
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"
