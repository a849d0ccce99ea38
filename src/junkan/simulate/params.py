"""Parameters of the simulated world. Every number that shapes the world lives here (documented in
docs/simulation.md); :data:`DEFAULT_WORLD` is the embedded default (~150k works, < 1 min)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from junkan.errors import ConfigError

__all__ = ["DEFAULT_WORLD", "INTL_TARGETS_2022", "ProgramSpec", "WorldParams"]

#: Whole-counted international co-authorship shares, 2022 (NISTEP S&T Indicators 2024, RM-341, WoS SCIE).
INTL_TARGETS_2022: dict[str, float] = {
    "GB": 0.744,
    "FR": 0.657,
    "DE": 0.632,
    "US": 0.467,
    "JP": 0.359,
    "KR": 0.353,
    "CN": 0.208,
}


@dataclass(frozen=True)
class ProgramSpec:
    """A planted program: a fellowship (members move), a funding program or a null cohort.

    ``intl_boost`` is the probability that a member's paper in the effect period gets one extra foreign
    co-author; ``cite_boost`` is the shift (in standard deviations of the latent rank score) of the paper's
    citation attractiveness. Both are 0 for a null cohort.
    """

    program_id: str
    name: str
    kind: str  # fellowship_out | fellowship_in | null | funding
    country: str  # the program's country (home for *_out/null/funding, host for fellowship_in)
    members: int  # at the default scale (150k works); scaled linearly with works / 150k, at least 8
    duration: int  # years of the stay / grant
    intl_boost: float
    cite_boost: float
    effect_after_years: int  # years after the end during which the effect persists (-1 = rest of career)
    young_max_years: int  # members entered research at most this many years before the start (0 = any)
    funder: str | None = None
    award_prefix: str | None = None


DEFAULT_PROGRAMS: tuple[ProgramSpec, ...] = (
    ProgramSpec("JP-OVERSEAS", "Overseas Research Fellowship (simulated)", "fellowship_out", "JP", 150, 2, 0.30, 0.45, -1, 6,
                "Japan Society for the Promotion of Science", "JPOF"),
    ProgramSpec("JP-INBOUND", "Postdoctoral Fellowship for Research in Japan (simulated)", "fellowship_in", "JP", 100, 2, 0.20, 0.25, -1, 6,
                "Japan Society for the Promotion of Science", "JPIF"),
    ProgramSpec("JP-NULL", "Null comparison cohort (simulated, no effect)", "null", "JP", 150, 2, 0.0, 0.0, -1, 6),
    ProgramSpec("JSPS-KAKENHI", "Grants-in-Aid for Scientific Research (simulated)", "funding", "JP", 250, 3, 0.0, 0.20, 1, 0,
                "Japan Society for the Promotion of Science", "JP"),
    ProgramSpec("JST-PRESTO", "PRESTO (simulated)", "funding", "JP", 80, 4, 0.05, 0.35, 1, 12,
                "Japan Science and Technology Agency", "JPMJPR"),
)


@dataclass(frozen=True)
class WorldParams:
    """All parameters of one simulated world (see docs/simulation.md for each)."""

    works: int = 150_000
    seed: int = 0
    start_year: int = 2000
    end_year: int = 2023
    # --- researchers and careers
    authorships_per_researcher_year: float = 1.6
    career_mean_years: float = 14.0
    rate_sigma: float = 0.8  # lognormal sd of individual publication propensity
    min_country_researchers: float = 1.5  # floor on a present country's expected active researchers per year
    mobility_scale: float = 1.0  # multiplier on the MPIDR (Scopus) out-migration rates
    return_rate: float = 0.15  # yearly probability that a researcher abroad returns home
    onward_share: float = 0.4  # out-migration from a foreign host relative to the host's rate
    secondary_domestic_share: float = 0.08
    secondary_foreign_share: float = 0.04
    secondary_show_prob: float = 0.6
    orcid_share_start: float = 0.25  # share with ORCID among researchers entering at start_year
    orcid_share_end: float = 0.80
    # --- international co-authorship
    intl_targets: tuple[tuple[str, float], ...] = tuple(INTL_TARGETS_2022.items())
    intl_target_year: int = 2022
    intl_trend_logit_per_year: float = 0.035
    intl_calibration_papers: int = 120_000
    intl_calibration_rounds: int = 10
    # --- papers
    hyperauthor_prob_physics: float = 0.008
    hyperauthor_prob_other: float = 0.0004
    hyperauthor_min: int = 100
    hyperauthor_max: int = 1500
    type_shares: tuple[tuple[str, float], ...] = (
        ("article", 0.80), ("review", 0.06), ("book-chapter", 0.04), ("preprint", 0.05), ("proceedings-article", 0.05),
    )
    doi_share: float = 0.88
    # --- references and citations
    refs_zero_share: float = 0.10
    cross_field_ref_share: float = 0.12
    fitness_alpha: float = 0.6  # citation attractiveness of block rank quantile u is u**-alpha
    never_cited_share: float = 0.35  # bottom share of each (year, field) block with zero attractiveness
    aging_scale_years: float = 3.0
    # --- research fronts
    front_lineages_per_100k_works: float = 30.0
    front_core_min: int = 6
    front_core_max: int = 14
    front_citing_min: int = 25
    front_citing_max: int = 60
    front_carry_share: float = 0.4
    front_cite_prob: float = 0.75
    # --- planted programs
    programs: tuple[ProgramSpec, ...] = DEFAULT_PROGRAMS
    base_funding_prob: float = 0.35
    # --- gaps of real OpenAlex
    no_institution_prob_start: float = 0.22
    no_institution_prob_end: float = 0.10
    institution_no_country_share: float = 0.03
    author_split_share: float = 0.01
    author_merge_share: float = 0.004
    citation_percentile_null_share: float = 0.03
    # --- execution
    chunk_size: int = 0  # 0 = automatic
    workers: int = 0  # 0 = all cores

    def __post_init__(self) -> None:
        if self.works < 1000:
            raise ConfigError(f"works must be at least 1000, got {self.works}")
        if self.works > 2_000_000_000:
            raise ConfigError("works must be at most 2e9")
        if not 1950 <= self.start_year < self.end_year <= 2100:
            raise ConfigError(f"need 1950 <= start_year < end_year <= 2100, got {self.start_year}..{self.end_year}")
        if self.end_year - self.start_year + 1 < 6:
            raise ConfigError("the world must span at least 6 years")
        if self.seed < 0:
            raise ConfigError("seed must be >= 0")

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    @property
    def scale(self) -> float:
        return self.works / 150_000

    def with_(self, **changes: object) -> WorldParams:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("workers")  # execution only: the output does not depend on it
        d["programs"] = [asdict(p) for p in self.programs]
        d["intl_targets"] = dict(self.intl_targets)
        d["type_shares"] = dict(self.type_shares)
        return d


DEFAULT_WORLD = WorldParams()
