"""Country mapping presets and country names (English and Japanese).

Country codes stay in the store exactly as the source gives them (ISO 3166-1 alpha-2). Mappings such
as Hong Kong/Macao → China are applied at query time, per analysis, with one of the presets below
(METHODS.md §0.3):

========  ===================  ==============================================================
preset    mapping              used for
========  ===================  ==============================================================
nistep    HK, MO → CN          NISTEP emulation (WoS writes HK addresses as "Peoples R China";
                               **[UNVERIFIED]** for NISTEP itself)
cwts      HK, MO → CN          CWTS / Leiden Ranking Open Edition ([CWTS-IND-02], [LROE-SQL])
oecd      identity             OECD statistics ("Hong Kong, China" is a separate economy)
========  ===================  ==============================================================

Taiwan (TW) stays separate in every preset.

>>> country_map("cwts")["HK"]
'CN'
>>> country_map("oecd")
{}
>>> country_name("JP", "ja")
'日本'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from junkan.errors import ConfigError

__all__ = [
    "COUNTRY_MAPS",
    "COUNTRY_NAMES",
    "WORLD",
    "country_map",
    "country_name",
]

#: Pseudo country code used for world rows in indicator tables (World Bank's aggregate code).
WORLD = "WLD"

#: Preset name -> {source code: reported code}. Codes not listed map to themselves.
COUNTRY_MAPS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "nistep": MappingProxyType({"HK": "CN", "MO": "CN"}),
        "cwts": MappingProxyType({"HK": "CN", "MO": "CN"}),
        "oecd": MappingProxyType({}),
    }
)

#: ISO 3166-1 alpha-2 code -> (English short name, Japanese name). Covers the ~75 countries and
#: economies with the largest publication output plus the aggregates junkan reports.
COUNTRY_NAMES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "WLD": ("World", "世界"),
        "AE": ("United Arab Emirates", "アラブ首長国連邦"),
        "AR": ("Argentina", "アルゼンチン"),
        "AT": ("Austria", "オーストリア"),
        "AU": ("Australia", "オーストラリア"),
        "BD": ("Bangladesh", "バングラデシュ"),
        "BE": ("Belgium", "ベルギー"),
        "BG": ("Bulgaria", "ブルガリア"),
        "BR": ("Brazil", "ブラジル"),
        "CA": ("Canada", "カナダ"),
        "CH": ("Switzerland", "スイス"),
        "CL": ("Chile", "チリ"),
        "CN": ("China", "中国"),
        "CO": ("Colombia", "コロンビア"),
        "CY": ("Cyprus", "キプロス"),
        "CZ": ("Czechia", "チェコ"),
        "DE": ("Germany", "ドイツ"),
        "DK": ("Denmark", "デンマーク"),
        "DZ": ("Algeria", "アルジェリア"),
        "EC": ("Ecuador", "エクアドル"),
        "EE": ("Estonia", "エストニア"),
        "EG": ("Egypt", "エジプト"),
        "ES": ("Spain", "スペイン"),
        "ET": ("Ethiopia", "エチオピア"),
        "FI": ("Finland", "フィンランド"),
        "FR": ("France", "フランス"),
        "GB": ("United Kingdom", "英国"),
        "GH": ("Ghana", "ガーナ"),
        "GR": ("Greece", "ギリシャ"),
        "HK": ("Hong Kong, China", "香港"),
        "HR": ("Croatia", "クロアチア"),
        "HU": ("Hungary", "ハンガリー"),
        "ID": ("Indonesia", "インドネシア"),
        "IE": ("Ireland", "アイルランド"),
        "IL": ("Israel", "イスラエル"),
        "IN": ("India", "インド"),
        "IQ": ("Iraq", "イラク"),
        "IR": ("Iran", "イラン"),
        "IS": ("Iceland", "アイスランド"),
        "IT": ("Italy", "イタリア"),
        "JO": ("Jordan", "ヨルダン"),
        "JP": ("Japan", "日本"),
        "KE": ("Kenya", "ケニア"),
        "KR": ("Korea, Republic of", "韓国"),
        "KZ": ("Kazakhstan", "カザフスタン"),
        "LB": ("Lebanon", "レバノン"),
        "LK": ("Sri Lanka", "スリランカ"),
        "LT": ("Lithuania", "リトアニア"),
        "LU": ("Luxembourg", "ルクセンブルク"),
        "LV": ("Latvia", "ラトビア"),
        "MA": ("Morocco", "モロッコ"),
        "MO": ("Macao, China", "マカオ"),
        "MX": ("Mexico", "メキシコ"),
        "MY": ("Malaysia", "マレーシア"),
        "NG": ("Nigeria", "ナイジェリア"),
        "NL": ("Netherlands", "オランダ"),
        "NO": ("Norway", "ノルウェー"),
        "NP": ("Nepal", "ネパール"),
        "NZ": ("New Zealand", "ニュージーランド"),
        "OM": ("Oman", "オマーン"),
        "PE": ("Peru", "ペルー"),
        "PH": ("Philippines", "フィリピン"),
        "PK": ("Pakistan", "パキスタン"),
        "PL": ("Poland", "ポーランド"),
        "PT": ("Portugal", "ポルトガル"),
        "QA": ("Qatar", "カタール"),
        "RO": ("Romania", "ルーマニア"),
        "RS": ("Serbia", "セルビア"),
        "RU": ("Russian Federation", "ロシア"),
        "SA": ("Saudi Arabia", "サウジアラビア"),
        "SE": ("Sweden", "スウェーデン"),
        "SG": ("Singapore", "シンガポール"),
        "SI": ("Slovenia", "スロベニア"),
        "SK": ("Slovakia", "スロバキア"),
        "TH": ("Thailand", "タイ"),
        "TN": ("Tunisia", "チュニジア"),
        "TR": ("Türkiye", "トルコ"),
        "TW": ("Taiwan", "台湾"),
        "UA": ("Ukraine", "ウクライナ"),
        "US": ("United States", "米国"),
        "VN": ("Viet Nam", "ベトナム"),
        "ZA": ("South Africa", "南アフリカ"),
    }
)


def country_map(preset: str | Mapping[str, str] | None) -> dict[str, str]:
    """The non-identity part of a country mapping: a preset name, an explicit mapping, or ``None`` (identity).

    Raises :class:`~junkan.errors.ConfigError` for an unknown preset or a code that is not two upper-case
    letters, naming the presets.
    """
    if preset is None:
        return {}
    if isinstance(preset, str):
        try:
            return dict(COUNTRY_MAPS[preset])
        except KeyError:
            raise ConfigError(
                f"unknown country map {preset!r}. Hint: choose one of {', '.join(COUNTRY_MAPS)} "
                "or pass a mapping such as {'HK': 'CN'}"
            ) from None
    out: dict[str, str] = {}
    for k, v in dict(preset).items():
        for code in (k, v):
            if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()):
                raise ConfigError(f"country map entry {k!r} -> {v!r}: codes must be ISO 3166-1 alpha-2 (e.g. 'HK')")
        if k != v:
            out[k] = v
    return out


def country_name(code: str, lang: str = "en") -> str:
    """English (``lang="en"``) or Japanese (``"ja"``) name of a country code; the code itself when unknown."""
    if lang not in ("en", "ja"):
        raise ConfigError(f"unknown language {lang!r}; choose 'en' or 'ja'")
    names = COUNTRY_NAMES.get(code)
    if names is None:
        return code
    return names[0] if lang == "en" else names[1]
