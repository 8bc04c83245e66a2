"""Streaming ingest of large platform exports: time and peak memory.

    python benchmark/speed/bench_ingest.py [--rows 1000000] [--platform labelstudio|mturk]

Writes a generated export of ``--rows`` submissions on the XTD10 image names, ingests it
to parquet in a child process and prints rows/second and that process's peak RSS. For
Label Studio it also measures, side by side in another child process, the peak RSS of
simply ``json.load``-ing the same export, which is what a whole-document reader would need
before producing a single row; the ratio shows what streaming saves.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

# Names shaped like XTD10's COCO files; the benchmark needs no caption source.
NAMES = [f"COCO_val2014_{i:012d}.jpg" for i in range(1, 1001)]


def write_export(path: Path, platform: str, rows: int) -> None:
    names = NAMES
    with open(path, "w", encoding="utf-8", newline="") as handle:
        if platform == "mturk":
            writer = csv.writer(handle)
            writer.writerow(["HITId", "AssignmentId", "WorkerId", "AssignmentStatus", "WorkTimeInSeconds",
                             "Input.file_name", "Input.english", "Answer.translation"])
            for i in range(rows):
                writer.writerow([f"H{i // 3}", f"A{i}", f"W{i % 997}", "Submitted", 30 + i % 90,
                                 names[i % len(names)], "A man riding a wave on top of a surfboard.",
                                 f"Ein Mann reitet auf einer Welle, Nummer {i}."])
            return
        handle.write("[\n")
        for i in range(rows):
            task = {"id": i, "data": {"image": f"/data/upload/7/{names[i % len(names)]}",
                                      "english": "A man riding a wave on top of a surfboard."},
                    "annotations": [{"id": i, "completed_by": {"id": i % 997, "email": f"w{i % 997}@example.org"},
                                     "lead_time": 30.5 + i % 90, "created_at": "2026-11-25T10:00:00Z",
                                     "was_cancelled": False,
                                     "result": [{"from_name": "translation", "to_name": "image", "type": "textarea",
                                                 "value": {"text": [f"Ein Mann reitet auf einer Welle, Nummer {i}."]}}]}]}
            handle.write(("," if i else "") + json.dumps(task, ensure_ascii=False) + "\n")
        handle.write("]\n")


def _child(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


INGEST = """
import json, resource, sys, time
from xtd10.crowd.ingest import ingest
t = time.perf_counter()
report = ingest({path!r}, platform={platform!r}, language="de", output={out!r}, image_names={names!r})
print(json.dumps({{"rows": report.rows, "bad_rows": report.bad_rows, "seconds": time.perf_counter() - t,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

WHOLE_JSON = """
import json, resource, time
t = time.perf_counter()
with open({path!r}, encoding="utf-8") as handle:
    tasks = json.load(handle)
print(json.dumps({{"tasks": len(tasks), "seconds": time.perf_counter() - t,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--platform", choices=["labelstudio", "mturk"], default="labelstudio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("export.json" if args.platform == "labelstudio" else "results.csv")
        write_export(path, args.platform, args.rows)
        ingested = _child(INGEST.format(path=str(path), platform=args.platform, out=str(Path(tmp) / "b.parquet"), names=NAMES))
        report = {"platform": args.platform, "export_mib": round(path.stat().st_size / 2**20, 1),
                  "rows": ingested["rows"], "bad_rows": ingested["bad_rows"],
                  "ingest_s": round(ingested["seconds"], 1),
                  "rows_per_s": round(ingested["rows"] / ingested["seconds"]),
                  "ingest_peak_rss_mib": round(ingested["peak_rss_mib"])}
        if args.platform == "labelstudio":
            whole = _child(WHOLE_JSON.format(path=str(path)))
            report["json_load_only_peak_rss_mib"] = round(whole["peak_rss_mib"])
            report["json_load_only_s"] = round(whole["seconds"], 1)
            report["memory_ratio_whole_over_streaming"] = round(whole["peak_rss_mib"] / ingested["peak_rss_mib"], 2)
    report["bench_process_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
