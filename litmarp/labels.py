"""The words the engine itself puts on slides, handouts and the index, in the project's language
(``lang`` in ``[tool.litmarp]``: ``en``, the default, or ``ja``). A workshop's own words are its lessons'."""

from __future__ import annotations

from litmarp import project

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "stamp": "outputs: site {site} · {when} UTC",
        "pause": "Exercise: pause here for {minutes} minutes while everyone solves it.",
        "exercises": "Exercises",
        "exercise": "Exercise {n}",
        "index": "Slides",
        "lesson": "Lesson",
        "editions": "Editions",
        "source": "Outputs from",
        "instructor": "instructor",
        "instructor_pdf": "instructor PDF",
        "learner": "learner",
        "learner_pdf": "learner PDF",
        "handout": "handout",
    },
    "ja": {
        "stamp": "出力: site {site} · {when} UTC",
        "pause": "演習: ここで {minutes} 分とめて、各自で解いてもらう。",
        "exercises": "演習",
        "exercise": "演習 {n}",
        "index": "スライド一覧",
        "lesson": "レッスン",
        "editions": "版",
        "source": "出力の出どころ",
        "instructor": "講師用",
        "instructor_pdf": "講師用 PDF",
        "learner": "受講者用",
        "learner_pdf": "受講者用 PDF",
        "handout": "配布資料",
    },
}


def lang() -> str:
    """The project's language (``en`` outside any project)."""
    root = project.find_root()
    return project.current(root).lang if root is not None else "en"


def label(key: str, **values: object) -> str:
    """The engine's words for ``key`` in the project's language."""
    return LABELS[lang()][key].format(**values)
