"""Phases 2 and 3: citation counts from the spilled references, then OpenAlex-shaped JSON Lines
(works and author entities) written as gzip parts with mtime 0 (byte-identical reruns).

Records are not built as dicts: each line is the concatenation of pre-rendered orjson fragments (institution,
source, topic and author objects, authorship states) and of fixed-width byte strings built with numpy (ids,
dates, DOIs), joined once per batch of works. The bytes are exactly those ``orjson.dumps(record)`` gives for
the same record (tested)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import orjson

from junkan.simulate.geo import name_pool, NAME_GROUPS
from junkan.simulate.world import World, hash_u01, unique_sorted
from junkan.simulate.works import FUNDERS, SOURCE_TYPES, TYPES, Venues

try:  # ISA-L gzip (python-isal): same format as zlib's, several times faster
    from isal.igzip import IGzipFile as _GzipFile

    GZIP_BACKEND = "isal"
except ImportError:  # pragma: no cover - fallback without the optional accelerator
    _GzipFile = gzip.GzipFile
    GZIP_BACKEND = "zlib"
_GZ_LEVEL = 1

__all__ = ["count_chunk", "write_chunk", "write_authors", "work_id", "author_id", "N_CBY"]

N_CBY = 10  # counts_by_year covers the last ten years, as in OpenAlex
_LANGS = ("en", "zh", "ja", "de", "fr", "es", "pt")
_MONTH_START = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_TITLE_HEADS = ("A study of", "Insights into", "On the role of", "New evidence on", "Towards", "Revisiting",
                "Mechanisms of", "Large-scale analysis of", "Modelling", "A framework for", "Trends in",
                "The impact of", "Quantifying", "Understanding", "Design and evaluation of", "Observations of")
_TITLE_TAILS = ("", " in practice", " across populations", ": a systematic review", " at scale", " under uncertainty",
                ": a multicentre study", " revisited", " and its implications", ": new results")


def work_id(g: int) -> str:
    return f"https://openalex.org/W{4_000_000_000 + (g * 7_777_777 + 13) % 1_000_000_000}"


def author_id(s: int) -> str:
    return f"https://openalex.org/A{5_000_000_000 + (s * 3_333_331 + 7) % 1_000_000_000}"


def funder_id(k: int) -> str:
    return f"https://openalex.org/F{4_320_300_000 + k * 1_117}"


class _GzOut:
    """A gzip member written with mtime 0, no file name and a fixed level (byte-identical reruns). Uses ISA-L
    (python-isal) when installed: several times faster than zlib at level 1, same format."""

    def __init__(self, path: Path) -> None:
        self.fh = open(path, "wb")
        self.gz = _GzipFile(filename="", mode="wb", fileobj=self.fh, compresslevel=_GZ_LEVEL, mtime=0)

    def write(self, data: bytes) -> None:
        self.gz.write(data)

    def close(self) -> None:
        try:
            self.gz.close()
        finally:
            self.fh.close()


def _gz_open(path: Path) -> _GzOut:
    return _GzOut(path)


def snapshot_dates(w: World) -> list[str]:
    y = w.params.end_year + 1
    return [f"{y}-01-15", f"{y}-02-15", f"{y}-03-15"]


# --------------------------------------------------------------------------------------------- phase 2


def count_chunk(w: World, cj: int, tmpdir: Path) -> dict:
    """Citations received by the works of chunk ``cj`` from every chunk's references."""
    g0, g1 = int(w.chunk_start[cj]), int(w.chunk_start[cj + 1])
    n = g1 - g0
    cited, years = [], []
    for ci in range(w.n_chunks):
        with np.load(tmpdir / f"edges_{ci:06d}.npz") as z:
            offs = z["offs"]
            a, b = int(offs[cj]), int(offs[cj + 1])
            if b > a:
                cited.append(z["cited"][a:b] - g0)
                years.append(z["year"][a:b].astype(np.int64))
    loc = np.concatenate(cited) if cited else np.zeros(0, np.int64)
    cy = np.concatenate(years) if years else np.zeros(0, np.int64)
    total = np.bincount(loc, minlength=n).astype(np.int64)
    y0 = w.params.end_year - N_CBY + 1
    rec = cy >= y0
    by_year = np.bincount(loc[rec] * N_CBY + (cy[rec] - y0), minlength=n * N_CBY).reshape(n, N_CBY)
    with np.load(tmpdir / f"chunk_{cj:06d}.npz") as z:
        t = z["t"]
        f = z["f"]
    pub = w.years[t]
    inwin = cy <= pub[loc] + 3
    win = np.bincount(loc[inwin], minlength=n).astype(np.int64)
    np.savez(tmpdir / f"counts_{cj:06d}.npz", total=total, by_year=by_year.astype(np.int32), win=win)
    F = len(w.tax.field_ids)
    tf = t * F + f
    key = tf.astype(np.int64) * (1 << 32) + total
    uk, cnt = np.unique(key, return_counts=True)
    return {"hist_key": uk, "hist_n": cnt, "win_sum": np.bincount(tf, weights=win, minlength=len(w.years) * F),
            "n": np.bincount(tf, minlength=len(w.years) * F), "cites": int(total.sum())}


def build_percentiles(w: World, results: list[dict]) -> dict:
    F = len(w.tax.field_ids)
    keys = np.concatenate([r["hist_key"] for r in results])
    ns = np.concatenate([r["hist_n"] for r in results])
    o = np.argsort(keys, kind="stable")
    keys, ns = keys[o], ns[o]
    uk, inv = np.unique(keys, return_inverse=True)
    cnt = np.bincount(inv, weights=ns).astype(np.int64)
    tf = uk >> 32
    n_tf = np.bincount(tf, weights=cnt, minlength=len(w.years) * F).astype(np.int64)
    # n_less for each (tf, count): cumulative within tf
    cum = np.cumsum(cnt)
    first = np.searchsorted(tf, tf, side="left")
    before = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0)
    n_less = cum - cnt - before
    win_sum = sum(r["win_sum"] for r in results)
    n = sum(r["n"] for r in results)
    return {"keys": uk, "n_less": n_less, "n_tf": n_tf, "win_mean": win_sum / np.maximum(n, 1)}


