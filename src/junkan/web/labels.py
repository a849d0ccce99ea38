"""User-facing words of the dashboard in Japanese and English (chart texts come from the chart catalog)."""

from __future__ import annotations

__all__ = ["UI", "ui"]

UI: dict[str, tuple[str, str]] = {  # key -> (ja, en)
    "app": ("junkan（循環）ダッシュボード", "junkan dashboard"),
    "tagline": ("研究者と知識の国際循環", "International brain circulation"),
    "country": ("国・地域", "Country"),
    "field": ("分野", "Field"),
    "all_fields": ("全分野", "All fields"),
    "period": ("期間", "Period"),
    "start": ("開始年", "From"),
    "end": ("終了年", "To"),
    "auto": ("既定", "default"),
    "counting": ("カウント法", "Counting"),
    "whole": ("整数カウント", "Whole counting"),
    "fractional": ("分数カウント", "Fractional counting"),
    "apply": ("表示", "Apply"),
    "language": ("言語", "Language"),
    "download": ("ダウンロード", "Download"),
    "data_table": ("データ表", "Data table"),
    "rows_shown": ("先頭 {n} 行を表示（全 {total} 行はダウンロードから）", "First {n} rows shown (all {total} rows in the downloads)"),
    "simulated": ("シミュレーションデータ（実データではありません）", "SIMULATED data (not real)"),
    "store": ("ストア", "Store"),
    "store_version": ("ストア版", "Store version"),
    "content_hash": ("内容ハッシュ", "Content hash"),
    "json_twin": ("このページのJSON", "This page as JSON"),
    "no_charts": ("このページのグラフはまだありません。", "No charts on this page yet."),
    "chart_error": ("このグラフは表示できません", "This chart cannot be shown"),
    "loading": ("読み込み中…", "Loading…"),
    "manifest": ("マニフェスト", "Manifest"),
    "inputs": ("入力", "Inputs"),
    "tables": ("テーブル", "Tables"),
    "rows": ("行数", "Rows"),
    "quarantine": ("隔離された記録（理由別）", "Quarantined records by reason"),
    "reason": ("理由", "Reason"),
    "records": ("件数", "Records"),
    "none": ("なし", "none"),
    "read_kept_rejected": ("読込 = 採用 + 除外", "read = kept + rejected"),
    "created": ("作成日時", "Created"),
    "schema_version": ("スキーマ版", "Schema version"),
    "junkan_version": ("junkan 版", "junkan version"),
    "sources": ("データソース", "Data sources"),
    "error": ("エラー", "Error"),
    "back": ("ダッシュボードへ戻る", "Back to the dashboard"),
    "findings": ("主な結果", "Key findings"),
    "summary": ("このストアには {start}〜{end}年の論文 {works} 件（{countries} か国・地域、{fields} 分野）があります。",
                "This store holds {works} works published {start}–{end} ({countries} countries and economies, {fields} fields)."),
    "summary_country": ("{country} の論文は {works} 件です。", "{country}: {works} works."),
    "zoom_hint": ("ドラッグで移動、ホイールで拡大縮小、項目にカーソルで詳細", "Drag to pan, scroll to zoom, hover for details"),
}


def ui(lang: str) -> dict[str, str]:
    """All labels in ``lang`` ("ja" or "en")."""
    i = 0 if lang == "ja" else 1
    return {k: v[i] for k, v in UI.items()}
