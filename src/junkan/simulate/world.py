"""The up-front state of a simulated world: researchers and their careers, moves, planted programs,
author-identity gaps, the work plan (blocks of (year, field)), research-front plan and the calibrated
international co-authorship propensities. Everything here scales with the number of researchers, not
with the number of works; works are generated chunk by chunk in :mod:`junkan.simulate.works`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from junkan.errors import SimulationError

from .geo import NAME_GROUPS, Geography, build_geography
from .params import ProgramSpec, WorldParams
from .taxonomy import Taxonomy, build_taxonomy

__all__ = ["World", "build_world", "hash_u01", "NO_COUNTRY", "cdf_pick_rows", "unique_sorted"]

log = logging.getLogger(__name__)

NO_COUNTRY = 255
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix64(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def hash_u01(seed: int, salt: int, *keys: np.ndarray) -> np.ndarray:
    """Deterministic uniforms in [0, 1) from integer keys (splitmix64 chain)."""
    with np.errstate(over="ignore"):
        h = _mix64(np.uint64(seed * 1_000_003 + salt) + np.uint64(0x9E3779B97F4A7C15))
        for k in keys:
            h = _mix64(h ^ (np.asarray(k).astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)))
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _country_field_tilt(iso2: list[str], tax: Taxonomy) -> np.ndarray:
    C, F = len(iso2), len(tax.field_ids)
    tilt = np.ones((C, F))
    fidx = {f: i for i, f in enumerate(tax.field_ids)}
    spec = {
        "CN": {22: 1.6, 25: 1.8, 16: 1.5, 15: 1.5, 21: 1.5, 27: 0.6, 33: 0.4, 12: 0.3, 32: 0.3},
        "US": {27: 1.15, 33: 1.4, 32: 1.5, 13: 1.2, 25: 0.8, 22: 0.8},
        "JP": {27: 1.25, 31: 1.3, 16: 1.2, 33: 0.5, 12: 0.5, 14: 0.5},
        "IN": {22: 1.5, 17: 1.4, 16: 1.3, 12: 0.5},
        "GB": {33: 1.4, 27: 1.1, 12: 1.5},
        "KR": {22: 1.4, 25: 1.4, 17: 1.2, 33: 0.5},
        "DE": {31: 1.2, 27: 1.1},
        "FR": {26: 1.5, 31: 1.2},
    }
    for c, d in spec.items():
        if c in iso2:
            ci = iso2.index(c)
            for f, v in d.items():
                tilt[ci, fidx[f]] = v
    return tilt


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float).ravel()
    q = w / w.sum() * total
    base = np.floor(q).astype(np.int64)
    rest = total - int(base.sum())
    if rest > 0:
        order = np.lexsort((np.arange(len(q)), -(q - base)))
        base[order[:rest]] += 1
    return base.reshape(np.shape(weights))


@dataclass
class Program:
    spec: ProgramSpec
    members: np.ndarray  # researcher indices
    start: np.ndarray  # start year per member
    end: np.ndarray  # last year of the stay / grant
    host_country: np.ndarray  # country index
    effect_start: np.ndarray
    effect_end: np.ndarray
    award: list[str]


@dataclass
class World:
    params: WorldParams
    tax: Taxonomy
    geo: Geography
    years: np.ndarray
    # researchers
    entry: np.ndarray  # int16 entry (first publication) year, may be before start_year
    exit: np.ndarray  # int16 last active year (<= end_year)
    home: np.ndarray  # uint8 country index
    rfield: np.ndarray  # uint8 field index
    rsub: np.ndarray  # int16 subfield index
    rate: np.ndarray  # float32 propensity to be drawn as an author
    country: np.ndarray  # (R, T) uint8, NO_COUNTRY when inactive
    name_first: np.ndarray
    name_last: np.ndarray
    name_group: np.ndarray  # uint8 index into NAME_GROUPS
    has_orcid: np.ndarray
    sec_inst: np.ndarray  # int32, -1 none
    sec_start: np.ndarray
    sec_end: np.ndarray
    prog: np.ndarray  # int8 program index, -1 none
    prog_member_row: np.ndarray  # int32 row within the program arrays
    split_year: np.ndarray  # int16, 0 = not split
    merge_into: np.ndarray  # int32, -1 = not merged
    slot_of: np.ndarray  # int64 main author slot of each researcher
    split_slot: np.ndarray  # int64 slot used from split_year on (-1)
    n_slots: int
    moves: dict  # arrays: researcher, year, from, to, kind
    programs: list[Program]
    # work plan
    block_n: np.ndarray  # (T, F) works per block
    block_parts: np.ndarray  # (T, F) number of parts of each block
    part_offset: np.ndarray  # (T, F, maxparts) global index of the first work of each part
    sb_year: np.ndarray  # sub-block (part) arrays in output order
    sb_field: np.ndarray
    sb_part: np.ndarray
    sb_start: np.ndarray
    sb_size: np.ndarray
    chunk_sb: np.ndarray  # (n_chunks+1,) offsets into the sub-block arrays
    chunk_start: np.ndarray  # (n_chunks+1,) global work offsets
    # pools per year (for drawing authors)
    pools: list = field(default_factory=list)
    # international co-authorship
    q_logit: np.ndarray = None  # (C,) logit of per-co-author foreign probability at the target year
    partner_cdf: np.ndarray = None  # (C, C) cumulative partner-country distribution
    world_cdf: np.ndarray = None  # (T, C) cumulative distribution of active researchers by country
    # fronts
    fronts: dict = None
    # derived
    no_inst_prob: np.ndarray = None  # (T,)
    refs_year_cdf: np.ndarray = None  # (T, F, T)
    inst_key: np.ndarray = None

    @property
    def n_researchers(self) -> int:
        return len(self.entry)

    @property
    def n_chunks(self) -> int:
        return len(self.chunk_start) - 1

    def inst_of(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Institution of researcher r while in country c (stable: the same on every return)."""
        u = hash_u01(self.params.seed, 11, r, c)
        return np.searchsorted(self.inst_key, c.astype(np.float64) + u, side="left").astype(np.int32)

    def slots_for(self, r: np.ndarray, year: np.ndarray) -> np.ndarray:
        s = self.slot_of[r]
        sy = self.split_year[r]
        late = (sy > 0) & (year >= sy)
        if late.any():
            s = s.copy()
            s[late] = self.split_slot[r[late]]
        return s


