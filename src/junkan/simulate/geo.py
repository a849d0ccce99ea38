"""Countries, institutions and names of the simulated world, from the shipped MPIDR tables."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from junkan.errors import SimulationError

__all__ = ["Geography", "build_geography", "reduce_mpidr", "ror_id", "orcid_id", "issn_with_check"]

log = logging.getLogger(__name__)

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def ror_id(n: int) -> str:
    """A syntactically valid ROR id ('0' + 6 Crockford base32 chars + ISO 7064 mod 97-10 checksum)."""
    n = n % (32**6)
    chars = []
    for _ in range(6):
        chars.append(_CROCKFORD[n % 32])
        n //= 32
    body = "0" + "".join(reversed(chars))
    value = 0
    for ch in body:
        value = value * 32 + _CROCKFORD.index(ch)
    check = 98 - ((value * 100) % 97)
    return f"{body}{check:02d}"


def orcid_id(n: int) -> str:
    """A syntactically valid ORCID iD (ISO 7064 mod 11-2 check digit) in the 0000-0001..0003 range."""
    base = f"{10_000_000 + (n * 7_654_321 + 1_234_567) % 30_000_000:015d}"
    total = 0
    for d in base:
        total = (total + int(d)) * 2
    r = (12 - total % 11) % 11
    check = "X" if r == 10 else str(r)
    s = base + check
    return f"{s[0:4]}-{s[4:8]}-{s[8:12]}-{s[12:16]}"


def issn_with_check(n: int) -> str:
    """A syntactically valid ISSN (mod 11 check digit)."""
    digits = f"{n % 10**7:07d}"
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1)))
    c = (11 - total % 11) % 11
    check = "X" if c == 10 else str(c)
    return f"{digits[:4]}-{digits[4:]}{check}"


def _data_dir() -> Path:
    return Path(str(resources.files("junkan") / "data" / "mpidr"))


def _read_csv(name: str) -> list[dict[str, str]]:
    # The csv module never turns "NA" (Namibia) into a missing value.
    path = _data_dir() / name
    if not path.exists():
        raise SimulationError(f"shipped MPIDR table missing: {path}")
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


_NICE_NAMES = {
    "Korea, Rep.": "South Korea", "Korea, Dem. People's Rep.": "North Korea", "Iran, Islamic Rep.": "Iran",
    "Egypt, Arab Rep.": "Egypt", "Russian Federation": "Russia", "Venezuela, RB": "Venezuela",
    "Hong Kong SAR, China": "Hong Kong", "Macao SAR, China": "Macao", "Slovak Republic": "Slovakia",
    "Yemen, Rep.": "Yemen", "Lao PDR": "Laos", "Syrian Arab Republic": "Syria", "Turkiye": "Turkey",
    "Czechia": "Czech Republic", "Kyrgyz Republic": "Kyrgyzstan", "Congo, Dem. Rep.": "DR Congo",
    "Congo, Rep.": "Congo", "Gambia, The": "Gambia", "Bahamas, The": "Bahamas", "Micronesia, Fed. Sts.": "Micronesia",
    "Viet Nam": "Vietnam", "Brunei Darussalam": "Brunei",
}

# name pools by group (first names, last names)
_NAMES = {
    "jp": (("Hiroshi", "Yuki", "Takashi", "Kenji", "Akiko", "Naoko", "Satoshi", "Yoshiko", "Daisuke", "Haruka", "Makoto", "Emi", "Kazuo", "Mai", "Shinji", "Ayumi", "Tomohiro", "Keiko", "Ryo", "Sachiko"),
           ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue", "Kimura", "Hayashi", "Shimizu", "Mori", "Ikeda", "Hashimoto", "Ishikawa", "Ogawa", "Fujita")),
    "cn": (("Wei", "Fang", "Jing", "Lei", "Min", "Jun", "Yan", "Hui", "Xin", "Tao", "Li", "Ming", "Qiang", "Ying", "Hao", "Yu", "Chen", "Xiaoming", "Jie", "Ping"),
           ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang")),
    "kr": (("Min-jun", "Seo-yeon", "Ji-hoon", "Ha-eun", "Jae-won", "Soo-jin", "Hyun-woo", "Ji-young", "Sung-min", "Eun-ji"),
           ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin")),
    "in": (("Amit", "Priya", "Rahul", "Anjali", "Sanjay", "Deepa", "Vikram", "Kavita", "Arun", "Sunita", "Rajesh", "Neha", "Suresh", "Lakshmi"),
           ("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Rao", "Das", "Mehta", "Joshi", "Verma", "Pillai")),
    "ar": (("Mohammed", "Ahmed", "Fatima", "Ali", "Omar", "Layla", "Hassan", "Noor", "Youssef", "Mariam", "Khaled", "Sara"),
           ("Al-Sayed", "Haddad", "Khalil", "Hassan", "Nasser", "Aziz", "Mansour", "Farouk", "Saleh", "Rahman", "Karimi", "Hosseini")),
    "la": (("Carlos", "Maria", "Juan", "Ana", "Luis", "Lucia", "Jose", "Camila", "Pedro", "Gabriela", "Diego", "Mariana", "Joao", "Beatriz"),
           ("Garcia", "Rodriguez", "Martinez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Silva", "Santos", "Oliveira", "Fernandez", "Costa", "Pereira", "Ramirez")),
    "af": (("Kwame", "Amina", "Chinedu", "Ngozi", "Tendai", "Aisha", "Oluwaseun", "Zanele", "Kofi", "Abena", "Tunde", "Nia"),
           ("Okafor", "Mensah", "Nkosi", "Adeyemi", "Mwangi", "Diallo", "Banda", "Osei", "Abubakar", "Moyo", "Kamau", "Traore")),
    "eu": (("James", "Anna", "Thomas", "Laura", "Michael", "Sophie", "David", "Emma", "Peter", "Julia", "Martin", "Clara", "Daniel", "Elena", "Stefan", "Marie", "Andrew", "Sarah", "Lukas", "Ingrid", "Pierre", "Katarzyna", "Giovanni", "Olga"),
           ("Smith", "Mueller", "Martin", "Rossi", "Johnson", "Schmidt", "Dubois", "Brown", "Jansen", "Nowak", "Novak", "Andersson", "Williams", "Fischer", "Bernard", "Ferrari", "Taylor", "Weber", "Petit", "Larsen", "Ivanov", "Kowalski", "Nielsen", "Meyer", "Wilson", "Moreau")),
}
_GROUP_OF = {"JP": "jp", "CN": "cn", "TW": "cn", "HK": "cn", "MO": "cn", "SG": "cn", "KR": "kr", "IN": "in", "PK": "in", "BD": "in", "LK": "in", "NP": "in"}
_REGION_GROUP = {"Middle East & North Africa": "ar", "Latin America & Caribbean": "la", "Sub-Saharan Africa": "af", "South Asia": "in"}

_INST_TYPES = ("education", "healthcare", "government", "facility", "company", "nonprofit", "other")
_INST_TYPE_P = (0.62, 0.12, 0.08, 0.08, 0.06, 0.03, 0.01)
_ADJ = ("Central", "Northern", "Southern", "Eastern", "Western", "Coastal", "Metropolitan", "National", "Royal", "Federal",
        "Highland", "Riverside", "Capital", "Pacific", "Atlantic", "Lakeside", "Valley", "Imperial", "Polytechnic", "Open")
_NOUN = {
    "education": ("University", "University of Technology", "Institute of Science", "Medical University", "University of Agriculture", "Normal University"),
    "healthcare": ("University Hospital", "General Hospital", "Cancer Center", "Children's Hospital"),
    "government": ("Ministry of Health", "Geological Survey", "Statistics Office", "Environment Agency"),
    "facility": ("Research Institute", "Laboratory for Advanced Materials", "Observatory", "Synchrotron Facility"),
    "company": ("Pharmaceuticals", "Electronics", "Chemical Industries", "Energy Corporation"),
    "nonprofit": ("Foundation", "Research Society"),
    "other": ("Research Consortium",),
}


@dataclass
class Geography:
    """Countries (index-aligned arrays) and institutions of the world."""

    iso2: list[str]
    names: list[str]
    regions: list[str]
    pop: np.ndarray  # (C, T) researcher population shape from MPIDR (Scopus padded population), filled
    out_rate: np.ndarray  # (C, T) yearly out-migration rate (Scopus), filled and capped
    dest: np.ndarray  # (C, C) destination probabilities (row-stochastic, zero diagonal)
    affinity: np.ndarray  # (C, C) symmetric bilateral flow share used for co-authorship partner choice
    mpidr_openalex: dict  # (iso2, year) -> (pop, out_rate, in_rate) as published, for targets
    mpidr_scopus: dict
    name_group: list[str]
    # institutions
    inst_country: np.ndarray  # (I,) country index
    inst_weight: np.ndarray  # (I,) within-country weight
    inst_type: list[str]
    inst_name: list[str]
    inst_id: list[str]
    inst_ror: list[str]
    inst_lineage: list[list[str]]
    inst_country_known: np.ndarray  # (I,) bool; False = the "no country" gap
    country_inst_start: np.ndarray  # (C+1,) offsets of each country's institutions
    country_inst_cum: np.ndarray  # (I,) within-country cumulative weight (0..1]

    @property
    def n(self) -> int:
        return len(self.iso2)

    def index(self, code: str) -> int:
        try:
            return self.iso2.index(code)
        except ValueError:
            raise SimulationError(f"unknown country code {code!r}") from None


def _fill_series(years: list[int], values: dict[int, float], lo: float, hi: float) -> np.ndarray:
    """Interpolate inside the observed range and extrapolate log-linearly (growth clipped to [lo, hi])."""
    ks = sorted(values)
    out = np.zeros(len(years))
    if not ks:
        return out
    xs = np.array(ks, dtype=float)
    ys = np.log(np.maximum(np.array([values[k] for k in ks], dtype=float), 0.5))
    tail = xs >= xs[-1] - 5
    g_end = float(np.polyfit(xs[tail], ys[tail], 1)[0]) if tail.sum() >= 3 else 0.0
    head = xs <= xs[0] + 5
    g_start = float(np.polyfit(xs[head], ys[head], 1)[0]) if head.sum() >= 3 else 0.0
    g_end = min(max(g_end, lo), hi)
    g_start = min(max(g_start, lo), hi)
    for i, y in enumerate(years):
        if y < xs[0]:
            v = ys[0] - g_start * (xs[0] - y)
        elif y > xs[-1]:
            v = ys[-1] + g_end * (y - xs[-1])
        else:
            v = float(np.interp(y, xs, ys))
        out[i] = np.exp(v)
    return out


def build_geography(start_year: int, end_year: int, rng: np.random.Generator, no_country_share: float) -> Geography:
    years = list(range(start_year, end_year + 1))
    rows = _read_csv("country_year.csv")
    by_c: dict[str, dict] = {}
    oa: dict = {}
    sc: dict = {}
    for r in rows:
        c = r["iso2"]
        d = by_c.setdefault(c, {"name": r["name"], "region": r["region"], "pop": {}, "out": {}})
        y = int(r["year"])
        if r["scopus_pop"]:
            d["pop"][y] = float(r["scopus_pop"])
            d["out"][y] = float(r["scopus_out_rate"])
            sc[(c, y)] = (float(r["scopus_pop"]), float(r["scopus_out_rate"]), float(r["scopus_in_rate"]))
        if r["openalex_pop"]:
            oa[(c, y)] = (float(r["openalex_pop"]), float(r["openalex_out_rate"]), float(r["openalex_in_rate"]))
    iso2 = sorted(c for c, d in by_c.items() if d["pop"])
    if len(iso2) > 254:
        raise SimulationError("too many countries for the uint8 country state")
    C, T = len(iso2), len(years)
    pop = np.zeros((C, T))
    out = np.zeros((C, T))
    for i, c in enumerate(iso2):
        d = by_c[c]
        pop[i] = _fill_series(years, d["pop"], -0.05, 0.12)
        # rates: population-weighted mean over available years, then per-year values where known
        ks = sorted(d["out"])
        w = np.array([d["pop"][k] for k in ks])
        rr = np.array([d["out"][k] for k in ks])
        mean_rate = float((w * rr).sum() / max(w.sum(), 1e-9))
        # small countries have noisy rates: shrink towards 0.02 by their population
        shrink = w.sum() / (w.sum() + 2000.0)
        for t, y in enumerate(years):
            raw = d["out"].get(y, mean_rate)
            if d["pop"].get(y, 0) < 200:
                raw = mean_rate
            out[i, t] = shrink * raw + (1 - shrink) * 0.02
    out = np.clip(out, 0.0, 0.08)
    idx = {c: i for i, c in enumerate(iso2)}
    flows = np.zeros((C, C))
    for r in _read_csv("bilateral_flows.csv"):
        a, b = idx.get(r["from_iso2"]), idx.get(r["to_iso2"])
        if a is not None and b is not None and a != b:
            flows[a, b] += float(r["n_migrations_2008_2018"])
    gravity = pop.mean(axis=1) ** 0.7
    prior = np.tile(gravity, (C, 1))
    np.fill_diagonal(prior, 0.0)
    prior /= prior.sum(axis=1, keepdims=True)
    rows_tot = flows.sum(axis=1, keepdims=True)
    dest = np.where(rows_tot > 0, flows / np.maximum(rows_tot, 1e-12), 0.0)
    wobs = rows_tot / (rows_tot + 50.0)
    dest = wobs * dest + (1 - wobs) * prior
    np.fill_diagonal(dest, 0.0)
    dest /= dest.sum(axis=1, keepdims=True)
    sym = flows + flows.T
    affinity = sym / np.maximum(sym.sum(axis=1, keepdims=True), 1e-12)
    names = [_NICE_NAMES.get(by_c[c]["name"], by_c[c]["name"]) for c in iso2]
    regions = [by_c[c]["region"] for c in iso2]
    groups = [_GROUP_OF.get(c, _REGION_GROUP.get(regions[i], "eu")) for i, c in enumerate(iso2)]
    # institutions
    size = pop.max(axis=1)
    n_inst = np.clip(np.round(3 * size**0.3), 1, 150).astype(int)
    inst_country = np.repeat(np.arange(C), n_inst)
    starts = np.concatenate([[0], np.cumsum(n_inst)])
    ranks = np.arange(len(inst_country)) - starts[inst_country]
    weight = 1.0 / (ranks + 1.0) ** 0.9
    cum = np.zeros(len(weight))
    for i in range(C):
        s, e = starts[i], starts[i + 1]
        cw = np.cumsum(weight[s:e])
        cum[s:e] = cw / cw[-1]
    types_idx = rng.choice(len(_INST_TYPES), size=len(inst_country), p=_INST_TYPE_P)
    types_idx[ranks < 2] = 0  # the largest institutions of each country are universities
    known = rng.random(len(inst_country)) >= no_country_share
    known[ranks < 3] = True
    I = len(inst_country)
    perm_mult = 7_368_787
    inst_id = [f"https://openalex.org/I{100_000_000 + (perm_mult * k + 12_345) % 900_000_000}" for k in range(I)]
    inst_ror = [f"https://ror.org/{ror_id(k * 2_654_435_761 + 987_654_321)}" for k in range(I)]
    inst_type = [_INST_TYPES[t] for t in types_idx]
    inst_name = []
    used: set[str] = set()
    for k in range(I):
        c = inst_country[k]
        t = inst_type[k]
        cname = names[c]
        r = int(ranks[k])
        if t == "education" and r == 0:
            nm = f"University of {cname}"
        elif t == "education" and r == 1:
            nm = f"{cname} National University"
        else:
            nouns = _NOUN[t]
            nm = f"{_ADJ[r % len(_ADJ)]} {cname} {nouns[(r // len(_ADJ)) % len(nouns)]}"
            if nm in used:
                nm = f"{nm} {r}"
        used.add(nm)
        inst_name.append(nm)
    parent_pick = rng.random(I)
    lineage = []
    for k in range(I):
        s = starts[inst_country[k]]
        if inst_type[k] in ("facility", "healthcare") and ranks[k] > 0 and parent_pick[k] < 0.5:
            lineage.append([inst_id[k], inst_id[s]])
        else:
            lineage.append([inst_id[k]])
    log.debug("geography: %d countries, %d institutions", C, I)
    return Geography(
        iso2=iso2, names=names, regions=regions, pop=pop, out_rate=out, dest=dest, affinity=affinity,
        mpidr_openalex=oa, mpidr_scopus=sc, name_group=groups,
        inst_country=inst_country, inst_weight=weight, inst_type=inst_type, inst_name=inst_name, inst_id=inst_id,
        inst_ror=inst_ror, inst_lineage=lineage, inst_country_known=known, country_inst_start=starts,
        country_inst_cum=cum,
    )


def name_pool(group: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _NAMES[group]


NAME_GROUPS = tuple(sorted(_NAMES))


def reduce_mpidr(source_dir: str | Path, target_dir: str | Path) -> None:
    """Rebuild the shipped tables from the MPIDR ``data_processed`` folder (see ATTRIBUTION.md)."""
    import collections

    import pyarrow.parquet as pq

    src, dst = Path(source_dir), Path(target_dir)

    def rows(fn: str):
        with open(src / fn, newline="", encoding="utf-8") as fh:
            yield from csv.DictReader(fh)

    iso3_to_2: dict[str, str] = {}
    cy: dict = {}
    for r in rows("scopus_2024_V1_scholarlymigration_country_enriched.csv"):
        if not r["iso2code"]:
            continue
        iso3_to_2[r["iso3code"]] = r["iso2code"]
        key = (r["iso2code"], int(float(r["year"])))
        cy[key] = dict(iso2=r["iso2code"], iso3=r["iso3code"], name=r["countryname"], region=r["region"].strip(), year=key[1],
                       scopus_pop=int(r["padded_population_of_researchers"]), scopus_out_rate=float(r["outmigrationrate"]),
                       scopus_in_rate=float(r["inmigrationrate"]), openalex_pop="", openalex_out_rate="", openalex_in_rate="")
    for r in rows("openalex_2024_V1_scholarlymigration_country_enriched.csv"):
        if not r["iso2code"]:
            continue
        key = (r["iso2code"], int(float(r["year"])))
        d = cy.get(key)
        if d is None:
            d = cy[key] = dict(iso2=r["iso2code"], iso3=r["iso3code"], name=r["countryname"], region=r["region"].strip(),
                               year=key[1], scopus_pop="", scopus_out_rate="", scopus_in_rate="")
        d.update(openalex_pop=int(r["padded_population_of_researchers"]), openalex_out_rate=float(r["outmigrationrate"]),
                 openalex_in_rate=float(r["inmigrationrate"]))
    cols = ["iso2", "iso3", "name", "region", "year", "scopus_pop", "scopus_out_rate", "scopus_in_rate", "openalex_pop",
            "openalex_out_rate", "openalex_in_rate"]
    with open(dst / "country_year.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for k in sorted(cy):
            d = cy[k]
            for c in ("scopus_out_rate", "scopus_in_rate", "openalex_out_rate", "openalex_in_rate"):
                if d.get(c, "") != "":
                    d[c] = f"{d[c]:.6g}"
            w.writerow({c: d.get(c, "") for c in cols})
    t = pq.read_table(src / "scopus_2024_V1_scholarlymigration_countryflows_enriched.parquet",
                      columns=["n_migrations", "year", "iso3codefrom", "iso3codeto"]).to_pylist()
    agg: collections.Counter = collections.Counter()
    for r in t:
        a, b = iso3_to_2.get(r["iso3codefrom"]), iso3_to_2.get(r["iso3codeto"])
        if not a or not b or a == b:
            continue
        if 2008 <= r["year"] <= 2018:
            agg[(a, b)] += r["n_migrations"]
    with open(dst / "bilateral_flows.csv", "w", newline="", encoding="utf-8") as fh:
        w2 = csv.writer(fh, lineterminator="\n")
        w2.writerow(["from_iso2", "to_iso2", "n_migrations_2008_2018"])
        for (a, b), n in sorted(agg.items()):
            if n > 0:
                w2.writerow([a, b, n])
