"""Program definitions: read and validate a YAML file (see docs/programs.md for the format).

Every error is a :class:`~junkan.errors.BadInputError` naming the file, the line and the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from junkan.errors import BadInputError

__all__ = [
    "FunderSelector",
    "InstitutionSelector",
    "Program",
    "Project",
    "load_programs",
    "parse_programs",
]

_ID_RE = {"F": re.compile(r"^F\d+$"), "I": re.compile(r"^I\d+$")}
_ROR_RE = re.compile(r"^0[a-z0-9]{6}\d{2}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_PROGRAM_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# Constructs Python's re accepts but DuckDB's RE2 does not: look-arounds and back-references.
_NOT_RE2 = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]|\(\?P=")


@dataclass(frozen=True)
class FunderSelector:
    """A funder by OpenAlex id (``F…``) or by a case-insensitive regular expression on its name."""

    id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class InstitutionSelector:
    """An institution by OpenAlex id (``I…``), ROR id or a case-insensitive regex on its name, optionally only
    for some publication years. ``children`` (default true): also every institution whose ``lineage`` (the
    institution and its parents, institutions table) contains a matched institution."""

    id: str | None = None
    ror: str | None = None
    name: str | None = None
    years: tuple[int | None, int | None] = (None, None)
    children: bool = True


@dataclass(frozen=True)
class Project:
    """One project of a program: its own award patterns (or the program's funders) and partner countries."""

    id: str
    name: str | None = None
    awards: tuple[str, ...] = ()
    partner_countries: tuple[str, ...] = ()
    years: tuple[int | None, int | None] = (None, None)


@dataclass(frozen=True)
class Program:
    """A program: funders/awards and/or institutions and/or projects (docs/programs.md)."""

    id: str
    name: str | None = None
    country: str | None = None
    years: tuple[int | None, int | None] = (None, None)
    funders: tuple[FunderSelector, ...] = ()
    awards: tuple[str, ...] = ()
    institutions: tuple[InstitutionSelector, ...] = ()
    projects: tuple[Project, ...] = ()
    partner_countries: tuple[str, ...] = ()
    notes: str | None = None
    source: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def declared_partners(self) -> tuple[str, ...]:
        """Partner countries of the program and of all its projects (sorted, distinct)."""
        out = set(self.partner_countries)
        for p in self.projects:
            out.update(p.partner_countries)
        return tuple(sorted(out))


# ---------------------------------------------------------------------------------------------------------------
# YAML with line numbers


@dataclass
class _N:
    value: Any
    line: int


def _walk(loader: yaml.SafeLoader, node: yaml.Node, file: str) -> _N:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _N] = {}
        for k, v in node.value:
            key = loader.construct_object(k, deep=True)
            if not isinstance(key, str):
                raise BadInputError(f"keys must be strings, got {key!r}", file=file, line=k.start_mark.line + 1)
            if key in out:
                raise BadInputError(f"duplicate key {key!r}", file=file, line=k.start_mark.line + 1, field=key)
            out[key] = _walk(loader, v, file)
        return _N(out, line)
    if isinstance(node, yaml.SequenceNode):
        return _N([_walk(loader, v, file) for v in node.value], line)
    return _N(loader.construct_object(node, deep=True), line)


def _compose(text: str, file: str) -> _N | None:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _walk(loader, node, file)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BadInputError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", file=file,
                            line=mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()


# ---------------------------------------------------------------------------------------------------------------
# validation helpers


