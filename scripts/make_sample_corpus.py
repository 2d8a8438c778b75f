#!/usr/bin/env python
"""Write the kit's sample English-Japanese corpus (``kit/sample_data/``).

The corpus is *generated*, not copied: hand-written news-style templates
(subjects, events, places, times, with their Japanese renderings) are filled
in by a seeded random generator, so the output is byte-for-byte reproducible
and free of third-party licences. The Japanese side is pre-tokenised with
spaces, like ALT's ``jp_tokenized`` field, so BLEU is computed with sacrebleu's
``tokenize="none"``.

Usage::

    python scripts/make_sample_corpus.py            # rewrite kit/sample_data/
    python scripts/make_sample_corpus.py --out DIR  # write elsewhere (tests)

A test checks that the committed files equal this script's output.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path

SEED = 20240601
SIZES = {"train": 1200, "dev": 100, "test": 100}
OUT_DIR = Path(__file__).resolve().parent.parent / "kit" / "sample_data"

Pair = tuple[str, str]

# The workshop's own example (its 入力 / 正解 lines); it must be in the test split.
WORKSHOP_SENTENCE: Pair = (
    "Flaming debris ignited small grass fires next to the roads.",
    "炎 を あげる 破片 は 道 横 の 小 草 を 燃やし た 。",
)

# --- vocabulary: (English, Japanese tokenised with spaces) -------------------------

ORGS: list[Pair] = [
    ("the government", "政府"), ("the prime minister", "首相"), ("the president", "大統領"),
    ("the mayor", "市長"), ("the police", "警察"), ("the central bank", "中央 銀行"),
    ("the health ministry", "保健 省"), ("the United Nations", "国連"), ("the company", "同社"),
    ("the opposition party", "野党"), ("the city council", "市 議会"),
    ("the election commission", "選挙 管理 委員 会"), ("the school board", "教育 委員 会"),
    ("the airline", "その 航空 会社"), ("the football association", "サッカー 協会"),
]
SPEAKERS: list[Pair] = ORGS[:8] + [
    ("a spokesman", "広報 担当 者"), ("officials", "当局 者"), ("the minister", "大臣"),
    ("the governor", "知事"),
]
VISITORS: list[Pair] = [
    ("the prime minister", "首相"), ("the president", "大統領"), ("the foreign minister", "外務 大臣"),
    ("the king", "国王"), ("the UN secretary-general", "国連 事務 総長"), ("the governor", "知事"),
]
RESEARCHERS: list[Pair] = [
    ("scientists", "科学 者 たち"), ("researchers in Japan", "日本 の 研究 者 たち"),
    ("doctors", "医師 たち"), ("a team of researchers", "研究 チーム"),
]
ANNOUNCED: list[Pair] = [
    ("a new plan", "新しい 計画"), ("a new budget", "新しい 予算"),
    ("the results of the survey", "調査 の 結果"), ("its annual report", "年次 報告 書"),
    ("new safety rules", "新しい 安全 規則"), ("a plan to build a new bridge", "新しい 橋 を 建設 する 計画"),
    ("a plan to reduce taxes", "減税 の 計画"), ("the names of the new ministers", "新しい 閣僚 の 名前"),
    ("a ban on plastic bags", "レジ 袋 の 禁止"), ("a new policy on energy", "エネルギー に 関する 新しい 政策"),
]
CLAUSES: list[Pair] = [
    ("the economy is growing", "経済 は 成長 し て いる"),
    ("prices will rise next year", "来年 物価 が 上がる"),
    ("the situation is under control", "事態 は 収拾 さ れ て いる"),
    ("the investigation will continue", "捜査 は 続く"),
    ("more rain is expected this week", "今週 さらに 雨 が 予想 さ れる"),
    ("the road will reopen soon", "道路 は まもなく 再開 さ れる"),
    ("no one was hurt", "けが 人 は い なかっ た"),
    ("the new law will protect children", "新しい 法律 は 子供 たち を 守る"),
    ("the talks were successful", "協議 は 成功 し た"),
    ("the number of tourists has increased", "観光 客 の 数 が 増え た"),
]
FINDINGS: list[Pair] = [
    ("coffee may reduce the risk of disease", "コーヒー が 病気 の リスク を 下げる 可能 性 が ある"),
    ("the sea level is rising faster", "海面 が より 速く 上昇 し て いる"),
    ("many birds are losing their homes", "多く の 鳥 が すみか を 失い つつ ある"),
    ("the ice is melting quickly", "氷 が 急速 に 溶け て いる"),
    ("children sleep less than before", "子供 たち の 睡眠 時間 が 以前 より 短い"),
]
PLACES: list[Pair] = [
    ("Tokyo", "東京"), ("Osaka", "大阪"), ("Naha", "那覇"), ("Okinawa", "沖縄"), ("Bangkok", "バンコク"),
    ("Jakarta", "ジャカルタ"), ("Manila", "マニラ"), ("Hanoi", "ハノイ"), ("Yangon", "ヤンゴン"),
    ("London", "ロンドン"), ("Paris", "パリ"), ("Sydney", "シドニー"), ("New York", "ニューヨーク"),
    ("Delhi", "デリー"), ("Kuala Lumpur", "クアラルンプール"), ("Phnom Penh", "プノンペン"),
    ("Singapore", "シンガポール"), ("Seoul", "ソウル"), ("Cairo", "カイロ"), ("Nairobi", "ナイロビ"),
    ("northern Thailand", "タイ 北部"), ("southern India", "インド 南部"),
]
PAST: list[Pair] = [
    ("on Monday", "月曜 日 に"), ("on Tuesday", "火曜 日 に"), ("on Wednesday", "水曜 日 に"),
    ("on Thursday", "木曜 日 に"), ("on Friday", "金曜 日 に"), ("on Saturday", "土曜 日 に"),
    ("on Sunday", "日曜 日 に"), ("yesterday", "昨日"), ("last week", "先週"), ("last month", "先月"),
    ("earlier this year", "今年 初め に"), ("this morning", "今朝"),
]
FUTURE: list[Pair] = [
    ("next week", "来週"), ("next month", "来月"), ("tomorrow", "明日"), ("in March", "3 月 に"),
    ("in June", "6 月 に"), ("later this year", "今年 後半 に"),
]
EVENTS: list[Pair] = [
    ("a fire", "火災"), ("a traffic accident", "交通 事故"), ("an explosion", "爆発"),
    ("a train crash", "列車 事故"), ("a bus accident", "バス 事故"), ("a landslide", "土砂 崩れ"),
    ("an earthquake", "地震"),
]
NUMBERS: list[Pair] = [
    ("two", "2"), ("three", "3"), ("four", "4"), ("five", "5"), ("six", "6"), ("seven", "7"),
    ("eight", "8"), ("nine", "9"), ("ten", "10"), ("12", "12"), ("15", "15"), ("20", "20"), ("35", "35"),
]
CAUSES: list[Pair] = [
    ("heavy rain", "大雨"), ("a strong typhoon", "強い 台風"), ("a powerful storm", "強い 嵐"),
    ("strong winds", "強風"), ("heavy snow", "大雪"),
]
EFFECTS: list[Pair] = [
    ("flooding", "洪水"), ("power cuts", "停電"), ("landslides", "土砂 崩れ"),
    ("traffic jams", "交通 渋滞"), ("serious damage", "深刻 な 被害"),
]
TEAMS: list[Pair] = [
    ("Italy", "イタリア"), ("Portugal", "ポルトガル"), ("Japan", "日本"), ("Thailand", "タイ"),
    ("Australia", "オーストラリア"), ("France", "フランス"), ("Brazil", "ブラジル"), ("Vietnam", "ベトナム"),
    ("England", "イングランド"), ("New Zealand", "ニュージーランド"), ("Argentina", "アルゼンチン"),
    ("Indonesia", "インドネシア"),
]
GOODS: list[Pair] = [
    ("oil", "石油"), ("rice", "米"), ("gold", "金"), ("sugar", "砂糖"), ("coffee", "コーヒー"),
    ("wheat", "小麦"), ("electricity", "電気"), ("petrol", "ガソリン"),
]
CRIMES: list[Pair] = [
    ("robbery", "強盗"), ("fraud", "詐欺"), ("theft", "窃盗"), ("smuggling drugs", "麻薬 密輸"),
    ("corruption", "汚職"),
]
# (English, Japanese, the Japanese verb for "opened" that fits the facility)
FACILITIES: list[tuple[str, str, str]] = [
    ("hospital", "病院", "開院"), ("airport", "空港", "開港"), ("museum", "博物館", "開館"),
    ("library", "図書館", "開館"), ("bridge", "橋", "開通"), ("railway station", "鉄道 駅", "開業"),
    ("shopping centre", "ショッピング センター", "開業"), ("school", "学校", "開校"),
]


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


# --- templates: each draws its slots from ``r`` and returns one pair ----------------


def _announce(r: random.Random) -> Pair:
    (s, sj), (o, oj), (t, tj) = r.choice(ORGS), r.choice(ANNOUNCED), r.choice(PAST)
    return f"{_cap(s)} announced {o} {t}.", f"{sj} は {tj} {oj} を 発表 し た 。"


def _said(r: random.Random) -> Pair:
    (s, sj), (c, cj) = r.choice(SPEAKERS), r.choice(CLAUSES)
    return f"{_cap(s)} said that {c}.", f"{sj} は {cj} と 述べ た 。"


def _casualties(r: random.Random) -> Pair:
    (n, nj), (e, ej), (p, pj), (t, tj) = r.choice(NUMBERS), r.choice(EVENTS), r.choice(PLACES), r.choice(PAST)
    verb, verbj = r.choice([("injured", "負傷"), ("killed", "死亡")])
    return (f"{_cap(n)} people were {verb} in {e} in {p} {t}.",
            f"{tj} {pj} で 起き た {ej} で {nj} 人 が {verbj} し た 。")


def _weather(r: random.Random) -> Pair:
    (c, cj), (e, ej), (p, pj), (t, tj) = r.choice(CAUSES), r.choice(EFFECTS), r.choice(PLACES), r.choice(PAST)
    return f"{_cap(c)} caused {e} in {p} {t}.", f"{tj} {pj} で {cj} により {ej} が 発生 し た 。"


def _sport(r: random.Random) -> Pair:
    (a, aj), (b, bj) = r.sample(TEAMS, 2)
    (p, pj), (t, tj) = r.choice(PLACES[:20]), r.choice(PAST)
    y = r.randint(0, 30)
    x = y + r.randint(1, 30)
    return f"{a} defeated {b} {x}-{y} in {p} {t}.", f"{aj} は {tj} {pj} で {bj} を {x} 対 {y} で 破っ た 。"


def _price(r: random.Random) -> Pair:
    (g, gj), (t, tj) = r.choice(GOODS), r.choice(PAST)
    n = r.randint(2, 15)
    verb, verbj = r.choice([("rose", "上昇"), ("fell", "下落")])
    return f"The price of {g} {verb} by {n} percent {t}.", f"{tj} {gj} の 価格 が {n} パーセント {verbj} し た 。"


def _visit(r: random.Random) -> Pair:
    (s, sj), (p, pj), (t, tj) = r.choice(VISITORS), r.choice(PLACES), r.choice(FUTURE)
    return f"{_cap(s)} will visit {p} {t}.", f"{sj} は {tj} {pj} を 訪問 する 予定 だ 。"


def _arrest(r: random.Random) -> Pair:
    (n, nj), (c, cj), (p, pj), (t, tj) = r.choice(NUMBERS), r.choice(CRIMES), r.choice(PLACES), r.choice(PAST)
    return (f"Police arrested {n} men suspected of {c} in {p} {t}.",
            f"警察 は {tj} {pj} で {cj} の 疑い で {nj} 人 の 男 を 逮捕 し た 。")


def _opened(r: random.Random) -> Pair:
    (f, fj, vj), (p, pj), (t, tj) = r.choice(FACILITIES), r.choice(PLACES), r.choice(PAST)
    return f"A new {f} opened in {p} {t}.", f"{tj} {pj} で 新しい {fj} が {vj} し た 。"


def _study(r: random.Random) -> Pair:
    (s, sj), (f, fj) = r.choice(RESEARCHERS), r.choice(FINDINGS)
    return f"{_cap(s)} found that {f}.", f"{sj} は {fj} こと を 発見 し た 。"


def _polls(r: random.Random) -> Pair:
    (p, pj), (t, tj) = r.choice(PLACES), r.choice(PAST)
    return f"Voters in {p} went to the polls {t}.", f"{tj} {pj} の 有権 者 が 投票 に 行っ た 。"


TEMPLATES: list[Callable[[random.Random], Pair]] = [
    _announce, _said, _casualties, _weather, _sport, _price, _visit, _arrest, _opened, _study, _polls,
]


def generate(seed: int = SEED, sizes: dict[str, int] = SIZES) -> dict[str, list[Pair]]:
    """Return ``{"train": [...], "dev": [...], "test": [...]}``, each a list of (en, ja).

    No English sentence occurs twice, in a split or across splits; the workshop
    sentence is the first test pair.
    """
    r = random.Random(seed)
    seen = {WORKSHOP_SENTENCE[0]}
    splits: dict[str, list[Pair]] = {name: [] for name in sizes}
    splits["test"].append(WORKSHOP_SENTENCE)
    for name, size in sizes.items():
        while len(splits[name]) < size:
            pair = r.choice(TEMPLATES)(r)
            if pair[0] not in seen:
                seen.add(pair[0])
                splits[name].append(pair)
    return splits


README = """\
# The kit's sample corpus

Generated by `scripts/make_sample_corpus.py` (do not edit by hand; rerun the script).
English-Japanese news-style sentence pairs built from hand-written templates, so every
lesson runs offline. `train` / `dev` / `test`, one sentence a line; the Japanese side is
tokenised with spaces (like ALT's `jp_tokenized`), so BLEU uses sacrebleu's `tokenize="none"`.
The first test pair is the workshop's own example sentence.
"""


def write(out_dir: Path, splits: dict[str, list[Pair]]) -> list[Path]:
    """Write ``<split>.en`` / ``<split>.ja``, one sentence a line (UTF-8, LF), and a README."""
    out_dir.mkdir(parents=True, exist_ok=True)
    readme = out_dir / "README.md"
    readme.write_text(README, encoding="utf-8", newline="\n")
    written = [readme]
    for name, pairs in splits.items():
        for index, lang in enumerate(("en", "ja")):
            path = out_dir / f"{name}.{lang}"
            path.write_text("".join(pair[index] + "\n" for pair in pairs), encoding="utf-8", newline="\n")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default: {OUT_DIR})")
    args = parser.parse_args(argv)
    for path in write(args.out, generate()):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