# --------------------------------------------------------------------------------------------- phase 3


class _Cache:
    """Pre-built JSON-ready objects shared by all records of a worker."""

    def __init__(self, w: World, venues: Venues) -> None:
        geo, tax = w.geo, w.tax
        self.inst = []
        self.inst_raw = []
        for i in range(len(geo.inst_id)):
            c = int(geo.inst_country[i])
            code = geo.iso2[c] if geo.inst_country_known[i] else None
            self.inst.append({"id": geo.inst_id[i], "display_name": geo.inst_name[i], "ror": geo.inst_ror[i],
                              "country_code": code, "type": geo.inst_type[i], "lineage": geo.inst_lineage[i]})
            self.inst_raw.append(f"{geo.inst_name[i]}, {geo.names[c]}")
        self.inst_code = [o["country_code"] for o in self.inst]
        dom = {d: {"id": f"https://openalex.org/domains/{d}", "display_name": nm} for d, nm in
               __import__("junkan.simulate.taxonomy", fromlist=["DOMAINS"]).DOMAINS.items()}
        self.field = [{"id": f"https://openalex.org/fields/{fid}", "display_name": tax.field_names[i]}
                      for i, fid in enumerate(tax.field_ids)]
        self.field_dom = [dom[d] for d in tax.field_domain]
        self.sub = [{"id": f"https://openalex.org/subfields/{sid}", "display_name": tax.subfield_names[i]}
                    for i, sid in enumerate(tax.subfield_ids)]
        self.topic_id = [f"https://openalex.org/T{tid}" for tid in tax.topic_ids]
        self.topic_name = list(tax.topic_names)
        self.topic_sub = list(tax.topic_subfield)
        self.sub_field = list(tax.subfield_field)
        self.sub_topics = [list(x) for x in tax.subfield_topics]
        self.field_subs = [list(x) for x in tax.field_subfields]
        self.source = []
        for k in range(len(venues.names)):
            self.source.append({"id": venues.ids[k], "display_name": venues.names[k], "issn_l": venues.issn[k],
                                "issn": [venues.issn[k]] if venues.issn[k] else None, "is_oa": bool(venues.type[k] == 2),
                                "is_in_doaj": False, "is_core": bool(venues.core[k]),
                                "type": SOURCE_TYPES[int(venues.type[k])]})
        self.doi_prefix = venues.doi_prefix
        self.funder = [{"id": funder_id(k), "display_name": nm,
                        "ror": f"https://ror.org/{__import__('junkan.simulate.geo', fromlist=['ror_id']).ror_id(900_000 + k * 31_337)}"}
                       for k, (nm, _) in enumerate(FUNDERS)]
        self.funder_by_name = {nm: k for k, (nm, _) in enumerate(FUNDERS)}
        self.pools = [name_pool(g) for g in NAME_GROUPS]
        self.iso2 = geo.iso2


_CACHE: dict = {}


def _cache(w: World, venues: Venues) -> _Cache:
    key = id(w)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _Cache(w, venues)
    return _CACHE[key]


def researcher_name(cache: _Cache, group: int, first: int, last: int) -> str:
    fp, lp = cache.pools[group]
    return f"{fp[first % len(fp)]} {lp[last % len(lp)]}"


# ---- byte-level rendering helpers (phase 3): every record is assembled from pre-rendered JSON fragments
# (orjson output of the same objects, so the bytes are those orjson.dumps(record) would give)

def _digits(x: np.ndarray, width: int) -> np.ndarray:
    """(k, width) ASCII digits of non-negative integers, zero padded."""
    x = np.asarray(x, dtype=np.int64)
    out = np.empty((len(x), width), dtype=np.uint8)
    for c in range(width - 1, -1, -1):
        q = x // 10
        out[:, c] = x - q * 10 + 48
        x = q
    return out


def _fixed(k: int, *pieces) -> list[bytes]:
    """k fixed-width byte strings, each the concatenation of ``pieces`` (constant bytes or (k, w) uint8 arrays)."""
    widths = [len(p) if isinstance(p, bytes) else p.shape[1] for p in pieces]
    W = sum(widths)
    mat = np.empty((k, W), dtype=np.uint8)
    c = 0
    for p, wd in zip(pieces, widths):
        mat[:, c:c + wd] = np.frombuffer(p, dtype=np.uint8)[None, :] if isinstance(p, bytes) else p
        c += wd
    return mat.view(f"S{W}").ravel().tolist()  # no piece ends in NUL, so nothing is stripped


def _dumps(obj) -> bytes:
    """orjson.dumps, copied into an exactly sized bytes object (orjson's own result keeps a >= 4 KB buffer,
    which matters for fragments that are kept)."""
    return bytes(memoryview(orjson.dumps(obj)))


def _vals(values: list) -> list[bytes]:
    """orjson renderings of scalars (numbers, bools, None), one call for the whole list."""
    if not values:
        return []
    return orjson.dumps(values)[1:-1].split(b",")


def _obj(values) -> np.ndarray:
    a = np.empty(len(values), dtype=object)
    a[:] = values
    return a


def orcid_digits(r: np.ndarray) -> np.ndarray:
    """Vectorised :func:`junkan.simulate.geo.orcid_id` as (k, 19) ASCII ('0000-000d-dddd-dddc')."""
    base = 10_000_000 + (np.asarray(r, dtype=np.int64) * 7_654_321 + 1_234_567) % 30_000_000
    d = _digits(base, 15)
    total = np.zeros(len(base), dtype=np.int64)
    for k in range(15):
        total = (total + (d[:, k].astype(np.int64) - 48)) * 2
    rr = (12 - total % 11) % 11
    chk = np.where(rr == 10, ord("X"), rr + 48).astype(np.uint8)
    s = np.concatenate([d, chk[:, None]], axis=1)
    dash = np.full((len(base), 1), ord("-"), dtype=np.uint8)
    return np.concatenate([s[:, 0:4], dash, s[:, 4:8], dash, s[:, 8:12], dash, s[:, 12:16]], axis=1)