class _Ctx:
    def __init__(self, file: str) -> None:
        self.file = file

    def err(self, msg: str, n: _N, key: str | None = None) -> BadInputError:
        return BadInputError(msg, file=self.file, line=n.line, field=key)

    def mapping(self, n: _N, what: str, allowed: Iterable[str], key: str | None = None) -> dict[str, _N]:
        if not isinstance(n.value, dict):
            raise self.err(f"{what} must be a mapping (key: value), got {_kind(n.value)}", n, key)
        allowed = tuple(allowed)
        for k, v in n.value.items():
            if k not in allowed:
                raise self.err(f"unknown key {k!r} in {what}. Hint: allowed keys are {', '.join(allowed)}", v, k)
        return n.value

    def seq(self, n: _N, key: str) -> list[_N]:
        if isinstance(n.value, list):
            return n.value
        if isinstance(n.value, (str, int, dict)):
            return [n]  # a single item may be written without a list
        raise self.err(f"must be a list, got {_kind(n.value)}", n, key)

    def text(self, n: _N, key: str) -> str:
        if not isinstance(n.value, str) or not n.value.strip():
            raise self.err(f"must be a non-empty string, got {_kind(n.value)}", n, key)
        return n.value.strip()

    def regex(self, n: _N, key: str) -> str:
        pat = self.text(n, key)
        try:
            re.compile(pat)
        except re.error as exc:
            raise self.err(f"invalid regular expression {pat!r}: {exc}", n, key) from None
        if _NOT_RE2.search(pat):
            raise self.err(f"regular expression {pat!r} uses a look-around or back-reference, which DuckDB "
                           "(RE2) does not support", n, key)
        return pat

    def country(self, n: _N, key: str) -> str:
        c = n.value.strip().upper() if isinstance(n.value, str) else None
        if not c or not _COUNTRY_RE.match(c):
            raise self.err(f"{n.value!r} is not an ISO 3166-1 alpha-2 country code (e.g. JP)", n, key)
        return c

    def countries(self, n: _N, key: str) -> tuple[str, ...]:
        if isinstance(n.value, str) and "," in n.value:
            return tuple(sorted({self.country(_N(p, n.line), key) for p in n.value.split(",") if p.strip()}))
        return tuple(sorted({self.country(x, key) for x in self.seq(n, key)}))

    def years(self, n: _N, key: str) -> tuple[int | None, int | None]:
        v = n.value
        if isinstance(v, bool):
            raise self.err("years must be YYYY, YYYY-YYYY, YYYY- or -YYYY", n, key)
        if isinstance(v, int):
            return (v, v)
        m = re.fullmatch(r"\s*(\d{4})?\s*(-)?\s*(\d{4})?\s*", str(v)) if isinstance(v, str) else None
        if not m or not (m.group(1) or m.group(3)) or (not m.group(2) and m.group(3)):
            raise self.err(f"years {v!r} must be YYYY, YYYY-YYYY, YYYY- or -YYYY", n, key)
        lo = int(m.group(1)) if m.group(1) else None
        hi = int(m.group(3)) if m.group(3) else (lo if not m.group(2) else None)
        if lo is not None and hi is not None and lo > hi:
            raise self.err(f"years {v!r}: the first year is after the last", n, key)
        return (lo, hi)

    def openalex_id(self, n: _N, key: str, prefix: str) -> str:
        v = self.text(n, key)
        short = v.rsplit("/", 1)[-1] if v.lower().startswith("https://openalex.org/") else v
        short = short[:1].upper() + short[1:]
        if not _ID_RE[prefix].match(short):
            raise self.err(f"{v!r} is not an OpenAlex {prefix}… id (e.g. {prefix}4320334764)", n, key)
        return short

    def ror(self, n: _N, key: str) -> str:
        v = self.text(n, key).lower()
        short = v.rsplit("/", 1)[-1] if v.startswith("https://ror.org/") else v
        if not _ROR_RE.match(short):
            raise self.err(f"{v!r} is not a ROR id (9 characters such as 00hj8s172, or https://ror.org/…)", n, key)
        return short


def _kind(v: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(v), type(v).__name__ if v is not None
                                                                     else "nothing")


_PROGRAM_KEYS = ("id", "name", "country", "years", "funders", "awards", "institutions", "projects",
                 "partner_countries", "notes")


def _funder(c: _Ctx, n: _N) -> FunderSelector:
    if isinstance(n.value, str):  # shorthand: an id if it looks like one, else a name pattern
        v = n.value.strip()
        if re.fullmatch(r"(https://openalex\.org/)?[Ff]\d+", v):
            return FunderSelector(id=c.openalex_id(n, "funders", "F"))
        return FunderSelector(name=c.regex(n, "funders"))
    m = c.mapping(n, "a funder", ("id", "name"), "funders")
    if ("id" in m) == ("name" in m):
        raise c.err("a funder needs exactly one of 'id' (F…) or 'name' (regular expression)", n, "funders")
    if "id" in m:
        return FunderSelector(id=c.openalex_id(m["id"], "id", "F"))
    return FunderSelector(name=c.regex(m["name"], "name"))


def _institution(c: _Ctx, n: _N) -> InstitutionSelector:
    if isinstance(n.value, str):
        v = n.value.strip()
        if re.fullmatch(r"(https://openalex\.org/)?[Ii]\d+", v):
            return InstitutionSelector(id=c.openalex_id(n, "institutions", "I"))
        return InstitutionSelector(ror=c.ror(n, "institutions"))
    m = c.mapping(n, "an institution", ("id", "ror", "name", "years", "children"), "institutions")
    given = [k for k in ("id", "ror", "name") if k in m]
    if len(given) != 1:
        raise c.err("an institution needs exactly one of 'id' (I…), 'ror' or 'name' (regular expression)", n,
                    "institutions")
    yrs = c.years(m["years"], "years") if "years" in m else (None, None)
    children = True
    if "children" in m:
        if not isinstance(m["children"].value, bool):
            raise c.err(f"children must be true or false, got {m['children'].value!r}", m["children"], "children")
        children = m["children"].value
    if "id" in m:
        return InstitutionSelector(id=c.openalex_id(m["id"], "id", "I"), years=yrs, children=children)
    if "ror" in m:
        return InstitutionSelector(ror=c.ror(m["ror"], "ror"), years=yrs, children=children)
    return InstitutionSelector(name=c.regex(m["name"], "name"), years=yrs, children=children)


