"""The doctor's report: checks, lesson steps, and their rendering (pure) for a slide or a terminal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kit.errors import CheckFailed


@dataclass(frozen=True)
class Check:
    """One line of the doctor's table: what was found, or what is missing and what to do."""

    name: str
    ok: bool
    detail: str
    required: bool = False  # this site cannot run the workshop without it


@dataclass(frozen=True)
class Step:
    """A lesson step and whether it runs for real on this machine."""

    name: str
    runs: bool
    why: str


@dataclass(frozen=True)
class Report:
    """Everything :func:`run_checks` found."""

    site: str
    site_description: str
    site_source: str  # how the site was chosen: --site, $KIT_SITE, default (local)
    site_files: tuple[str, ...]
    checks: tuple[Check, ...]
    steps: tuple[Step, ...]

    @property
    def missing(self) -> list[Check]:
        """Required checks that failed."""
        return [c for c in self.checks if c.required and not c.ok]

    @property
    def ok(self) -> bool:
        return not self.missing

    def raise_for_missing(self) -> None:
        """Raise :class:`CheckFailed` (exit code 1) naming the required pieces that are missing."""
        if not self.ok:
            raise CheckFailed(f"missing for site {self.site}: {', '.join(c.name for c in self.missing)}",
                              hint="see the table above: each line says what to install or change")

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError if none)."""
        return {c.name: c for c in self.checks}[name]

    def step(self, name: str) -> Step:
        """The step called ``name`` (KeyError if none)."""
        return {s.name: s for s in self.steps}[name]


_MARK = {True: "✓", False: "✗"}


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report, *, checks: bool = True, steps: bool = True) -> str:
    """The report as Markdown tables for a slide: the checks, then the steps (leave one out to fit a slide)."""
    lines: list[str] = []
    if checks:
        files = ", ".join(f"`{Path(f).name}`" for f in report.site_files)
        lines += [f"**site: {report.site}** ({report.site_source}; {files}) — {_md(report.site_description)}", "",
                  "| check | | found | required |", "|---|---|---|---|"]
        for c in report.checks:
            lines.append(f"| {c.name} | {_MARK[c.ok]} | {_md(c.detail)} | {'yes' if c.required else ''} |")
    if steps:
        lines += ["", "| lesson step | runs here | why |", "|---|---|---|"]
        lines += [f"| {s.name} | {'yes' if s.runs else 'no'} | {_md(s.why)} |" for s in report.steps]
    if report.missing:
        lines += ["", f"**missing (required): {', '.join(c.name for c in report.missing)}**"]
    return "\n".join(lines).strip("\n")


def render_text(report: Report) -> str:
    """The report as aligned text for a terminal."""
    out = [f"site: {report.site} ({report.site_source}: {', '.join(report.site_files)})",
           f"      {report.site_description}", ""]
    width = max(len(c.name) for c in report.checks)
    for c in report.checks:
        req = "  [required]" if c.required and not c.ok else ""
        out.append(f"{_MARK[c.ok]} {c.name:<{width}}  {c.detail}{req}")
    out += ["", "lesson steps on this machine:"]
    width = max(len(s.name) for s in report.steps)
    out += [f"  {'run ' if s.runs else 'skip'}  {s.name:<{width}}  {s.why}" for s in report.steps]
    out += ["", "OK: every required piece is here" if report.ok
            else f"MISSING (required): {', '.join(c.name for c in report.missing)}"]
    return "\n".join(out)