# an authorship starts with its position; all but the first of a work start with the ',' separator
_POS_B = (b'{"author_position":"first","author":{"id":"https://openalex.org/A',
          b',{"author_position":"middle","author":{"id":"https://openalex.org/A',
          b',{"author_position":"last","author":{"id":"https://openalex.org/A')
_CORR_B = (b'false,"raw_author_name":"', b'true,"raw_author_name":"')
_BOOL_B = (b"false", b"true")


class _Frags:
    """Pre-rendered JSON fragments of the objects repeated across records (built once per worker)."""

    def __init__(self, w: World, cache: "_Cache") -> None:
        dumps = orjson.dumps
        tax = w.tax
        nt = len(tax.topic_ids)
        self.topic_head = _obj([dumps({"id": cache.topic_id[k], "display_name": cache.topic_name[k]})[:-1] + b',"score":'
                                for k in range(nt)])
        self.topic_tail = _obj([b"," + dumps({"subfield": cache.sub[s], "field": cache.field[cache.sub_field[s]],
                                             "domain": cache.field_dom[cache.sub_field[s]]})[1:]
                                for s in range(len(tax.subfield_ids))])
        self.topic_sub = np.array(tax.topic_subfield, dtype=np.int64)
        t2 = np.empty(nt, dtype=np.int64)
        for tp in range(nt):
            sts = cache.sub_topics[cache.topic_sub[tp]]
            t2[tp] = sts[(sts.index(tp) + 1) % len(sts)]
        self.topic_next = t2
        nsf = len(tax.subfield_ids)
        sf3 = np.empty(nsf, dtype=np.int64)
        for sf in range(nsf):
            subs = cache.field_subs[cache.sub_field[sf]]
            sf3[sf] = subs[(subs.index(sf) + 1) % len(subs)]
        self.sub_next = sf3
        mx = max(len(x) for x in cache.sub_topics)
        self.sub_topics = np.array([list(x) + [0] * (mx - len(x)) for x in cache.sub_topics], dtype=np.int64)
        self.sub_ntop = np.array([len(x) for x in cache.sub_topics], dtype=np.int64)
        self.src_oa = [_BOOL_B[int(s["is_oa"])] for s in cache.source]
        self.src_tail = []  # per source: (not preprint, preprint)
        for s in cache.source:
            pair = []
            for prep in (False, True):
                pair.append(b',"pdf_url":null,"source":' + dumps(s) + b',"license":null,"version":'
                            + (b'"submittedVersion"' if prep else b'"publishedVersion"')
                            + b',"is_accepted":' + _BOOL_B[not prep] + b',"is_published":' + _BOOL_B[not prep] + b"}")
            self.src_tail.append(tuple(pair))
        self.doi_prefix = np.array([int(x.split(".", 1)[1]) for x in cache.doi_prefix], dtype=np.int64)
        if self.doi_prefix.min() < 1000 or self.doi_prefix.max() > 9999:
            raise AssertionError("DOI prefixes must have four digits")
        self.type_b = [_dumps(t) for t in TYPES]
        self.lang_b = [_dumps(x) for x in _LANGS]
        self.aff: dict[int, tuple[bytes, bytes]] = {}  # two-institution authorship states, rendered on demand
        self.inst_country = np.where(w.geo.inst_country_known, w.geo.inst_country, -1).astype(np.int64)
        self.n_inst = len(w.geo.inst_id)
        esc = [(_obj([dumps(x)[1:-1] for x in fp]), _obj([dumps(x)[1:-1] for x in lp])) for fp, lp in cache.pools]
        self.names = esc
        # institutions: author-entity affiliation object (its own key order) and last-known object
        keys = ("id", "ror", "display_name", "country_code", "type", "lineage")
        self.aff_inst = _obj([_dumps({k: io[k] for k in keys}) for io in cache.inst])
        self.lki = _obj([_dumps(io) for io in cache.inst])
        # authorship states with one institution (or none), rendered up front; two institutions on demand
        NI = self.n_inst
        single = [self.affiliation(cache, c) if c % 4 != 3 else (b"", b"") for c in range(4 * NI)]
        self.aff_a = _obj([x[0] for x in single])
        self.aff_b = _obj([x[1] for x in single])
        # titles: '"<head> <topic>' by (head, topic) and '<tail>"'
        self.title_ht = _obj([dumps(f"{h} {tn.lower()}")[:-1] for h in _TITLE_HEADS for tn in cache.topic_name])
        self.title_tail = _obj([dumps(x)[1:] for x in _TITLE_TAILS])
        if any(not h[:1].isupper() for h in _TITLE_HEADS):
            raise AssertionError("title heads must start with a capital letter")

    def names_of(self, w: World, r: np.ndarray) -> np.ndarray:
        out = np.empty(len(r), dtype=object)
        grp = w.name_group[r]
        for g in np.unique(grp).tolist():
            sel = np.flatnonzero(grp == g)
            fp, lp = self.names[g]
            rs = r[sel]
            out[sel] = fp[w.name_first[rs].astype(np.int64) % len(fp)] + b" " + lp[w.name_last[rs].astype(np.int64) % len(lp)]
        return out

    def affiliation(self, cache: "_Cache", code: int) -> tuple[bytes, bytes]:
        """(b'},"institutions":…,"is_corresponding":', b'","raw_affiliation_strings":…}') of an authorship state."""
        hit = self.aff.get(code)
        if hit is not None:
            return hit
        NI = self.n_inst
        if code >= 4 * NI:
            i1, i2 = divmod(code - 4 * NI, NI)
            mode = 3
        else:
            i1, mode = divmod(code, 4)
        if mode == 2:
            insts, countries, raw, affs = [], [], [], []
        elif mode == 1:
            insts, countries = [], []
            raw = [cache.inst_raw[i1]]
            affs = [{"raw_affiliation_string": raw[0], "institution_ids": []}]
        else:
            io = cache.inst[i1]
            insts = [io]
            raw = [cache.inst_raw[i1]]
            affs = [{"raw_affiliation_string": raw[0], "institution_ids": [io["id"]]}]
            c1 = io["country_code"]
            countries = [c1] if c1 else []
            if mode == 3:
                io2 = cache.inst[i2]
                insts.append(io2)
                r2 = cache.inst_raw[i2]
                raw.append(r2)
                affs.append({"raw_affiliation_string": r2, "institution_ids": [io2["id"]]})
                c2 = io2["country_code"]
                if c2 and c2 not in countries:
                    countries.append(c2)
                    countries.sort()
        dumps = orjson.dumps
        res = (b'},"institutions":' + dumps(insts) + b',"countries":' + dumps(countries) + b',"is_corresponding":',
               b'","raw_affiliation_strings":' + dumps(raw) + b',"affiliations":' + dumps(affs) + b"}")
        if mode == 3:
            self.aff[code] = res
        return res