def _project(c: _Ctx, n: _N, seen: set[str]) -> Project:
    m = c.mapping(n, "a project", ("id", "name", "awards", "partner_countries", "years"), "projects")
    if "id" not in m:
        raise c.err("a project needs an 'id'", n, "projects")
    pid = str(m["id"].value).strip()
    if not pid:
        raise c.err("empty project id", m["id"], "id")
    if pid in seen:
        raise c.err(f"duplicate project id {pid!r}", m["id"], "id")
    seen.add(pid)
    return Project(
        id=pid,
        name=c.text(m["name"], "name") if "name" in m else None,
        awards=tuple(c.regex(x, "awards") for x in c.seq(m["awards"], "awards")) if "awards" in m else (),
        partner_countries=c.countries(m["partner_countries"], "partner_countries") if "partner_countries" in m
        else (),
        years=c.years(m["years"], "years") if "years" in m else (None, None),
    )


def _program(c: _Ctx, n: _N) -> Program:
    m = c.mapping(n, "a program", _PROGRAM_KEYS, "programs")
    if "id" not in m:
        raise c.err("a program needs an 'id'", n, "programs")
    pid = str(m["id"].value).strip() if m["id"].value is not None else ""
    if not _PROGRAM_ID_RE.match(pid):
        raise c.err(f"program id {m['id'].value!r} must start with a letter or digit and contain only letters, "
                    "digits, '_', '.' and '-'", m["id"], "id")
    funders = tuple(_funder(c, x) for x in c.seq(m["funders"], "funders")) if "funders" in m else ()
    awards = tuple(c.regex(x, "awards") for x in c.seq(m["awards"], "awards")) if "awards" in m else ()
    insts = tuple(_institution(c, x) for x in c.seq(m["institutions"], "institutions")) if "institutions" in m \
        else ()
    seen: set[str] = set()
    projects = tuple(_project(c, x, seen) for x in c.seq(m["projects"], "projects")) if "projects" in m else ()
    if not (funders or awards or insts or projects):
        raise c.err(f"program {pid!r} selects no papers. Hint: give 'funders' and/or 'awards', 'institutions' or "
                    "'projects'", n, "programs")
    for p in projects:
        if not p.awards and not (funders or awards):
            raise c.err(f"project {p.id!r} of program {pid!r} has no 'awards' and the program has no 'funders' or "
                        "'awards' to select its papers", n, "projects")
        if not p.awards and not p.partner_countries:
            raise c.err(f"project {p.id!r} of program {pid!r} needs 'awards' or 'partner_countries' (otherwise it "
                        "is the whole program)", n, "projects")
    return Program(
        id=pid,
        name=c.text(m["name"], "name") if "name" in m else None,
        country=c.country(m["country"], "country") if "country" in m else None,
        years=c.years(m["years"], "years") if "years" in m else (None, None),
        funders=funders,
        awards=awards,
        institutions=insts,
        projects=projects,
        partner_countries=c.countries(m["partner_countries"], "partner_countries") if "partner_countries" in m
        else (),
        notes=c.text(m["notes"], "notes") if "notes" in m else None,
        source={"file": c.file, "line": n.line},
    )


def parse_programs(text: str, *, file: str = "<string>") -> list[Program]:
    """Parse program definitions from YAML ``text`` (``file`` is used in error messages)."""
    c = _Ctx(file)
    root = _compose(text, file)
    if root is None:
        raise BadInputError("the file is empty. Hint: it needs a top-level 'programs:' list", file=file)
    top = c.mapping(root, "the file", ("version", "programs", "notes"))
    if "version" in top and top["version"].value != 1:
        raise c.err(f"unsupported version {top['version'].value!r}; this junkan reads version 1", top["version"],
                    "version")
    if "programs" not in top:
        raise c.err("missing top-level key 'programs'", root, "programs")
    items = top["programs"]
    if not isinstance(items.value, list) or not items.value:
        raise c.err("'programs' must be a non-empty list", items, "programs")
    out: list[Program] = []
    ids: dict[str, int] = {}
    for x in items.value:
        p = _program(c, x)
        if p.id in ids:
            raise c.err(f"duplicate program id {p.id!r} (first at line {ids[p.id]})", x, "id")
        ids[p.id] = x.line
        out.append(p)
    return out


def load_programs(path: str | os.PathLike[str]) -> list[Program]:
    """Read and validate the program definitions in the YAML file ``path``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputError("no such file", file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise BadInputError(f"not UTF-8 text: {exc}", file=str(p)) from None
    return parse_programs(text, file=str(p))
