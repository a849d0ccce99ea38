"""The OpenAlex topic hierarchy used by the simulated world: 4 domains, the 26 real fields and a subset of
their real (ASJC-coded) subfields, with a few generated topics under each subfield."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DOMAINS", "FIELDS", "SUBFIELDS", "Taxonomy", "build_taxonomy"]

DOMAINS: dict[int, str] = {
    1: "Life Sciences",
    2: "Social Sciences",
    3: "Physical Sciences",
    4: "Health Sciences",
}

#: field id -> (name, domain id, share of world output, mean team size, mean in-world references)
FIELDS: dict[int, tuple[str, int, float, float, float]] = {
    11: ("Agricultural and Biological Sciences", 1, 0.055, 4.5, 14.0),
    12: ("Arts and Humanities", 2, 0.025, 1.4, 6.0),
    13: ("Biochemistry, Genetics and Molecular Biology", 1, 0.075, 6.0, 18.0),
    14: ("Business, Management and Accounting", 2, 0.025, 2.4, 10.0),
    15: ("Chemical Engineering", 3, 0.020, 4.0, 12.0),
    16: ("Chemistry", 3, 0.055, 4.8, 16.0),
    17: ("Computer Science", 3, 0.075, 3.6, 12.0),
    18: ("Decision Sciences", 2, 0.010, 2.5, 10.0),
    19: ("Earth and Planetary Sciences", 3, 0.035, 4.6, 15.0),
    20: ("Economics, Econometrics and Finance", 2, 0.020, 2.1, 10.0),
    21: ("Energy", 3, 0.020, 4.2, 12.0),
    22: ("Engineering", 3, 0.085, 3.9, 10.0),
    23: ("Environmental Science", 3, 0.045, 4.6, 14.0),
    24: ("Immunology and Microbiology", 1, 0.030, 6.2, 17.0),
    25: ("Materials Science", 3, 0.055, 5.0, 14.0),
    26: ("Mathematics", 3, 0.030, 2.2, 8.0),
    27: ("Medicine", 4, 0.170, 6.4, 14.0),
    28: ("Neuroscience", 1, 0.020, 5.8, 18.0),
    29: ("Nursing", 4, 0.015, 3.5, 10.0),
    30: ("Pharmacology, Toxicology and Pharmaceutics", 1, 0.020, 5.5, 14.0),
    31: ("Physics and Astronomy", 3, 0.060, 5.2, 14.0),
    32: ("Psychology", 2, 0.020, 3.6, 14.0),
    33: ("Social Sciences", 2, 0.060, 2.3, 10.0),
    34: ("Veterinary", 4, 0.008, 5.0, 10.0),
    35: ("Dentistry", 4, 0.007, 4.8, 10.0),
    36: ("Health Professions", 4, 0.010, 4.2, 10.0),
}

#: A subset of the real subfields (OpenAlex uses the ASJC codes and names).
SUBFIELDS: dict[int, tuple[str, ...]] = {
    11: ("1102 Agronomy and Crop Science", "1103 Animal Science and Zoology", "1105 Ecology, Evolution, Behavior and Systematics", "1106 Food Science", "1110 Plant Science"),
    12: ("1202 History", "1203 Language and Linguistics", "1208 Literature and Literary Theory", "1211 Philosophy", "1213 Visual Arts and Performing Arts"),
    13: ("1303 Biochemistry", "1306 Cancer Research", "1307 Cell Biology", "1311 Genetics", "1312 Molecular Biology", "1315 Structural Biology"),
    14: ("1403 Business and International Management", "1405 Management of Technology and Innovation", "1406 Marketing", "1408 Strategy and Management"),
    15: ("1503 Catalysis", "1505 Colloid and Surface Chemistry", "1507 Fluid Flow and Transfer Processes", "1508 Process Chemistry and Technology"),
    16: ("1602 Analytical Chemistry", "1603 Electrochemistry", "1604 Inorganic Chemistry", "1605 Organic Chemistry", "1606 Physical and Theoretical Chemistry"),
    17: ("1702 Artificial Intelligence", "1705 Computer Networks and Communications", "1707 Computer Vision and Pattern Recognition", "1710 Information Systems", "1712 Software"),
    18: ("1802 Information Systems and Management", "1803 Management Science and Operations Research", "1804 Statistics, Probability and Uncertainty"),
    19: ("1902 Atmospheric Science", "1907 Geology", "1908 Geophysics", "1910 Oceanography", "1912 Space and Planetary Science"),
    20: ("2002 Economics and Econometrics", "2003 Finance"),
    21: ("2102 Energy Engineering and Power Technology", "2103 Fuel Technology", "2104 Nuclear Energy and Engineering", "2105 Renewable Energy, Sustainability and the Environment"),
    22: ("2202 Aerospace Engineering", "2204 Biomedical Engineering", "2205 Civil and Structural Engineering", "2207 Control and Systems Engineering", "2208 Electrical and Electronic Engineering", "2210 Mechanical Engineering"),
    23: ("2303 Ecology", "2304 Environmental Chemistry", "2306 Global and Planetary Change", "2308 Management, Monitoring, Policy and Law", "2310 Pollution", "2312 Water Science and Technology"),
    24: ("2402 Applied Microbiology and Biotechnology", "2403 Immunology", "2404 Microbiology", "2406 Virology"),
    25: ("2502 Biomaterials", "2503 Ceramics and Composites", "2504 Electronic, Optical and Magnetic Materials", "2505 Materials Chemistry", "2506 Metals and Alloys", "2507 Polymers and Plastics"),
    26: ("2602 Algebra and Number Theory", "2603 Analysis", "2604 Applied Mathematics", "2607 Discrete Mathematics and Combinatorics", "2613 Statistics and Probability"),
    27: ("2705 Cardiology and Cardiovascular Medicine", "2713 Epidemiology", "2725 Infectious Diseases", "2728 Neurology", "2730 Oncology", "2738 Psychiatry and Mental health", "2739 Public Health, Environmental and Occupational Health", "2746 Surgery"),
    28: ("2802 Behavioral Neuroscience", "2804 Cellular and Molecular Neuroscience", "2805 Cognitive Neuroscience", "2808 Neurology"),
    29: ("2902 Advanced and Specialized Nursing", "2911 Leadership and Management", "2916 Nutrition and Dietetics"),
    30: ("3002 Drug Discovery", "3003 Pharmaceutical Science", "3004 Pharmacology", "3005 Toxicology"),
    31: ("3103 Astronomy and Astrophysics", "3104 Condensed Matter Physics", "3106 Nuclear and High Energy Physics", "3107 Atomic and Molecular Physics, and Optics", "3109 Statistical and Nonlinear Physics"),
    32: ("3202 Applied Psychology", "3203 Clinical Psychology", "3204 Developmental and Educational Psychology", "3205 Experimental and Cognitive Psychology", "3207 Social Psychology"),
    33: ("3304 Education", "3305 Geography, Planning and Development", "3306 Health (social science)", "3308 Law", "3312 Sociology and Political Science", "3320 Political Science and International Relations"),
    34: ("3402 Equine", "3403 Food Animals", "3404 Small Animals"),
    35: ("3504 Oral Surgery", "3505 Orthodontics", "3506 Periodontics"),
    36: ("3604 Emergency Medical Services", "3605 Health Information Management", "3612 Physical Therapy, Sports Therapy and Rehabilitation", "3616 Speech and Hearing"),
}

_TOPIC_PATTERNS = (
    "Advances in {s}",
    "{s}: Methods and Applications",
    "Computational Approaches in {s}",
    "Clinical and Experimental {s}",
    "Emerging Trends in {s}",
)


@dataclass(frozen=True)
class Taxonomy:
    """Flat arrays of the hierarchy (index-aligned lists; ids are OpenAlex integers)."""

    field_ids: tuple[int, ...]
    field_names: tuple[str, ...]
    field_domain: tuple[int, ...]
    field_share: tuple[float, ...]
    field_team: tuple[float, ...]
    field_refs: tuple[float, ...]
    subfield_ids: tuple[int, ...]
    subfield_names: tuple[str, ...]
    subfield_field: tuple[int, ...]  # index into field arrays
    field_subfields: tuple[tuple[int, ...], ...]  # subfield indices of each field
    topic_ids: tuple[int, ...]
    topic_names: tuple[str, ...]
    topic_subfield: tuple[int, ...]  # index into subfield arrays
    subfield_topics: tuple[tuple[int, ...], ...]


def build_taxonomy(topics_per_subfield: int = 4) -> Taxonomy:
    """Build the hierarchy; topic ids start at T10001 in field/subfield order (deterministic)."""
    if not 1 <= topics_per_subfield <= len(_TOPIC_PATTERNS):
        raise ValueError(f"topics_per_subfield must be in 1..{len(_TOPIC_PATTERNS)}")
    fids = sorted(FIELDS)
    sf_ids: list[int] = []
    sf_names: list[str] = []
    sf_field: list[int] = []
    f_sfs: list[tuple[int, ...]] = []
    t_ids: list[int] = []
    t_names: list[str] = []
    t_sf: list[int] = []
    sf_topics: list[tuple[int, ...]] = []
    for fi, fid in enumerate(fids):
        mine = []
        for entry in SUBFIELDS[fid]:
            code, name = entry.split(" ", 1)
            si = len(sf_ids)
            sf_ids.append(int(code))
            sf_names.append(name)
            sf_field.append(fi)
            mine.append(si)
            tops = []
            for k in range(topics_per_subfield):
                tops.append(len(t_ids))
                t_ids.append(10001 + len(t_ids))
                t_names.append(_TOPIC_PATTERNS[k].format(s=name))
                t_sf.append(si)
            sf_topics.append(tuple(tops))
        f_sfs.append(tuple(mine))
    return Taxonomy(
        field_ids=tuple(fids),
        field_names=tuple(FIELDS[f][0] for f in fids),
        field_domain=tuple(FIELDS[f][1] for f in fids),
        field_share=tuple(FIELDS[f][2] for f in fids),
        field_team=tuple(FIELDS[f][3] for f in fids),
        field_refs=tuple(FIELDS[f][4] for f in fids),
        subfield_ids=tuple(sf_ids),
        subfield_names=tuple(sf_names),
        subfield_field=tuple(sf_field),
        field_subfields=tuple(f_sfs),
        topic_ids=tuple(t_ids),
        topic_names=tuple(t_names),
        topic_subfield=tuple(t_sf),
        subfield_topics=tuple(sf_topics),
    )