_FRAGS: dict = {}


def _frags(w: World, cache: "_Cache") -> _Frags:
    key = id(w)
    if key not in _FRAGS:
        _FRAGS.clear()
        _FRAGS[key] = _Frags(w, cache)
    return _FRAGS[key]


_BATCH = 500  # works rendered and compressed at a time (bounds the memory of a chunk's text; cache friendly)


def _date_d(yr: np.ndarray, m: np.ndarray, d: np.ndarray) -> list:
    dash = np.full((len(yr), 1), 45, np.uint8)
    return [_digits(yr, 4), dash, _digits(m, 2), dash, _digits(d, 2)]


def _biblio(seed: int, gidx: np.ndarray, wtype: np.ndarray, yr: np.ndarray, mo: np.ndarray) -> list[bytes]:
    """``,"biblio":{...}`` of every work (OpenAlex keeps page numbers as strings).

    Page counts by type (``works.TYPES``): articles mostly 4–20 pages with 6 % of 1–2-page items (letters,
    editorials, meeting abstracts) and 4 % of 3-page items; reviews 8–37; book chapters 10–34; proceedings papers
    4–12 with 15 % of 1–3-page items (posters, demos, student abstracts); preprints have no biblio. 8 % of the
    others have no pages and 10 % of articles/reviews an article number (``e12345``, no last page), which the
    page-count filter must keep (METHODS §0.2, §8.1). Volume = year − 1950 for journals, year − 1986 for
    proceedings (AAAI-24 = vol. 38); issue = month for journal articles and reviews.
    """
    u1, u2, u3 = (hash_u01(seed, salt, gidx) for salt in (35, 36, 37))
    length = np.select(
        [wtype == 1, wtype == 2, wtype == 4],
        [8 + (u2 * 30).astype(np.int64), 10 + (u2 * 25).astype(np.int64),
         np.where(u1 < 0.15, 1 + (u2 * 3).astype(np.int64), 4 + (u2 * 9).astype(np.int64))],
        np.where(u1 < 0.06, 1 + (u2 * 2).astype(np.int64),
                 np.where(u1 < 0.10, 3, 4 + (u2 * 17).astype(np.int64))),
    )
    first = 1 + ((u2 * 7919.0) % 1.0 * 3000).astype(np.int64)
    last = first + length - 1
    journal = wtype <= 1
    volume = np.where(journal, yr - 1950, np.where(wtype == 4, yr - 1986, -1))
    no_pages = u3 < 0.08
    art_no = journal & (u3 >= 0.08) & (u3 < 0.18)
    out: list[bytes] = []
    for wt, v, m, f, la, npg, an in zip(wtype.tolist(), volume.tolist(), mo.tolist(), first.tolist(), last.tolist(),
                                        no_pages.tolist(), art_no.tolist()):
        if wt == 3:
            out.append(b',"biblio":{"volume":null,"issue":null,"first_page":null,"last_page":null}')
            continue
        vb = b'"%d"' % v if v > 0 else b"null"
        ib = b'"%d"' % m if wt <= 1 else b"null"
        if npg:
            fb, lb = b"null", b"null"
        elif an:
            fb, lb = b'"e%05d"' % (f * 7 % 100_000), b"null"
        else:
            fb, lb = b'"%d"' % f, b'"%d"' % la
        out.append(b',"biblio":{"volume":%s,"issue":%s,"first_page":%s,"last_page":%s}' % (vb, ib, fb, lb))
    return out