def _geometric(rng: np.random.Generator, p: float, n: int) -> np.ndarray:
    return rng.geometric(p, size=n).astype(np.int64)


def build_world(params: WorldParams) -> World:
    """Build the researcher-level state of a world (deterministic in ``params``)."""
    seed = params.seed
    rng = np.random.default_rng([seed, 0, 1])
    tax = build_taxonomy()
    geo = build_geography(params.start_year, params.end_year, np.random.default_rng([seed, 0, 2]),
                          params.institution_no_country_share)
    years = np.arange(params.start_year, params.end_year + 1)
    T, F, C = len(years), len(tax.field_ids), geo.n
    tgrow = (years - years[0]) / max(T - 1, 1)

    # ---- work plan: works per year follow the world researcher population; fields by global shares
    world_pop = geo.pop.sum(axis=0)
    share = np.array(tax.field_share)
    block_n = _largest_remainder(np.outer(world_pop, share / share.sum()), params.works)
    team = np.array(tax.field_team)
    team_growth = 0.8 + 0.4 * tgrow
    auth_per_year = (block_n * team[None, :]).sum(axis=1) * team_growth
    active_total = auth_per_year / params.authorships_per_researcher_year

    # ---- researchers
    cshare = geo.pop / geo.pop.sum(axis=0, keepdims=True)
    present = geo.pop > 0
    A = np.where(present, np.maximum(cshare * active_total[None, :], params.min_country_researchers), 0.0)
    surv = 1.0 - 1.0 / params.career_mean_years
    pgeo = 1.0 / params.career_mean_years
    n0 = rng.poisson(A[:, 0])
    ent = np.zeros((C, T), dtype=np.int64)
    ent[:, 0] = n0
    for t in range(1, T):
        need = np.maximum(A[:, t] - surv * A[:, t - 1], 0.05 * A[:, t])
        ent[:, t] = rng.poisson(np.where(present[:, t], need, 0.0))
    home = np.repeat(np.tile(np.arange(C), T), ent.T.ravel()).astype(np.uint8)
    first_t = np.repeat(np.repeat(np.arange(T), C), ent.T.ravel())
    R = len(home)
    if R == 0:
        raise SimulationError("the world has no researchers")
    entry = years[first_t].astype(np.int64)
    init = first_t == 0
    entry[init] = params.start_year - (_geometric(rng, pgeo, int(init.sum())) - 1)
    exit_ = years[first_t] + _geometric(rng, pgeo, R) - 1
    exit_ = np.minimum(exit_, params.end_year)
    tilt = _country_field_tilt(geo.iso2, tax)
    fprob = share[None, :] * tilt
    fcdf = np.cumsum(fprob / fprob.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(R)
    rfield = np.minimum((u[:, None] > fcdf[home]).sum(axis=1), F - 1).astype(np.uint8)
    nsub = np.array([len(s) for s in tax.field_subfields])
    sub_first = np.array([s[0] for s in tax.field_subfields])
    rsub = (sub_first[rfield] + np.floor(rng.random(R) * nsub[rfield]).astype(np.int64)).astype(np.int16)
    rate = rng.lognormal(-0.5 * params.rate_sigma**2, params.rate_sigma, R).astype(np.float32)
    group_of_country = np.array([NAME_GROUPS.index(g) for g in geo.name_group], dtype=np.uint8)
    name_group = group_of_country[home]
    name_first = rng.integers(0, 1 << 16, R).astype(np.uint16)
    name_last = rng.integers(0, 1 << 16, R).astype(np.uint16)
    orcid_p = params.orcid_share_start + (params.orcid_share_end - params.orcid_share_start) * np.clip(
        (entry - params.start_year) / max(T - 1, 1), 0, 1)
    has_orcid = rng.random(R) < orcid_p

    # ---- careers and moves (true country per year)
    t_in = (np.maximum(entry, params.start_year) - params.start_year).astype(np.int64)
    t_out = (exit_ - params.start_year).astype(np.int64)
    country = np.full((R, T), NO_COUNTRY, dtype=np.uint8)
    tt = np.arange(T)
    alive = (tt[None, :] >= t_in[:, None]) & (tt[None, :] <= t_out[:, None])
    dest_cdf = np.cumsum(geo.dest, axis=1)
    cur = home.astype(np.int64).copy()
    mv_r, mv_y, mv_f, mv_t, mv_k = [], [], [], [], []
    country[:, 0] = np.where(alive[:, 0], cur, NO_COUNTRY)
    for t in range(1, T):
        act = np.flatnonzero(alive[:, t] & alive[:, t - 1])
        c = cur[act]
        h = home[act].astype(np.int64)
        uu = rng.random(len(act))
        at_home = c == h
        p_out = geo.out_rate[c, t] * params.mobility_scale
        leave = at_home & (uu < p_out)
        ret = (~at_home) & (uu < params.return_rate)
        onward = (~at_home) & (~ret) & (uu < params.return_rate + params.onward_share * p_out)
        movers = leave | onward
        ud = rng.random(int(movers.sum()))
        d = np.minimum((ud[:, None] > dest_cdf[c[movers]]).sum(axis=1), C - 1)
        new = c.copy()
        new[movers] = d
        new[ret] = h[ret]
        changed = new != c
        kind = np.where(new == h, 1, np.where(at_home, 0, 2))  # 0 outflow, 1 return, 2 onward
        mv_r.append(act[changed])
        mv_y.append(np.full(int(changed.sum()), years[t]))
        mv_f.append(c[changed])
        mv_t.append(new[changed])
        mv_k.append(kind[changed])
        cur[act] = new
        starting = np.flatnonzero(alive[:, t] & ~alive[:, t - 1])
        cur[starting] = home[starting]
        country[:, t] = np.where(alive[:, t], cur, NO_COUNTRY)
    moves = {
        "r": np.concatenate(mv_r), "year": np.concatenate(mv_y), "from": np.concatenate(mv_f),
        "to": np.concatenate(mv_t), "kind": np.concatenate(mv_k).astype(np.int8),
    }

    # ---- secondary affiliations
    inst_key = geo.inst_country.astype(np.float64) + geo.country_inst_cum
    us = rng.random(R)
    sec_kind = np.where(us < params.secondary_domestic_share, 1,
                        np.where(us < params.secondary_domestic_share + params.secondary_foreign_share, 2, 0))
    sec_country = home.astype(np.int64).copy()
    fk = sec_kind == 2
    ud = rng.random(int(fk.sum()))
    sec_country[fk] = np.minimum((ud[:, None] > dest_cdf[home[fk]]).sum(axis=1), C - 1)
    us2 = hash_u01(seed, 12, np.arange(R))
    sec_inst = np.searchsorted(inst_key, sec_country + us2, side="left").astype(np.int32)
    sec_inst[sec_kind == 0] = -1
    span = np.maximum(t_out - t_in + 1, 1)
    a = t_in + np.floor(rng.random(R) * span).astype(np.int64)
    b = a + 1 + np.floor(rng.random(R) * 5).astype(np.int64)
    sec_start = (params.start_year + a).astype(np.int16)
    sec_end = np.minimum(params.start_year + b, exit_).astype(np.int16)

    world = World(
        params=params, tax=tax, geo=geo, years=years, entry=entry.astype(np.int16), exit=exit_.astype(np.int16),
        home=home, rfield=rfield, rsub=rsub, rate=rate, country=country, name_first=name_first,
        name_last=name_last, name_group=name_group, has_orcid=has_orcid, sec_inst=sec_inst, sec_start=sec_start,
        sec_end=sec_end, prog=np.full(R, -1, np.int8), prog_member_row=np.full(R, -1, np.int32),
        split_year=np.zeros(R, np.int16), merge_into=np.full(R, -1, np.int32), slot_of=np.arange(R, dtype=np.int64),
        split_slot=np.full(R, -1, np.int64), n_slots=R, moves=moves, programs=[], block_n=block_n,
        block_parts=None, part_offset=None, sb_year=None, sb_field=None, sb_part=None, sb_start=None, sb_size=None,
        chunk_sb=None, chunk_start=None,
    )
    world.inst_key = inst_key
    _plant_programs(world, np.random.default_rng([seed, 0, 3]))
    _plant_identity_gaps(world, np.random.default_rng([seed, 0, 4]))
    _plan_blocks(world)
    _build_pools(world)
    world.no_inst_prob = params.no_institution_prob_start + (
        params.no_institution_prob_end - params.no_institution_prob_start) * tgrow
    _build_partner(world)
    _build_ref_years(world)
    _calibrate_intl(world, np.random.default_rng([seed, 0, 5]))
    _plan_fronts(world, np.random.default_rng([seed, 0, 6]))
    log.info("world: %d researchers, %d moves, %d works in %d chunks", R, len(world.moves["r"]), params.works,
             world.n_chunks)
    return world


# ----------------------------------------------------------------------------------------------- programs


def _plant_programs(w: World, rng: np.random.Generator) -> None:
    p = w.params
    geo = w.geo
    T = len(w.years)
    R = w.n_researchers
    taken = np.zeros(R, dtype=bool)
    drop_moves = np.zeros(len(w.moves["r"]), dtype=bool)
    new_moves: list[tuple[int, int, int, int, int]] = []
    for pi, spec in enumerate(p.programs):
        pc = geo.index(spec.country)
        m = max(8, int(round(spec.members * p.scale)))
        lo, hi = p.start_year + 4, p.end_year - spec.duration - 2
        if hi < lo:
            raise SimulationError(f"program {spec.program_id}: year range too short")
        starts = rng.integers(lo, hi + 1, m)
        members, st = [], []
        for s in np.unique(starts):
            need = int((starts == s).sum())
            ts = s - p.start_year
            last = min(s + spec.duration + 2, p.end_year)
            base_ok = (~taken) & (w.entry <= s - 1) & (w.country[:, ts - 1] == w.home) & (w.split_year == 0)
            base_ok &= (w.home != pc) if spec.kind == "fellowship_in" else (w.home == pc)
            long_ok = base_ok & (w.exit >= last)
            if long_ok.sum() >= need:
                base_ok = long_ok
            else:  # small worlds: accept members whose career ends right after the stay
                base_ok &= w.exit >= s + spec.duration - 1
            ok = base_ok
            if spec.young_max_years > 0:
                ok = base_ok & (w.entry >= s - spec.young_max_years)
                if ok.sum() < need:  # small worlds: relax the age condition rather than fail
                    ok = base_ok
            weight = geo.dest[w.home, pc] * ok if spec.kind == "fellowship_in" else ok.astype(float)
            cand = np.flatnonzero(weight > 0)
            if len(cand) == 0:
                continue
            k = min(need, len(cand))
            pw = weight[cand] / weight[cand].sum()
            chosen = np.sort(rng.choice(cand, size=k, replace=False, p=pw))
            taken[chosen] = True
            members.append(chosen)
            st.append(np.full(k, s))
        if not members:
            log.warning("program %s: no eligible researchers (world too small); it has no members", spec.program_id)
        mem = np.concatenate(members) if members else np.zeros(0, np.int64)
        start = np.concatenate(st) if st else np.zeros(0, np.int64)
        order = np.argsort(mem, kind="stable")
        mem, start = mem[order], start[order]
        end = start + spec.duration - 1
        if spec.kind == "fellowship_out":
            row = geo.dest[pc].copy()
            top = np.argsort(-row, kind="stable")[:8]
            pr = np.zeros_like(row)
            pr[top] = row[top]
            pr /= pr.sum()
            host = rng.choice(len(row), size=len(mem), p=pr).astype(np.int64)
        elif spec.kind == "fellowship_in":
            host = np.full(len(mem), pc)
        else:
            host = w.home[mem].astype(np.int64)
        if spec.kind in ("fellowship_out", "fellowship_in"):
            for r, s, e, h in zip(mem.tolist(), start.tolist(), end.tolist(), host.tolist()):
                hm = int(w.home[r])
                t0, t1, tx = s - p.start_year, e - p.start_year, int(w.exit[r]) - p.start_year
                w.country[r, t0:t1 + 1] = h
                w.country[r, t1 + 1:tx + 1] = hm
                new_moves.append((r, s, hm, h, 3 if spec.kind == "fellowship_out" else 4))
                if e + 1 <= w.exit[r]:
                    new_moves.append((r, e + 1, h, hm, 1))
            late = np.isin(w.moves["r"], mem)
            first_start = dict(zip(mem.tolist(), start.tolist()))
            for i in np.flatnonzero(late):
                if w.moves["year"][i] >= first_start[int(w.moves["r"][i])]:
                    drop_moves[i] = True
            w.rate[mem] = np.maximum(w.rate[mem], 1.0) * 1.5
        elif spec.kind == "null":
            w.rate[mem] = np.maximum(w.rate[mem], 1.0) * 1.5
        else:
            w.rate[mem] = np.maximum(w.rate[mem], 1.0) * 1.2
        eff_end = np.where(spec.effect_after_years < 0, w.exit[mem], end + spec.effect_after_years)
        award = []
        for j, s in enumerate(start.tolist()):
            if spec.award_prefix is None:
                award.append("")
            elif spec.award_prefix == "JP":
                award.append(f"JP{s % 100:02d}K{int(hash_u01(p.seed, 21, np.array([mem[j]]))[0] * 90000) + 10000:05d}")
            else:
                award.append(f"{spec.award_prefix}{int(hash_u01(p.seed, 22 + pi, np.array([mem[j]]))[0] * 9000) + 1000:04d}")
        w.prog[mem] = pi
        w.prog_member_row[mem] = np.arange(len(mem))
        w.programs.append(Program(spec=spec, members=mem, start=start, end=end, host_country=host,
                                  effect_start=start.copy(), effect_end=eff_end.astype(np.int64), award=award))
    keep = ~drop_moves
    mv = {k: v[keep] for k, v in w.moves.items()}
    if new_moves:
        arr = np.array(new_moves, dtype=np.int64)
        mv = {
            "r": np.concatenate([mv["r"], arr[:, 0]]), "year": np.concatenate([mv["year"], arr[:, 1]]),
            "from": np.concatenate([mv["from"], arr[:, 2]]), "to": np.concatenate([mv["to"], arr[:, 3]]),
            "kind": np.concatenate([mv["kind"], arr[:, 4].astype(np.int8)]),
        }
    order = np.lexsort((mv["year"], mv["r"]))
    w.moves = {k: v[order] for k, v in mv.items()}
    _ = T


MOVE_KINDS = ("outflow", "return", "onward", "fellowship_out", "fellowship_in")


def _plant_identity_gaps(w: World, rng: np.random.Generator) -> None:
    p = w.params
    R = w.n_researchers
    span = w.exit.astype(np.int64) - np.maximum(w.entry, p.start_year)
    free = (w.prog < 0) & (span >= 4)
    cand = np.flatnonzero(free)
    n_split = min(int(round(p.author_split_share * R)), len(cand))
    split = np.sort(rng.choice(cand, size=n_split, replace=False)) if n_split else np.zeros(0, np.int64)
    lo = np.maximum(w.entry[split], p.start_year).astype(np.int64) + 1
    hi = w.exit[split].astype(np.int64)
    sy = lo + np.floor(rng.random(len(split)) * (hi - lo + 1)).astype(np.int64)
    # prefer the year of the researcher's first move (profiles often split at a move)
    mv_first: dict[int, int] = {}
    for r, y in zip(w.moves["r"].tolist(), w.moves["year"].tolist()):
        mv_first.setdefault(r, y)
    for i, r in enumerate(split.tolist()):
        if r in mv_first and lo[i] <= mv_first[r] <= hi[i]:
            sy[i] = mv_first[r]
    w.split_year[split] = sy.astype(np.int16)
    w.split_slot[split] = R + np.arange(len(split))
    w.n_slots = R + len(split)
    free2 = (w.prog < 0) & (w.split_year == 0)
    cand2 = np.flatnonzero(free2)
    n_merge = min(int(round(p.author_merge_share * R)), len(cand2) // 2)
    if n_merge:
        pick = rng.choice(cand2, size=2 * n_merge, replace=False)
        a, b = pick[:n_merge], pick[n_merge:]  # b is merged into a
        b_sorted = np.argsort(b, kind="stable")
        a, b = a[b_sorted], b[b_sorted]
        w.merge_into[b] = a
        w.slot_of[b] = a
        w.name_first[b] = w.name_first[a]
        w.name_last[b] = w.name_last[a]
        w.name_group[b] = w.name_group[a]
        w.has_orcid[b] = False


# ----------------------------------------------------------------------------------------------- work plan


def _plan_blocks(w: World) -> None:
    p = w.params
    T, F = w.block_n.shape
    chunk = p.chunk_size or int(min(100_000, max(5_000, p.works // 32)))
    parts = np.maximum(1, -(-w.block_n // chunk))
    maxp = int(parts.max())
    part_offset = np.zeros((T, F, maxp), dtype=np.int64)
    sb_year, sb_field, sb_part, sb_start, sb_size = [], [], [], [], []
    pos = 0
    for t in range(T):
        for f in range(F):
            n, k = int(w.block_n[t, f]), int(parts[t, f])
            for j in range(k):
                size = n // k + (1 if j < n % k else 0)
                part_offset[t, f, j] = pos
                sb_year.append(t)
                sb_field.append(f)
                sb_part.append(j)
                sb_start.append(pos)
                sb_size.append(size)
                pos += size
    sb_size_a = np.array(sb_size, dtype=np.int64)
    chunk_sb = [0]
    acc = 0
    for i, s in enumerate(sb_size):
        if acc > 0 and acc + s > chunk:
            chunk_sb.append(i)
            acc = 0
        acc += s
    chunk_sb.append(len(sb_size))
    w.block_parts = parts
    w.part_offset = part_offset
    w.sb_year = np.array(sb_year, dtype=np.int64)
    w.sb_field = np.array(sb_field, dtype=np.int64)
    w.sb_part = np.array(sb_part, dtype=np.int64)
    w.sb_start = np.array(sb_start, dtype=np.int64)
    w.sb_size = sb_size_a
    w.chunk_sb = np.array(chunk_sb, dtype=np.int64)
    w.chunk_start = np.concatenate([w.sb_start[w.chunk_sb[:-1]], [pos]])


def _build_pools(w: World) -> None:
    """Per year: active researchers sorted by (country, field) with cumulative rate weights."""
    T, F, C = len(w.years), len(w.tax.field_ids), w.geo.n
    pools = []
    for t in range(T):
        act = np.flatnonzero(w.country[:, t] != NO_COUNTRY)
        c = w.country[act, t].astype(np.int64)
        f = w.rfield[act].astype(np.int64)
        key = c * F + f
        order = np.lexsort((act, key))
        act, key, c, f = act[order], key[order], c[order], f[order]
        wts = w.rate[act].astype(np.float64)
        cum = np.cumsum(wts)
        cf_start = np.searchsorted(key, np.arange(C * F + 1), side="left")
        c_start = cf_start[:: F]
        # field pools (any country), sorted by field
        ford = np.lexsort((act, f))
        f_act = act[ford]
        f_cum = np.cumsum(wts[ford])
        f_start = np.searchsorted(f[ford], np.arange(F + 1), side="left")
        pools.append({
            "act": act, "cum": cum, "cf_start": cf_start, "c_start": c_start,
            "f_act": f_act, "f_cum": f_cum, "f_start": f_start,
        })
    w.pools = pools


def _pick_in_range(cum: np.ndarray, start: np.ndarray, stop: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index i in [start, stop) drawn with probability proportional to the weights behind ``cum``."""
    lo = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    hi = cum[np.maximum(stop - 1, 0)]
    x = lo + u * (hi - lo)
    i = np.searchsorted(cum, x, side="right")
    return np.clip(i, start, np.maximum(stop - 1, start))


def draw_researchers(w: World, t: int, country: np.ndarray, fld: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Draw one active researcher per request from (year t, country, field), falling back to the country
    (any field), then to the field (any country). Returns researcher indices."""
    P = w.pools[t]
    F = len(w.tax.field_ids)
    key = country * F + fld
    s, e = P["cf_start"][key], P["cf_start"][key + 1]
    empty = e <= s
    if empty.any():
        cs, ce = P["c_start"][country[empty]], P["c_start"][country[empty] + 1]
        s = s.copy()
        e = e.copy()
        s[empty], e[empty] = cs, ce
    out = np.empty(len(country), dtype=np.int64)
    ok = e > s
    if ok.any():
        out[ok] = P["act"][_pick_in_range(P["cum"], s[ok], e[ok], u[ok])]
    if (~ok).any():
        fs, fe = P["f_start"][fld[~ok]], P["f_start"][fld[~ok] + 1]
        bad = fe <= fs
        fs = np.where(bad, 0, fs)
        fe = np.where(bad, len(P["f_act"]), fe)
        out[~ok] = P["f_act"][_pick_in_range(P["f_cum"], fs, fe, u[~ok])]
    return out


def draw_leads(w: World, t: int, fld: np.ndarray, u: np.ndarray) -> np.ndarray:
    P = w.pools[t]
    fs, fe = P["f_start"][fld], P["f_start"][fld + 1]
    bad = fe <= fs
    fs = np.where(bad, 0, fs)
    fe = np.where(bad, len(P["f_act"]), fe)
    return P["f_act"][_pick_in_range(P["f_cum"], fs, fe, u)]


def _build_partner(w: World) -> None:
    geo = w.geo
    T = len(w.years)
    C = geo.n
    size = geo.pop.mean(axis=1)
    base = np.tile(size**0.8, (C, 1))
    np.fill_diagonal(base, 0)
    base /= base.sum(axis=1, keepdims=True)
    part = 0.5 * base + 0.5 * geo.affinity
    np.fill_diagonal(part, 0)
    rows = part.sum(axis=1, keepdims=True)
    w.partner_base = np.where(rows > 0, part / np.maximum(rows, 1e-12), base)
    w.partner_attract = np.ones(C)
    _set_partner(w)
    wc = np.zeros((T, C))
    for t in range(T):
        cnt = np.bincount(w.country[:, t][w.country[:, t] != NO_COUNTRY], minlength=C)[:C].astype(float)
        wc[t] = np.cumsum(cnt) / max(cnt.sum(), 1)
    w.world_cdf = wc


def _set_partner(w: World) -> None:
    part = w.partner_base * w.partner_attract[None, :]
    part /= part.sum(axis=1, keepdims=True)
    w.partner_cdf = np.cumsum(part, axis=1)
    w.partner_cdf[:, -1] = 1.0


def _build_ref_years(w: World) -> None:
    T, F = w.block_n.shape
    lag = np.arange(T)
    aging = (lag + 1.0) * np.exp(-lag / w.params.aging_scale_years)
    cdf = np.zeros((T, F, T))
    for t in range(T):
        wt = np.zeros((F, T))
        wt[:, : t + 1] = w.block_n[: t + 1, :].T * aging[t - np.arange(t + 1)][None, :]
        s = wt.sum(axis=1, keepdims=True)
        cdf[t] = np.cumsum(wt / np.maximum(s, 1e-12), axis=1)
    w.refs_year_cdf = cdf
    full = aging.sum()
    w.refs_avail = np.array([aging[: t + 1].sum() / full for t in range(T)])


def cdf_pick(cdf_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum((u[:, None] > cdf_rows).sum(axis=1), cdf_rows.shape[1] - 1)


def cdf_pick_rows(cdf: np.ndarray, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``cdf_pick(cdf[rows], u)`` without gathering the rows: one binary search per distinct row.

    Identical results: the number of entries of a cumulative row below ``u`` is what ``searchsorted`` (left)
    returns, since "entry < u" holds on a prefix of a non-decreasing row (the last entry, forced to 1.0, may
    lie a rounding error below its neighbour, but both are >= u < 1)."""
    rows = np.asarray(rows, dtype=np.int64)
    out = np.empty(len(u), dtype=np.int64)
    if len(u) == 0:
        return out
    order = np.argsort(rows, kind="stable")
    rs = rows[order]
    cut = np.flatnonzero(np.r_[True, rs[1:] != rs[:-1], True])
    us = u[order]
    res = np.empty(len(u), dtype=np.int64)
    for a, b in zip(cut[:-1].tolist(), cut[1:].tolist()):
        res[a:b] = np.searchsorted(cdf[rs[a]], us[a:b], side="left")
    out[order] = res
    return np.minimum(out, cdf.shape[-1] - 1)


def unique_sorted(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` by sorting (numpy's hash-based unique is slow for large arrays of distinct values)."""
    a = np.sort(np.asarray(a).ravel(), kind="stable")  # timsort: the keys are built from sorted runs
    if len(a) < 2:
        return a
    return a[np.r_[True, a[1:] != a[:-1]]]


# ----------------------------------------------------------------------------------------------- teams


def team_sizes(w: World, fld: np.ndarray, t: int | np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    p = w.params
    T = len(w.years)
    team = np.array(w.tax.field_team)[fld]
    growth = 0.8 + 0.4 * (np.asarray(t) / max(T - 1, 1))
    mean_extra = np.maximum(team * growth - 1.0, 0.05)
    g = rng.gamma(2.0, 0.5, len(fld))
    k = 1 + rng.poisson(mean_extra * g)
    phys = np.array(w.tax.field_ids)[fld] == 31
    hp = np.where(phys, p.hyperauthor_prob_physics, p.hyperauthor_prob_other)
    hyper = rng.random(len(fld)) < hp
    if hyper.any():
        hs = p.hyperauthor_min * np.exp(rng.exponential(0.8, int(hyper.sum())))
        k[hyper] = np.minimum(hs.astype(np.int64), p.hyperauthor_max)
    return k.astype(np.int64), hyper


def team_countries(w: World, lead_c: np.ndarray, k: np.ndarray, hyper: np.ndarray, t: int, q_logit: np.ndarray,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Countries of every co-author slot (excluding the lead). Returns (paper index, slot country, foreign flag)."""
    n_extra = k - 1
    paper = np.repeat(np.arange(len(k)), n_extra)
    lc = lead_c[paper]
    shift = w.params.intl_trend_logit_per_year * (w.years[t] - w.params.intl_target_year)
    qf = 1.0 / (1.0 + np.exp(-(q_logit[lc] + shift)))
    u = rng.random(len(paper))
    foreign = u < qf
    cc = lc.copy()
    nf = int(foreign.sum())
    if nf:
        cc[foreign] = cdf_pick_rows(w.partner_cdf, lc[foreign], rng.random(nf))
    hyp = hyper[paper]
    if hyp.any():
        cc[hyp] = np.minimum(np.searchsorted(w.world_cdf[t], rng.random(int(hyp.sum())), side="right"), w.geo.n - 1)
        foreign[hyp] = cc[hyp] != lc[hyp]
    return paper, cc, foreign


def _calibrate_intl(w: World, rng_base: np.random.Generator) -> None:
    """Solve the per-country foreign co-author propensity so that the whole-counted international share of
    the target countries in the target year matches the published values, under the same team model,
    researcher secondary affiliations and observation gaps used for generation (Monte Carlo, common random
    numbers, fixed-point iteration on the logit scale)."""
    p = w.params
    geo = w.geo
    C = geo.n
    T = len(w.years)
    t = int(np.clip(p.intl_target_year - p.start_year, 0, T - 1))
    size = geo.pop[:, t] / geo.pop[:, t].sum()
    # default propensity: small countries are more international
    qdef = np.clip(0.03 + 0.07 * -np.log10(np.maximum(size, 1e-7) / size.max()), 0.03, 0.45)
    q_logit = np.log(qdef / (1 - qdef))
    targets = {geo.index(c): v for c, v in p.intl_targets if c in geo.iso2}
    # lead (country, field) distribution at t from the pools
    P = w.pools[t]
    act = P["act"]
    n = p.intl_calibration_papers
    seed_sq = int(rng_base.integers(0, 2**31))
    rng0 = np.random.default_rng([seed_sq, 1])
    F = len(w.tax.field_ids)
    fshare = w.block_n[t] / w.block_n[t].sum()
    fld = np.minimum((rng0.random(n)[:, None] > np.cumsum(fshare)[None, :]).sum(axis=1), F - 1)
    lead = draw_leads(w, t, fld, rng0.random(n))
    lead_c = w.country[lead, t].astype(np.int64)
    k, hyper = team_sizes(w, fld, t, rng0)
    noinst = w.no_inst_prob[t]
    # share of authorships (by institution weight) at institutions without country, per country
    nocountry = np.zeros(C)
    for c in range(C):
        s, e = geo.country_inst_start[c], geo.country_inst_start[c + 1]
        wt = geo.inst_weight[s:e]
        nocountry[c] = (wt * ~geo.inst_country_known[s:e]).sum() / wt.sum()
    sec_share = np.zeros(C)
    yr = w.years[t]
    secf = (w.sec_inst >= 0) & (w.sec_start <= yr) & (w.sec_end >= yr)
    sec_c = np.where(w.sec_inst >= 0, geo.inst_country[np.maximum(w.sec_inst, 0)], -1)
    cur = w.country[:, t]
    foreign_sec = secf & (cur != NO_COUNTRY) & (sec_c != cur)
    cnt_act = np.bincount(cur[cur != NO_COUNTRY], minlength=C)[:C]
    cnt_sec = np.bincount(cur[foreign_sec], minlength=C)[:C]
    sec_share = cnt_sec / np.maximum(cnt_act, 1) * p.secondary_show_prob
    sec_country_of = {}
    del sec_country_of
    for it in range(p.intl_calibration_rounds):
        rng = np.random.default_rng([seed_sq, 2])
        paper, cc, _ = team_countries(w, lead_c, k, hyper, t, q_logit, rng)
        pap = np.concatenate([np.arange(n), paper])
        cty = np.concatenate([lead_c, cc])
        seen = (rng.random(len(cty)) >= noinst) & (rng.random(len(cty)) >= nocountry[cty])
        # foreign secondary affiliations: an extra country on some authorships
        has2 = rng.random(len(cty)) < sec_share[cty]
        c2 = cdf_pick_rows(w.partner_cdf, cty[has2], rng.random(int(has2.sum())))
        pap = np.concatenate([pap[seen], pap[has2 & seen]])
        cty = np.concatenate([cty[seen], c2[seen[has2]]])
        meas = _intl_shares(pap, cty, n, C)
        worst = 0.0
        for c, v in targets.items():
            m = float(np.clip(meas[c], 0.01, 0.99))
            delta = np.log(v / (1 - v)) - np.log(m / (1 - m))
            if delta < 0 and q_logit[c] <= -3.5:
                # already almost no foreign co-authors of its own: the country is too attractive a partner
                w.partner_attract[c] *= float(np.exp(1.5 * delta))
            else:
                q_logit[c] = float(np.clip(q_logit[c] + delta, -3.5, 4))
            worst = max(worst, abs(m - v))
        _set_partner(w)
        log.debug("intl calibration round %d: max |measured-target| = %.3f", it, worst)
    w.q_logit = q_logit
    # stage 2: the same fixed-point update, measured on works drawn by the real team generator (researcher
    # pools, moves, secondary affiliations, planted programs, institutions without country)
    from .works import build_teams

    n2 = max(20_000, min(p.intl_calibration_papers, int(w.block_n[t].sum()) * 4))
    for it in range(p.intl_calibration_rounds // 2):
        meas = _measure_generated(w, t, n2, np.random.default_rng([seed_sq, 3]), build_teams)
        worst = 0.0
        for c, v in targets.items():
            m = float(np.clip(meas[c], 0.01, 0.99))
            delta = np.log(v / (1 - v)) - np.log(m / (1 - m))
            if delta < 0 and w.q_logit[c] <= -3.5:
                w.partner_attract[c] *= float(np.exp(1.5 * delta))
            else:
                w.q_logit[c] = float(np.clip(w.q_logit[c] + delta, -3.5, 4))
            worst = max(worst, abs(m - v))
        _set_partner(w)
        log.debug("intl calibration stage 2 round %d: max |measured-target| = %.3f", it, worst)
    w.intl_calibration = {geo.iso2[c]: float(meas[c]) for c in targets}
    _ = act


def _measure_generated(w: World, t: int, n: int, rng: np.random.Generator, build_teams) -> np.ndarray:
    geo = w.geo
    C = geo.n
    F = len(w.tax.field_ids)
    fshare = w.block_n[t] / max(w.block_n[t].sum(), 1)
    fld = np.minimum(np.searchsorted(np.cumsum(fshare), rng.random(n), side="right"), F - 1)
    tt = np.full(n, t, dtype=np.int64)
    a_paper, a_res, *_ = build_teams(w, tt, fld, rng)
    c = w.country[a_res, t].astype(np.int64)
    inst = w.inst_of(a_res, c)
    seen = (rng.random(len(a_res)) >= w.no_inst_prob[t]) & geo.inst_country_known[inst]
    yr = w.years[t]
    s_inst = w.sec_inst[a_res]
    sec = seen & (s_inst >= 0) & (w.sec_start[a_res] <= yr) & (w.sec_end[a_res] >= yr)
    sec &= rng.random(len(a_res)) < w.params.secondary_show_prob
    sec &= geo.inst_country_known[np.maximum(s_inst, 0)]
    pap = np.concatenate([a_paper[seen], a_paper[sec]])
    cty = np.concatenate([c[seen], geo.inst_country[s_inst[sec]].astype(np.int64)])
    return _intl_shares(pap, cty, n, C)


def _intl_shares(pap: np.ndarray, cty: np.ndarray, n: int, C: int) -> np.ndarray:
    """Per country, the share of its papers (whole counting) with >= 2 distinct countries, from (paper, country) pairs."""
    key = unique_sorted(pap * 256 + cty)
    pp, pc = key // 256, key % 256
    intl = np.bincount(pp, minlength=n)[pp] >= 2
    tot = np.bincount(pc, minlength=C)[:C].astype(float)
    inn = np.bincount(pc[intl], minlength=C)[:C].astype(float)
    return inn / np.maximum(tot, 1)


# ----------------------------------------------------------------------------------------------- fronts


def _plan_fronts(w: World, rng: np.random.Generator) -> None:
    """Plan research fronts as block ranks (deterministic, small). Core papers take the top ranks of their
    blocks (the most citation-attractive slots); citing papers are random other ranks in the window."""
    p = w.params
    T, F = w.block_n.shape
    n_lin = max(4, int(round(p.front_lineages_per_100k_works * p.works / 100_000)))
    share = np.array(w.tax.field_share)
    reserved = np.zeros((T, F), dtype=np.int64)  # next free top rank per block
    used: dict[tuple[int, int], set] = {}
    rows_work, rows_front, rows_role, rows_lin = [], [], [], []
    edges_citing, edges_cited = [], []
    front_meta = []
    fid = 0
    for lin in range(n_lin):
        f = int(rng.choice(F, p=share / share.sum()))
        length = int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.20]))
        b0 = int(rng.integers(2, max(3, T - 4)))
        topic = int(rng.choice(w.tax.subfield_topics[int(rng.choice(w.tax.field_subfields[f]))]))
        prev_core: list[int] = []
        for g in range(length):
            b = b0 + 3 * g
            if b + 2 > T - 1:
                break
            m = int(rng.integers(p.front_core_min, p.front_core_max + 1))
            carried = []
            if prev_core:
                nc = max(1, int(round(p.front_carry_share * len(prev_core))))
                carried = sorted(rng.choice(prev_core, size=nc, replace=False).tolist())
            n_new = m - len(carried)
            core = list(carried)
            ok = True
            for j in range(n_new):
                t = b + (j % 2)
                r = int(reserved[t, f])
                if r >= w.block_n[t, f] // 4:
                    ok = False
                    break
                reserved[t, f] += 1
                core.append(_rank_to_global(w, t, f, r))
            if not ok or len(core) < 3:
                break
            kind = "isolated" if length == 1 else ("new" if g == 0 else "continuing")
            n_cit = int(rng.integers(p.front_citing_min, p.front_citing_max + 1))
            win = (int(w.years[b + 1]), int(w.years[min(b + 4, T - 1)]))
            citing = []
            for j in range(n_cit):
                t = b + 1 + (j % max(1, min(4, T - 1 - b)))
                n_b = int(w.block_n[t, f])
                lo = n_b // 4
                if n_b - lo < 10:
                    continue
                s = used.setdefault((t, f), set())
                for _ in range(20):
                    r = int(rng.integers(lo, n_b))
                    if r not in s:
                        s.add(r)
                        citing.append(_rank_to_global(w, t, f, r))
                        break
            if len(citing) < 5:
                break
            for c in core:
                rows_work.append(c)
                rows_front.append(fid)
                rows_role.append(0)
                rows_lin.append(lin)
            for c in citing:
                rows_work.append(c)
                rows_front.append(fid)
                rows_role.append(1)
                rows_lin.append(lin)
                picks = [x for x in core if rng.random() < p.front_cite_prob]
                if len(picks) < 2:
                    picks = sorted(rng.choice(core, size=2, replace=False).tolist())
                edges_citing.extend([c] * len(picks))
                edges_cited.extend(picks)
            front_meta.append((fid, lin, kind, f, topic, win[0], win[1], int(w.years[b]), int(w.years[b + 1]),
                               len(core), len(citing)))
            prev_core = core
            fid += 1
    work = np.array(rows_work, dtype=np.int64)
    order = np.lexsort((np.array(rows_front, dtype=np.int64), work))
    ec = np.array(edges_citing, dtype=np.int64)
    ed = np.array(edges_cited, dtype=np.int64)
    eo = np.lexsort((ed, ec))
    w.fronts = {
        "work": work[order], "front": np.array(rows_front, dtype=np.int64)[order],
        "role": np.array(rows_role, dtype=np.int8)[order], "lineage": np.array(rows_lin, dtype=np.int64)[order],
        "edge_citing": ec[eo], "edge_cited": ed[eo], "meta": front_meta,
        "topic_of_front": np.array([m[4] for m in front_meta], dtype=np.int64),
    }


def _rank_to_global(w: World, t: int, f: int, rank: int) -> int:
    k = int(w.block_parts[t, f])
    return int(w.part_offset[t, f, rank % k] + rank // k)
