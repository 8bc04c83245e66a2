"""Planted-fault batches through the public commands: does any fault reach --accepted?

    python benchmark/calibration/crowd_planted.py --source DIR [--semantic] [--workdir DIR]

Builds two batches as CSV exports, ingests them (``xtd10 crowd ingest --platform csv``)
and decides them with default settings (``xtd10 crowd decide --accepted``):

- ``es-mx``: a language tag with no packaged settings. Clean rows are the real XTD10
  Spanish captions (with their real English sources) from ``--source``, 50 workers with
  20 images each and plausible work times.
- ``hi``: Hindi, a language the default semantic encoder (mUSE) does not cover. Clean rows
  are this script's own translations of its own English captions (the XTD10 captions
  have no Hindi), spread over XTD10 image names.

Into each, faults of every rule family are planted on top of clean workers' rows (each
row of ``FAULTS`` below, in the batch's language), plus worker-level faults: one worker
who types one unrelated sentence for four images in 3 s each, and two workers who hand
in the same text. It prints, per batch and overall: planted faults that reached
``--accepted`` (the goal is 0), the share of clean rows approved without review (goal
>= 95%) and the share of the batch sent to review (goal <= 25%).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

# (English, Hindi): captions written for this benchmark, not taken from any dataset.
HINDI = [
    ("a man riding a wave on a surfboard", "एक आदमी सर्फबोर्ड पर लहर की सवारी कर रहा है"),
    ("a cat sitting on a wooden table", "एक बिल्ली लकड़ी की मेज़ पर बैठी है"),
    ("two giraffes standing in a grassy field", "दो जिराफ़ घास के मैदान में खड़े हैं"),
    ("a plate of food with rice and vegetables", "चावल और सब्ज़ियों के साथ खाने की एक थाली"),
    ("a red bus driving down the street", "एक लाल बस सड़क पर चल रही है"),
    ("a group of people flying kites on the beach", "लोगों का एक समूह समुद्र तट पर पतंग उड़ा रहा है"),
    ("a young boy holding a baseball bat", "एक छोटा लड़का बेसबॉल का बल्ला पकड़े हुए है"),
    ("a dog catching a frisbee in the park", "एक कुत्ता पार्क में फ्रिस्बी पकड़ रहा है"),
    ("a kitchen with white cabinets and a stove", "सफ़ेद अलमारियों और चूल्हे वाली एक रसोई"),
    ("an airplane flying over the city at sunset", "सूर्यास्त के समय शहर के ऊपर उड़ता हुआ एक हवाई जहाज़"),
    ("a woman sitting on a bench reading a book", "एक महिला बेंच पर बैठकर किताब पढ़ रही है"),
    ("a train stopped at a station platform", "एक ट्रेन स्टेशन के प्लेटफ़ॉर्म पर रुकी हुई है"),
    ("a bowl of fruit with apples and bananas", "सेब और केलों से भरा फलों का एक कटोरा"),
    ("a man skiing down a snowy mountain", "एक आदमी बर्फ़ीले पहाड़ से नीचे स्कीइंग कर रहा है"),
    ("a clock tower in the middle of a town square", "शहर के चौक के बीच में एक घंटाघर"),
    ("an elephant walking through tall grass", "एक हाथी ऊँची घास के बीच से चल रहा है"),
    ("a pizza with cheese and tomatoes on a table", "मेज़ पर चीज़ और टमाटर वाला एक पिज़्ज़ा"),
    ("a person riding a motorcycle on a dirt road", "एक व्यक्ति कच्ची सड़क पर मोटरसाइकिल चला रहा है"),
    ("a bathroom with a sink and a large mirror", "सिंक और एक बड़े शीशे वाला एक बाथरूम"),
    ("children playing soccer on a green field", "बच्चे हरे मैदान पर फ़ुटबॉल खेल रहे हैं"),
    ("a horse standing next to a wooden fence", "एक घोड़ा लकड़ी की बाड़ के पास खड़ा है"),
    ("a bird sitting on a tree branch", "एक पक्षी पेड़ की डाल पर बैठा है"),
    ("a boat floating on a calm lake", "एक नाव शांत झील पर तैर रही है"),
    ("two people walking with umbrellas in the rain", "दो लोग बारिश में छाते लेकर चल रहे हैं"),
    ("a woman holding a tennis racket on a court", "एक महिला कोर्ट पर टेनिस रैकेट पकड़े हुए है"),
    ("a laptop and a cup of coffee on a desk", "डेस्क पर एक लैपटॉप और कॉफ़ी का एक कप"),
    ("a sheep grazing on a green hill", "एक भेड़ हरी पहाड़ी पर चर रही है"),
    ("a little girl eating a piece of cake", "एक छोटी लड़की केक का एक टुकड़ा खा रही है"),
    ("a fire hydrant on the side of the road", "सड़क के किनारे एक फ़ायर हाइड्रेंट"),
    ("a cow standing in front of a barn", "एक गाय खलिहान के सामने खड़ी है"),
    ("a teddy bear sitting on a bed", "एक टेडी बियर बिस्तर पर बैठा है"),
    ("a man throwing a frisbee on the grass", "एक आदमी घास पर फ्रिस्बी फेंक रहा है"),
]

# Per family, the planted text in each batch's language. "{caption}" is the clean caption
# of that row, "{other}" the clean caption of another image of the same batch.
FAULTS: dict[str, dict[str, str]] = {
    "markup": {"es-mx": "un autobús <script>alert(1)</script> en la calle",
               "hi": "एक बस <script>alert(1)</script> सड़क पर"},
    "url": {"es-mx": "mira la foto en https://fotos.example.mx/123", "hi": "फोटो यहाँ देखें www.example.in"},
    "formula": {"es-mx": '=HYPERLINK("http://evil.example","ver imagen")',
                "hi": '=HYPERLINK("http://evil.example","चित्र देखें")'},
    "zero_width": {"es-mx": "{caption}\u200b\u200c", "hi": "{caption}\u200b"},
    "nul_bidi": {"es-mx": "{caption}\u202e", "hi": "\x00{caption}"},
    "emoji_only": {"es-mx": "🚌🚌 😀", "hi": "🐘 🌿"},
    "one_word": {"es-mx": "perro", "hi": "कुत्ता"},
    "placeholder": {"es-mx": "n/a", "hi": "..."},
    "refusal": {"es-mx": "no puedo traducir esta frase", "hi": "मैं इसका अनुवाद नहीं कर सकता"},
    "too_long": {"es-mx": "{caption} " * 200, "hi": "{caption} " * 200},
    "gibberish": {"es-mx": "asdfghjkl qwertyuiop zxcvb", "hi": "asdfghjkl qwertyuiop"},
    "wrong_script": {"es-mx": "группа людей запускает воздушных змеев на пляже",
                     "hi": "ایک آدمی سڑک پر چل رہا ہے اور بارش ہو رہی ہے"},
    "untranslated": {"es-mx": "{english}", "hi": "{english}"},
    "mojibake": {"es-mx": "un niÃ±o pequeÃ±o con un bate de bÃ©isbol", "hi": "à¤à¤• à¤†à¤¦à¤®à¥€"},
    "other_image": {"es-mx": "{other}", "hi": "{other}"},  # the worker pastes an earlier answer
    "too_fast": {"es-mx": "{caption}", "hi": "{caption}"},  # and a work time of 2 s
    "length": {"es-mx": "{half}", "hi": "{half}"},  # the first third of the caption
}


def clean_spanish(source) -> pd.DataFrame:
    from xtd10.data import load_frame

    frame = load_frame(["es", "en"], source=source)
    english = frame[frame.language == "en"].set_index("index")["caption"]
    es = frame[(frame.language == "es") & (frame.caption_index == 0)].reset_index(drop=True)
    return pd.DataFrame({"image": es["file_name"], "english": es["index"].map(english).to_numpy(),
                         "text": es["caption"]})


def clean_hindi(source) -> pd.DataFrame:
    from xtd10.data import load_frame

    names = load_frame("en", source=source)["file_name"].drop_duplicates().tolist()
    return pd.DataFrame({"image": names[:len(HINDI)], "english": [e for e, _ in HINDI],
                         "text": [h for _, h in HINDI]})


def build_batch(clean: pd.DataFrame, language: str, per_worker: int, seed: int, families: list[str],
                worker_level: bool = True) -> pd.DataFrame:
    """Clean rows with workers and work times, then ``families`` planted in place of clean
    rows (at most one per worker), then the worker-level faults added."""
    rng = np.random.default_rng(seed)
    rows = clean.assign(worker_id=[f"{language}-w{i // per_worker}" for i in range(len(clean))],
                        work_time_s=np.round(8 + rng.gamma(4, 9, len(clean)), 1), kind="clean", family="")
    workers = rng.permutation(rows["worker_id"].unique())[:len(families)]
    if len(workers) < len(families):
        raise SystemExit(f"{language}: {len(families)} faults need as many workers")
    targets = [int(rng.choice(rows.index[rows.worker_id == w])) for w in workers]
    untouched = [k for k in range(len(rows)) if k not in set(targets)]
    for family, i in zip(families, targets, strict=True):
        caption, english = rows.at[i, "text"], rows.at[i, "english"]
        words = caption.split()
        # An earlier answer pasted again: the clean caption of an image that stays clean in the
        # batch. (A caption of an image outside the batch is left to the semantic rule.)
        other = clean.at[max(k for k in untouched if k < i) if any(k < i for k in untouched) else untouched[-1],
                         "text"]
        text = FAULTS[family][language].format(caption=caption, english=english, other=other,
                                               half=" ".join(words[:max(1, len(words) // 3)]))
        rows.loc[i, ["text", "kind", "family"]] = [text, "fault", family]
        if family == "too_fast":
            rows.at[i, "work_time_s"] = 2.0
    if not worker_level:
        rows["submission_id"] = [f"{language}-{seed}-{i}" for i in range(len(rows))]
        return rows
    unrelated = {"es-mx": "hoy hace mucho calor y quiero ir a la playa con mis amigos",
                 "hi": "आज बहुत गर्मी है और मैं अपने दोस्तों के साथ बाज़ार जाना चाहता हूँ"}[language]
    extra = []
    for k, i in enumerate(rng.choice(len(clean), size=4, replace=False)):  # one text, four images, 3 s each
        extra.append({"image": clean.at[i, "image"], "english": clean.at[i, "english"], "text": unrelated,
                      "worker_id": f"{language}-reuser", "work_time_s": 3.0, "kind": "fault",
                      "family": "worker_reuses_text", "sub": k})
    i = int(rng.integers(len(clean)))
    shared = {"es-mx": "una persona hace algo en un lugar con varias cosas alrededor",
              "hi": "एक व्यक्ति किसी जगह पर कुछ कर रहा है और आसपास कई चीज़ें हैं"}[language]
    for worker in ("twin-a", "twin-b"):  # two workers hand in the same text for one image
        extra.append({"image": clean.at[i, "image"], "english": clean.at[i, "english"], "text": shared,
                      "worker_id": f"{language}-{worker}", "work_time_s": 30.0, "kind": "fault",
                      "family": "identical_across_workers"})
    rows = pd.concat([rows, pd.DataFrame(extra).drop(columns="sub")], ignore_index=True)
    rows["submission_id"] = [f"{language}-{seed}-{i}" for i in range(len(rows))]
    return rows


def run(cli_args: list[str]) -> str:
    import contextlib
    import io

    from xtd10.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(cli_args)
    return out.getvalue()


def measure(batches: list[pd.DataFrame], language: str, source: str, workdir: Path, semantic: bool) -> dict:
    """Each batch ingested and decided on its own; the figures are over all of them."""
    parts = [_decide(batch, f"{language}.{k}", language, source, workdir, semantic)
             for k, batch in enumerate(batches)]
    decided = pd.concat([p for p, _ in parts], ignore_index=True)
    kept = set().union(*(k for _, k in parts))
    return _figures(decided, kept, language, len(batches))


def _decide(batch: pd.DataFrame, name: str, language: str, source: str, workdir: Path,
            semantic: bool) -> tuple[pd.DataFrame, set[str]]:
    export = workdir / f"{name}.csv"
    batch[["submission_id", "worker_id", "image", "english", "text", "work_time_s"]].to_csv(export, index=False)
    parquet, accepted = workdir / f"{name}.parquet", workdir / f"{name}.accepted.parquet"
    run(["crowd", "ingest", str(export), "--platform", "csv", "--language", language, "-o", str(parquet),
         "--source", source])
    printed = run(["crowd", "decide", str(parquet), "-o", str(workdir / f"{name}.decisions.csv"),
                   "--accepted", str(accepted), "--semantic" if semantic else "--no-semantic"])
    print(f"{name}: {printed.strip().splitlines()[-1].split(' -> ')[0]}", file=sys.stderr)
    decisions = pd.read_csv(workdir / f"{name}.decisions.csv", encoding="utf-8-sig", keep_default_na=False)
    decided = batch.merge(decisions[["submission_id", "decision", "rules"]], on="submission_id", how="left")
    return decided, set(pd.read_parquet(accepted)["submission_id"])


def _figures(decided: pd.DataFrame, kept: set[str], language: str, batches: int) -> dict:
    faults, clean = decided[decided.kind == "fault"], decided[decided.kind == "clean"]
    leaked = faults[faults.submission_id.isin(kept)]
    return {
        "language": language, "batches": batches, "submissions": len(decided), "clean": len(clean), "faults": len(faults),
        "faults_accepted": len(leaked), "leaked_families": sorted(set(leaked.family)),
        "fault_decisions": {f: "/".join(sorted(set(g.decision))) for f, g in faults.groupby("family")},
        "clean_approved_pct": round(float(100 * clean.decision.eq("approve").mean()), 1),
        "review_pct": round(float(100 * decided.decision.eq("review").mean()), 1),
        "clean_not_approved_rules": {str(k): int(v) for k, v in clean.loc[clean.decision.ne("approve"), "rules"]
                                     .str.split(",").explode().value_counts().items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="XTD10 source folder (the real captions)")
    parser.add_argument("--semantic", action="store_true", help="decide with the semantic rule (default: off)")
    parser.add_argument("--workdir", default=None, help="keep the batches and decision files here")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        families = list(FAULTS)
        spanish = [build_batch(clean_spanish(args.source), "es-mx", 20, args.seed, families)]
        # 32 Hindi captions carry four faults at a time (one per worker of 8 rows), so the
        # families are spread over five batches, the worker-level faults in the last one.
        hindi = [build_batch(clean_hindi(args.source), "hi", 8, args.seed + k, families[k * 4:(k + 1) * 4],
                             worker_level=k * 4 + 4 >= len(families))
                 for k in range((len(families) + 3) // 4)]
        results = [measure(spanish, "es-mx", args.source, workdir, args.semantic),
                   measure(hindi, "hi", args.source, workdir, args.semantic)]
    total = {
        "faults_accepted": sum(r["faults_accepted"] for r in results),
        "clean_approved_pct": round(sum(r["clean_approved_pct"] * r["clean"] for r in results)
                                    / sum(r["clean"] for r in results), 1),
        "review_pct": round(sum(r["review_pct"] * r["submissions"] for r in results)
                            / sum(r["submissions"] for r in results), 1),
        "semantic_rule": args.semantic,
    }
    total["goals_met"] = bool(total["faults_accepted"] == 0 and total["clean_approved_pct"] >= 95
                          and total["review_pct"] <= 25)
    print(json.dumps({"batches": results, "total": total}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