def write_chunk(w: World, venues: Venues, ci: int, tmpdir: Path, out_path: Path, pct: dict, snap_date: str) -> dict:
    p = w.params
    cache = _cache(w, venues)
    fr = _frags(w, cache)
    g0, g1 = int(w.chunk_start[ci]), int(w.chunk_start[ci + 1])
    n = g1 - g0
    z = dict(np.load(tmpdir / f"chunk_{ci:06d}.npz"))
    cnt = dict(np.load(tmpdir / f"counts_{ci:06d}.npz"))
    F = len(w.tax.field_ids)
    t, f = z["t"], z["f"]
    total = cnt["total"]
    tf = t * F + f
    key = tf.astype(np.int64) * (1 << 32) + total
    ki = np.searchsorted(pct["keys"], key)
    pval = pct["n_less"][ki] / np.maximum(pct["n_tf"][tf], 1)
    wm = pct["win_mean"][tf]
    fwci = np.where(wm > 0, cnt["win"] / np.where(wm > 0, wm, 1), 0.0)
    gidx = np.arange(g0, g1, dtype=np.int64)
    hu = hash_u01(p.seed, 31, gidx)
    pct_null = hu < p.citation_percentile_null_share
    fwci_null = (z["wtype"] == 3) | (hash_u01(p.seed, 32, gidx) < 0.05)
    hu2 = hash_u01(p.seed, 33, gidx)
    hu3 = hash_u01(p.seed, 34, gidx)
    a_start, a_res, a_slot = z["a_start"], z["a_res"], z["a_slot"]
    na = len(a_res)
    R = w.n_researchers
    a_paper = np.repeat(np.arange(n), np.diff(a_start))

    # ---- per author slot of the chunk: '<digits>","display_name":"<name>","orcid":<orcid>' and the name
    slots_u, inv = np.unique(a_slot, return_inverse=True)
    inv = inv.ravel()
    owner = slots_u.copy()
    sp = slots_u >= R
    if sp.any():
        sr = np.flatnonzero(w.split_slot >= 0)
        ss = w.split_slot[sr]
        o = np.argsort(ss)
        owner[sp] = sr[o][np.searchsorted(ss[o], slots_u[sp])]
    ns = len(slots_u)
    aid_d = _digits(5_000_000_000 + (slots_u * 3_333_331 + 7) % 1_000_000_000, 10)
    aid_q = _obj(_fixed(ns, b'"https://openalex.org/A', aid_d, b'"'))
    name_b = fr.names_of(w, owner)
    has_orc = (~sp) & w.has_orcid[owner]
    orc = np.full(ns, b"null", dtype=object)
    if has_orc.any():
        orc[has_orc] = _fixed(int(has_orc.sum()), b'"https://orcid.org/', orcid_digits(owner[has_orc]), b'"')
    auth_obj = _obj(_fixed(ns, aid_d, b'","display_name":"')) + name_b + b'","orcid":' + orc

    # ---- per authorship: position, affiliation state; distinct institutions and countries per work
    pos = np.ones(na, dtype=np.int64)
    pos[a_start[1:] - 1] = 2
    pos[a_start[:-1]] = 0
    noinst, raw_only = z["noinst"], z["raw_only"]
    inst1, inst2 = z["inst1"].astype(np.int64), z["inst2"].astype(np.int64)
    NI = fr.n_inst
    mode = np.where(noinst, np.where(raw_only, 1, 2), np.where(inst2 >= 0, 3, 0))
    code = np.where(mode == 3, 4 * NI + inst1 * NI + np.maximum(inst2, 0), np.where(mode == 2, 2, inst1 * 4 + mode))
    corr = z["corr"].astype(np.int64)
    has1 = ~noinst
    has2 = has1 & (inst2 >= 0)
    ip = np.concatenate([a_paper[has1], a_paper[has2]])
    ii = np.concatenate([inst1[has1], inst2[has2]])
    idc = np.bincount(unique_sorted(ip * NI + ii) // NI, minlength=n).tolist()
    ic = fr.inst_country[ii]
    kc = ic >= 0
    cdc = np.bincount(unique_sorted(ip[kc] * 256 + ic[kc]) // 256, minlength=n).tolist()
    pos_b = np.array(_POS_B, dtype=object)
    corr_b = np.array(_CORR_B, dtype=object)

    # ---- per work numbers
    yr = w.years[t].astype(np.int64)
    doy = z["doy"].astype(np.int64)
    mo = np.searchsorted(_MONTH_START, doy, side="right")
    day = doy - _MONTH_START[mo - 1] + 1
    ckey = np.maximum(yr * 10_000 + mo * 100 + day, 20160624)
    x = (gidx * 2_654_435_761 + 12_345) % 86_400_000_000
    sec_, usec = np.divmod(x, 1_000_000)
    hh, rem = np.divmod(sec_, 3600)
    mm, ss_ = np.divmod(rem, 60)
    tp = z["topic"].astype(np.int64)
    sf = fr.topic_sub[tp]
    t2 = fr.topic_next[tp]
    sf3 = fr.sub_next[sf]
    t3 = fr.sub_topics[sf3, (hu2 * 1000).astype(np.int64) % fr.sub_ntop[sf3]]
    titles_all = (fr.title_ht[((hu2 * 7919).astype(np.int64) % len(_TITLE_HEADS)) * len(cache.topic_name) + tp]
                  + fr.title_tail[(hu3 * 104729).astype(np.int64) % len(_TITLE_TAILS)])
    src = z["source"].astype(np.int64)
    wtype = z["wtype"].astype(np.int64)
    has_doi = z["has_doi"]
    lang = z["lang"].astype(np.int64)
    retr, para = z["retracted"].astype(np.int64), z["paratext"].astype(np.int64)
    pv_top1, pv_top10 = (pval >= 0.99).astype(np.int64), (pval >= 0.9).astype(np.int64)
    y_cby0 = p.end_year - (N_CBY - 1)
    by_year = cnt["by_year"][:, ::-1]
    ref_start = z["ref_start"]
    ref_cited = z["ref_cited"].astype(np.int64)
    RW = 35  # ',"https://openalex.org/W##########"'

    # funding per paper
    funders_of: dict[int, list] = {}
    bf = z["base_fund"]
    for i in np.flatnonzero(bf >= 0).tolist():
        funders_of[i] = [(int(bf[i]), None)]
    for i, r in zip(z["grant_paper"].tolist(), z["grant_res"].tolist()):
        prog = w.programs[int(w.prog[r])]
        if prog.spec.funder is None:
            continue
        fk = cache.funder_by_name[prog.spec.funder]
        aw = prog.award[int(w.prog_member_row[r])]
        lst = funders_of.setdefault(i, [])
        if (fk, aw) not in lst:
            lst.append((fk, aw))
    hu3_l = hu3.tolist()
    fund_b: list = [b"[]"] * n
    award_b: list = [b"[]"] * n
    for i, lst in funders_of.items():
        funders, awards = [], []
        for fk, aw in lst:
            fo = cache.funder[fk]
            if fo not in funders:
                funders.append(fo)
            if aw is None and hu3_l[i] < 0.7:
                aw = f"{fk:02d}-{int(hu3_l[i] * 1e7):07d}"
            if aw:
                awards.append({"id": f"https://openalex.org/G{1_000_000_000 + zlib.crc32(f'{fk}|{aw}'.encode()) % 9_000_000_000}",
                               "display_name": None, "funder_award_id": aw, "funder_id": fo["id"],
                               "funder_display_name": fo["display_name"]})
        fund_b[i] = _dumps(funders)
        award_b[i] = _dumps(awards)

    biblio_b = _obj(_biblio(p.seed, gidx, z["wtype"].astype(np.int64), yr, mo))
    th, ttl = fr.topic_head, fr.topic_tail
    type_b, lang_b = _obj(fr.type_b), _obj(fr.lang_b)
    src_oa = _obj(fr.src_oa)
    src_tail = np.empty((len(fr.src_tail), 2), dtype=object)
    for k, (a, b) in enumerate(fr.src_tail):
        src_tail[k, 0], src_tail[k, 1] = a, b
    bool_b = _obj(list(_BOOL_B))
    # corresponding authors: the first authorship of every work, sometimes also the last
    first_j = a_start[:-1]
    last_j = a_start[1:] - 1
    is_end = np.zeros(na, dtype=bool)
    is_end[first_j] = True
    is_end[last_j] = True
    if not corr[first_j].all() or corr[~is_end].any():
        raise AssertionError("corresponding authors must be the first (and possibly the last) authorship")
    corr_last = (last_j > first_j) & (corr[last_j] > 0)
    fund_o, award_o = _obj(fund_b), _obj(award_b)
    total_l = total.tolist()
    nref_l = np.diff(ref_start).tolist()
    nbytes_raw = 0
    gz = _gz_open(out_path)
    try:
        for b0 in range(0, n, _BATCH):
            b1 = min(n, b0 + _BATCH)
            k = b1 - b0
            bs = slice(b0, b1)
            # authorships: 6 fragments each
            j0, j1 = int(a_start[b0]), int(a_start[b1])
            nj = j1 - j0
            cb = code[j0:j1]
            two = cb >= 4 * NI
            fa = fr.aff_a[np.where(two, 0, cb)]
            fb = fr.aff_b[np.where(two, 0, cb)]
            for j in np.flatnonzero(two).tolist():
                fa[j], fb[j] = fr.affiliation(cache, int(cb[j]))
            sl = inv[j0:j1]
            rows = np.empty((nj, 6), dtype=object)
            rows[:, 0] = pos_b[pos[j0:j1]]
            rows[:, 1] = auth_obj[sl]
            rows[:, 2] = fa
            rows[:, 3] = corr_b[corr[j0:j1]]
            rows[:, 4] = name_b[sl]
            rows[:, 5] = fb
            cl = corr_last[bs]
            c2 = np.full(k, b"", dtype=object)
            c2[cl] = b"," + aid_q[inv[last_j[b0:b1][cl]]]
            # references: slices of a fixed-width buffer
            r0, r1 = int(ref_start[b0]), int(ref_start[b1])
            rc = ref_cited[r0:r1]
            ref_buf = b"".join(_fixed(len(rc), b',"https://openalex.org/W',
                                      _digits(4_000_000_000 + (rc * 7_777_777 + 13) % 1_000_000_000, 10), b'"'))
            rsl = (ref_start[b0:b1 + 1] - r0).tolist()
            refs = [ref_buf[a * RW + 1:b * RW] for a, b in zip(rsl[:-1], rsl[1:])]
            # counts by year (last ten years, non-zero, descending)
            byb = by_year[bs]
            cr, cc = np.nonzero(byb)
            if len(cr):
                cby = [b'{"year":%d,"cited_by_count":%d}' % (y, c) for y, c in
                       zip((y_cby0 + N_CBY - 1 - cc).tolist(), byb[cr, cc].tolist())]
                cst = np.searchsorted(cr, np.arange(k + 1)).tolist()
                cbys = [b",".join(cby[a:b]) for a, b in zip(cst[:-1], cst[1:])]
            else:
                cbys = b""
            # ids, dates, doi
            gb = gidx[bs]
            wid_d = _digits(4_000_000_000 + (gb * 7_777_777 + 13) % 1_000_000_000, 10)
            wid = _fixed(k, b'{"id":"https://openalex.org/W', wid_d, b'","doi":')
            pub = _fixed(k, b',"publication_year":', _digits(yr[bs], 4), b',"publication_date":"',
                         *_date_d(yr[bs], mo[bs], day[bs]), b'","ids":')
            cre = _fixed(k, b',"created_date":"', *_date_d(ckey[bs] // 10_000, ckey[bs] // 100 % 100, ckey[bs] % 100),
                         b'T00:00:00"}\n')
            colon = np.full((k, 1), 58, np.uint8)
            upd = _fixed(k, b'],"updated_date":"' + snap_date.encode() + b"T", _digits(hh[bs], 2), colon, _digits(mm[bs], 2),
                         colon, _digits(ss_[bs], 2), b".", _digits(usec[bs], 6), b'"')
            hd = has_doi[bs]
            dsel, nsel = np.flatnonzero(hd), np.flatnonzero(~hd)
            doi = np.full(k, b"null", dtype=object)
            plid = np.empty(k, dtype=object)
            idsb = np.empty(k, dtype=object)
            if len(dsel):
                tailp = [_digits(fr.doi_prefix[src[b0 + dsel]], 4), b"/sim.", _digits(yr[b0 + dsel], 4), b".",
                         _digits(gb[dsel], 9)]
                doi[dsel] = _fixed(len(dsel), b'"https://doi.org/10.', *tailp, b'"')
                plid[dsel] = _fixed(len(dsel), b',"primary_location":{"id":"doi:10.', *tailp, b'","is_oa":')
                idsb[dsel] = _fixed(len(dsel), b'{"openalex":"https://openalex.org/W', wid_d[dsel],
                                    b'","doi":"https://doi.org/10.', *tailp, b'"},"language":')
            if len(nsel):
                plid[nsel] = _fixed(len(nsel), b',"primary_location":{"id":"simulated:W', wid_d[nsel], b'","is_oa":')
                idsb[nsel] = _fixed(len(nsel), b'{"openalex":"https://openalex.org/W', wid_d[nsel], b'"},"language":')
            s1f = [round(0.9 + 0.099 * u, 4) for u in hu2[bs].tolist()]
            s2 = _vals([round(s * 0.8, 4) for s in s1f])
            s3 = _vals([round(s * 0.6, 4) for s in s1f])
            s1 = _vals(s1f)
            fw = _vals([None if nl else round(v, 4) for nl, v in zip(fwci_null[bs].tolist(), fwci[bs].tolist())])
            pvv = _vals([round(v, 6) for v in pval[bs].tolist()])
            pv = [b"null" if nl else b'{"value":%s,"is_in_top_1_percent":%s,"is_in_top_10_percent":%s}' % (v, a, b)
                  for nl, v, a, b in zip(pct_null[bs].tolist(), pvv, bool_b[pv_top1[bs]].tolist(),
                                         bool_b[pv_top10[bs]].tolist())]
            sb = src[bs]
            hp = th[tp[bs]]
            tl1 = ttl[sf[bs]]
            before = (wid, doi, b',"title":', titles_all[bs], b',"display_name":', titles_all[bs], pub, idsb,
                      lang_b[lang[bs]], plid, src_oa[sb], b',"landing_page_url":', doi,
                      src_tail[sb, (wtype[bs] == 3).astype(np.int64)], b',"type":', type_b[wtype[bs]],
                      b',"authorships":[')
            after = (b'],"countries_distinct_count":', _vals(cdc[bs]), b',"institutions_distinct_count":', _vals(idc[bs]),
                     b',"corresponding_author_ids":[', aid_q[inv[first_j[b0:b1]]], c2, b'],"fwci":', fw,
                     b',"cited_by_count":', _vals(total_l[bs]), b',"citation_normalized_percentile":', pv,
                     b',"is_retracted":', bool_b[retr[bs]], b',"is_paratext":', bool_b[para[bs]], biblio_b[bs],
                     b',"primary_topic":', hp, s1, tl1, b',"topics":[', hp, s1, tl1, b",", th[t2[bs]], s2, tl1, b",",
                     th[t3[bs]], s3, ttl[sf3[bs]], b'],"funders":', fund_o[bs], b',"awards":', award_o[bs],
                     b',"referenced_works_count":', _vals(nref_l[bs]), b',"referenced_works":[', refs,
                     b'],"counts_by_year":[', cbys, upd, cre)
            # one flat list of fragments for the batch: [before | 6 per authorship | after] per work
            A, FIX = len(before), len(before) + len(after)
            na_w = np.diff(a_start[b0:b1 + 1])
            base = np.arange(k, dtype=np.int64) * FIX + 6 * (a_start[b0:b1] - j0)
            out = np.empty(k * FIX + 6 * nj, dtype=object)
            for m_, item in enumerate(before):
                out[base + m_] = item
            tail0 = base + A + 6 * na_w
            for m_, item in enumerate(after):
                out[tail0 + m_] = item
            jw = np.repeat(np.arange(k), na_w)  # work of each authorship in the batch
            apos = (base[jw] + A + 6 * (np.arange(nj) - (a_start[b0:b1] - j0)[jw]))[:, None] + np.arange(6)[None, :]
            out[apos.ravel()] = rows.ravel()
            ol = out.tolist()
            data = b"".join(ol)
            nbytes_raw += len(data)
            gz.write(data)
    finally:
        gz.close()

    # author aggregates
    a_paper = np.repeat(np.arange(n), np.diff(a_start))
    a_t = t[a_paper]
    pair = unique_sorted(a_paper.astype(np.int64) * (1 << 40) + a_slot)
    ps, pp = pair % (1 << 40), pair >> 40
    us, wc = np.unique(ps, return_counts=True)
    cs = np.bincount(np.searchsorted(us, ps), weights=total[pp], minlength=len(us)).astype(np.int64)
    bit = (np.int64(1) << a_t.astype(np.int64))
    prim = np.where(~z["noinst"], bit, 0)
    sec = np.where(z["inst2"] >= 0, bit, 0)
    o = np.argsort(a_res, kind="stable")
    rs = a_res[o]
    starts = np.flatnonzero(np.r_[True, rs[1:] != rs[:-1]])
    return {
        "chunk": ci, "path": out_path, "records": n, "bytes": out_path.stat().st_size, "raw_bytes": nbytes_raw,
        "slot": us, "slot_works": wc, "slot_cites": cs,
        "res": rs[starts], "any_mask": np.bitwise_or.reduceat(bit[o], starts) if na else np.zeros(0, np.int64),
        "prim_mask": np.bitwise_or.reduceat(prim[o], starts) if na else np.zeros(0, np.int64),
        "sec_mask": np.bitwise_or.reduceat(sec[o], starts) if na else np.zeros(0, np.int64),
    }




# --------------------------------------------------------------------------------------------- authors


_AUTHOR_T = (b'{"id":%s,"orcid":%s,"display_name":"%s","display_name_alternatives":["%s"],"works_count":%d,'
             b'"cited_by_count":%d,"ids":%s,"affiliations":[%s],"last_known_institutions":[%s],"updated_date":%s,'
             b'"created_date":"2023-07-21"}\n')


def write_authors(w: World, venues: Venues, lo: int, hi: int, out_path: Path, agg: dict, date: str) -> dict:
    """Author entities for slots [lo, hi) that have at least one work."""
    cache = _cache(w, venues)
    fr = _frags(w, cache)
    R = w.n_researchers
    works = agg["works"]
    cites = agg["cites"]
    prim_mask, sec_mask = agg["prim_mask"], agg["sec_mask"]
    T = len(w.years)
    y0 = w.params.start_year
    # contributors of each slot (rows): the main researcher, then merged-in namesakes (by researcher index),
    # each with the years in which the slot shows their works
    slots = lo + np.flatnonzero(works[lo:hi] > 0)
    ns = len(slots)
    main_r = slots.copy()
    spl = slots >= R
    main_r[spl] = agg["split_owner"][slots[spl] - R]
    sy = w.split_year[main_r].astype(np.int64)
    ya = np.where(spl, sy, y0)
    yb = np.where(spl, y0 + T - 1, np.where(sy > 0, sy - 1, y0 + T - 1))
    mt = agg["merge_target"]
    mb = agg["merge_source"]
    i0, i1 = np.searchsorted(mt, [lo, hi])
    m_t, m_b = mt[i0:i1], mb[i0:i1]
    keep = np.isin(m_t, slots)
    m_t, m_b = m_t[keep], m_b[keep]
    row_slot = np.concatenate([slots, m_t])
    row_sub = np.concatenate([np.zeros(ns, np.int64), 1 + np.arange(len(m_t))])
    row_r = np.concatenate([main_r, m_b]).astype(np.int64)
    row_a = np.concatenate([ya, np.full(len(m_t), y0)])
    row_b = np.concatenate([yb, np.full(len(m_t), y0 + T - 1)])
    o = np.lexsort((row_sub, row_slot))
    row_slot, row_r, row_a, row_b = row_slot[o], row_r[o], row_a[o], row_b[o]
    # all (row, year, institution) triples, primary then secondary
    tt = np.arange(T)
    inwin = (tt[None, :] >= (row_a - y0)[:, None]) & (tt[None, :] <= (row_b - y0)[:, None])
    pbit = ((prim_mask[row_r][:, None] >> tt[None, :]) & 1).astype(bool) & inwin
    sbit = ((sec_mask[row_r][:, None] >> tt[None, :]) & 1).astype(bool) & inwin
    ri, ti = np.nonzero(pbit)
    cc = w.country[row_r[ri], ti].astype(np.int64)
    okc = cc != 255
    ri, ti, cc = ri[okc], ti[okc], cc[okc]
    pinst = w.inst_of(row_r[ri], cc).astype(np.int64) if len(ri) else np.zeros(0, np.int64)
    si, sti = np.nonzero(sbit)
    sinst = w.sec_inst[row_r[si]].astype(np.int64)
    oks = sinst >= 0
    si, sti, sinst = si[oks], sti[oks], sinst[oks]
    K = np.concatenate([ri, si]).astype(np.int64)
    TY = np.concatenate([ti, sti]).astype(np.int64)
    II = np.concatenate([pinst, sinst])
    S = np.searchsorted(slots, row_slot[K])  # slot position 0..ns-1
    NI = fr.n_inst
    # affiliations: distinct (slot, institution, year); sorted by most recent year, then institution
    u = unique_sorted((S * NI + II) * T + TY)
    us_, ui_, uy_ = u // (NI * T), (u // T) % NI, u % T
    g_first = np.r_[True, (us_[1:] != us_[:-1]) | (ui_[1:] != ui_[:-1])] if len(u) else np.zeros(0, bool)
    gid = np.cumsum(g_first) - 1
    ng = int(g_first.sum())
    g_s, g_i = us_[g_first], ui_[g_first]
    g_max = np.zeros(ng, np.int64)
    np.maximum.at(g_max, gid, uy_)
    # years descending inside each group
    yo = np.lexsort((-uy_, gid))
    yb_ = [b"%d" % y for y in (uy_[yo] + y0).tolist()]
    ys = np.searchsorted(gid[yo], np.arange(ng + 1)).tolist()
    aff_items = fr.aff_inst[g_i]
    go = np.lexsort((g_i, -g_max, g_s))
    aff_b = [b'{"institution":%s,"years":[%s]}' % (aff_items[g], b",".join(yb_[ys[g]:ys[g + 1]])) for g in go.tolist()]
    a_st = np.searchsorted(g_s[go], np.arange(ns + 1)).tolist()
    affs = [b",".join(aff_b[a:b]) for a, b in zip(a_st[:-1], a_st[1:])]
    # last known institutions: those of the latest year, in order of first appearance (row, institution)
    if len(S):
        smax = np.full(ns, -1, np.int64)
        np.maximum.at(smax, S, TY)
        at = TY == smax[S]
        lk_s, lk_k, lk_i = S[at], K[at], II[at]
        lo_ = np.lexsort((lk_i, lk_k, lk_s))
        lk_s, lk_i = lk_s[lo_], lk_i[lo_]
        # drop repeats of an institution within a slot (keep the first)
        key = lk_s * NI + lk_i
        ko = np.argsort(key, kind="stable")
        dup = np.zeros(len(key), bool)
        dup[ko[1:]] = key[ko][1:] == key[ko][:-1]
        lk_s, lk_i = lk_s[~dup], lk_i[~dup]
    else:
        lk_s = lk_i = np.zeros(0, np.int64)
    lk_b = fr.lki[lk_i].tolist()
    l_st = np.searchsorted(lk_s, np.arange(ns + 1)).tolist()
    lks = [b",".join(lk_b[a:b]) for a, b in zip(l_st[:-1], l_st[1:])]
    # ids, names, orcids, dates
    aid_d = _digits(5_000_000_000 + (slots * 3_333_331 + 7) % 1_000_000_000, 10)
    aid = _fixed(ns, b'"https://openalex.org/A', aid_d, b'"')
    names = fr.names_of(w, main_r).tolist()
    has_orc = (~spl) & w.has_orcid[main_r]
    orc = np.full(ns, b"null", dtype=object)
    ids = np.empty(ns, dtype=object)
    if has_orc.any():
        od = orcid_digits(main_r[has_orc])
        orc[has_orc] = _fixed(int(has_orc.sum()), b'"https://orcid.org/', od, b'"')
        ids[has_orc] = _fixed(int(has_orc.sum()), b'{"openalex":"https://openalex.org/A', aid_d[has_orc],
                              b'","orcid":"https://orcid.org/', od, b'"}')
    no = ~has_orc
    if no.any():
        ids[no] = _fixed(int(no.sum()), b'{"openalex":"https://openalex.org/A', aid_d[no], b'"}')
    x = (slots * 2_654_435_761 + 12_345) % 86_400_000_000
    sec_, usec = np.divmod(x, 1_000_000)
    hh, rem = np.divmod(sec_, 3600)
    mm, ss_ = np.divmod(rem, 60)
    colon = np.full((ns, 1), 58, np.uint8)
    upd = _fixed(ns, b'"' + date.encode() + b"T", _digits(hh, 2), colon, _digits(mm, 2), colon, _digits(ss_, 2), b".",
                 _digits(usec, 6), b'"')
    gz = _gz_open(out_path)
    try:
        for b0 in range(0, ns, 5000):
            b1 = min(ns, b0 + 5000)
            bs = slice(b0, b1)
            gz.write(b"".join([_AUTHOR_T % row for row in zip(
                aid[bs], orc[bs].tolist(), names[bs], names[bs], works[slots[bs]].tolist(), cites[slots[bs]].tolist(),
                ids[bs].tolist(), affs[bs], lks[bs], upd[bs])]))
    finally:
        gz.close()
    return {"path": out_path, "records": ns, "bytes": out_path.stat().st_size}
