"""Peak memory of reading one large input file: a generated ~1 GB JSON Lines dump (and a WARC).

Each measurement runs in its own subprocess, so ``ru_maxrss`` (peak resident memory) belongs to it:

- ``baseline``: Python with dedup imported, nothing read;
- ``stream``: :func:`dedup.io.read.iter_documents` over the file, each document dropped once counted
  (what the reader itself holds: one record, one buffer);
- ``read``: :func:`dedup.io.read.read_documents`, which keeps every document's text, as a scan
  does before embedding.

With ``--rss-mb``, an RSS feed of that size (WordPress-export-like) is streamed (``rss``), and with
``--mbox-mb`` a mailbox of plain-text messages (``mbox``). With
``--gz-mb``, a JSON Lines dump of that size is also gzipped and streamed both ways in one run
(``jsonl_gz``): peak memory and seconds of the plain and the compressed file. With
``--bundle-files``, that many articles are read as files in a folder, as a ``.zip`` and as a
``.tar.gz`` of that folder, and with ``--bundle-jsonl-mb`` a JSON Lines dump of that size as a
``.jsonl.gz`` and as the one member of a ``.tar.gz`` (``bundles``; taking turns, best of 2 each).
Parts run with a size of 0 are left as they are in the results file.

Only ingest is measured: a full scan of ~1 GB of text (about 200k articles) would spend hours
embedding on 2 cores. Results: ``benchmarks/results/memory.json``.

    python -m benchmarks.bench_memory --gb 1 [--warc-mb 100] [--gz-mb 256] [--rss-mb 256] [--mbox-mb 256]
        [--bundle-files 20000 --bundle-jsonl-mb 256]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_WORDS = (
    "storm coast power government minister report election market bank rates city council police "
    "river bridge school health hospital weather wind rain forecast vote budget agency court "
    "regjeringen budsjettet været stormen kysten strøm skolene møtet"
).split()


def write_jsonl(path: Path, n_bytes: int, *, seed: int = 0, doc_chars: int = 5000) -> tuple[int, int]:
    """Write JSON Lines articles of about ``doc_chars`` characters until ``n_bytes``; (records, bytes)."""
    rng = random.Random(seed)
    # a pool of paragraphs, combined per record: fast to generate, no two records alike
    pool = [" ".join(rng.choice(_WORDS) for _ in range(80)).capitalize() + "." for _ in range(2000)]
    n = written = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < n_bytes:
            text = "\n".join(rng.choice(pool) for _ in range(doc_chars // 600))
            line = json.dumps({"id": f"a{n}", "title": f"Story {n}", "text": text}, ensure_ascii=False) + "\n"
            fh.write(line)
            written += len(line.encode("utf-8"))
            n += 1
    return n, written


def write_rss(path: Path, n_bytes: int, *, seed: int = 2, doc_chars: int = 5000) -> tuple[int, int]:
    """Write an RSS feed (a WordPress-export-like one: each item's body in content:encoded) of about
    ``n_bytes``; (items, bytes)."""
    from xml.sax.saxutils import escape

    rng = random.Random(seed)
    pool = [" ".join(rng.choice(_WORDS) for _ in range(80)).capitalize() + "." for _ in range(2000)]
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>\n')
        while fh.tell() < n_bytes:
            body = "".join(f"<p>{rng.choice(pool)}</p>" for _ in range(doc_chars // 600))
            fh.write(f"<item><title>Story {n}</title><guid>a{n}</guid>"
                     f"<content:encoded>{escape(body)}</content:encoded></item>\n")  # fmt: skip
            n += 1
        fh.write("</channel></rss>\n")
        return n, fh.tell()


def write_mbox(path: Path, n_bytes: int, *, seed: int = 5, doc_chars: int = 5000) -> tuple[int, int]:
    """Write an mbox mailbox of plain-text messages of about ``doc_chars`` characters; (messages, bytes)."""
    rng = random.Random(seed)
    pool = [" ".join(rng.choice(_WORDS) for _ in range(80)).capitalize() + "." for _ in range(2000)]
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        while fh.tell() < n_bytes:
            body = "\n".join(rng.choice(pool) for _ in range(doc_chars // 600))
            headers = f"Message-ID: <m{n}@wire.example>\nSubject: Story {n}\nContent-Type: text/plain"
            fh.write(f"From desk@wire.example Tue Jun 10 04:00:00 2025\n{headers}\n\n{body}\n\n")
            n += 1
        return n, fh.tell()


def write_warc(path: Path, n_bytes: int, *, seed: int = 0) -> tuple[int, int]:
    """A gzipped WARC of HTML responses (with image and 404 records, as a crawl has) of ~``n_bytes``."""
    from benchmarks.bench_warc import write_warc as write

    n = max(1, n_bytes // 1700)  # about 1.7 KB per gzipped record of the WARC benchmark's mix
    size = write(path, n, seed=seed)
    return n, size


_CHILD = """
import json, resource, sys, time
from pathlib import Path
from dedup.io.read import iter_documents, read_documents
mode, path = sys.argv[1], Path(sys.argv[2])
t = time.perf_counter()
n_docs = n_skipped = 0
last = [0, 0]
def progress(done, total):
    last[:] = [done, total]
if mode == "stream":
    for r in iter_documents(path, progress=progress):
        if hasattr(r, "text"):
            n_docs += 1
        else:
            n_skipped += 1
elif mode == "read":
    docs, skipped = read_documents(path, progress=progress)
    n_docs, n_skipped = len(docs), len(skipped)
print(json.dumps({"peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "seconds": round(time.perf_counter() - t, 1), "docs": n_docs, "skipped": n_skipped,
                  "progress_last": last}))
"""


def measure(mode: str, path: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def stream_generated(
    label: str, path: Path, write: Callable[[Path, int], tuple[int, int]], mib: float, count_key: str
) -> dict[str, object]:
    """Write a file of ``mib`` MiB with ``write``, then measure the baseline and streaming it."""
    n, size = write(path, int(mib * 2**20))
    out: dict[str, object] = {count_key: n, "file_mib": round(size / 2**20, 1)}
    for mode in ("baseline", "stream"):
        out[mode] = measure(mode, path)
        print(label, mode, out[mode], flush=True)
    return out


def compare_gzip(tmp: Path, n_bytes: int) -> dict[str, object]:
    """Stream one JSON Lines dump plain, gzipped (level 6) and zstd-compressed (level 3), taking
    turns, best of 2 each."""
    import gzip
    import shutil

    import zstandard

    plain, packed, zst = tmp / "cmp.jsonl", tmp / "cmp.jsonl.gz", tmp / "cmp.jsonl.zst"
    n, size = write_jsonl(plain, n_bytes, seed=1)
    with open(plain, "rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    with open(plain, "rb") as src, open(zst, "wb") as dst:
        zstandard.ZstdCompressor(level=3).copy_stream(src, dst)
    files = {"plain": plain, "gzip": packed, "zstd": zst}
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in files}
    for _ in range(2):
        for name, path in files.items():
            runs[name].append(measure("stream", path))
            print("jsonl_gz", name, runs[name][-1], flush=True)
    best = {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}
    base = max(float(best["plain"]["seconds"]), 1e-9)  # type: ignore[arg-type]
    return {
        "records": n,
        "file_mib": round(size / 2**20, 1),
        "gzip_mib": round(packed.stat().st_size / 2**20, 1),
        "zstd_mib": round(zst.stat().st_size / 2**20, 1),
        **best,
        "gzip_seconds_over_plain": round(float(best["gzip"]["seconds"]) / base, 2),  # type: ignore[arg-type]
        "zstd_seconds_over_plain": round(float(best["zstd"]["seconds"]) / base, 2),  # type: ignore[arg-type]
    }


def _best_of_two(label: str, files: dict[str, Path]) -> dict[str, dict[str, object]]:
    """Stream each file twice, taking turns; the faster run of each."""
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in files}
    for _ in range(2):
        for name, path in files.items():
            runs[name].append(measure("stream", path))
            print(label, name, runs[name][-1], flush=True)
    return {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}


def compare_bundles(tmp: Path, n_files: int, jsonl_bytes: int) -> dict[str, object]:
    """Articles as a folder of files against a zip and a tar.gz of it; a JSON Lines dump gzipped
    against the same dump as the one member of a tar.gz."""
    import gzip
    import shutil
    import tarfile
    import zipfile

    out: dict[str, object] = {}
    if n_files > 0:
        rng = random.Random(3)
        pool = [" ".join(rng.choice(_WORDS) for _ in range(80)).capitalize() + "." for _ in range(2000)]
        folder = tmp / "articles"
        for k in range(n_files):
            sub = folder / f"{k // 1000:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"a{k:06d}.txt").write_text(
                "\n".join(rng.choice(pool) for _ in range(8)), encoding="utf-8"
            )
        with zipfile.ZipFile(tmp / "articles.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*.txt")):
                zf.write(path, path.relative_to(folder).as_posix())
        with tarfile.open(tmp / "articles.tar.gz", "w:gz") as tf:
            tf.add(folder, arcname=".")
        files = {"folder": folder, "zip": tmp / "articles.zip", "tar_gz": tmp / "articles.tar.gz"}
        best = _best_of_two("bundle files", files)
        base = max(float(best["folder"]["seconds"]), 1e-9)  # type: ignore[arg-type]
        out["files"] = {
            "articles": n_files,
            "folder_mib": round(sum(p.stat().st_size for p in folder.rglob("*.txt")) / 2**20, 1),
            "zip_mib": round(files["zip"].stat().st_size / 2**20, 1),
            "tar_gz_mib": round(files["tar_gz"].stat().st_size / 2**20, 1),
            **best,
            "zip_seconds_over_folder": round(float(best["zip"]["seconds"]) / base, 2),  # type: ignore[arg-type]
            "tar_gz_seconds_over_folder": round(float(best["tar_gz"]["seconds"]) / base, 2),  # type: ignore[arg-type]
        }
    if jsonl_bytes > 0:
        plain = tmp / "shard.jsonl"
        n, size = write_jsonl(plain, jsonl_bytes, seed=4)
        with open(plain, "rb") as src, gzip.open(tmp / "shard.jsonl.gz", "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        with tarfile.open(tmp / "shard.tar.gz", "w:gz") as tf:
            tf.add(plain, arcname="shard.jsonl")
        plain.unlink()
        files = {"jsonl_gz": tmp / "shard.jsonl.gz", "tar_gz": tmp / "shard.tar.gz"}
        best = _best_of_two("bundle jsonl", files)
        base = max(float(best["jsonl_gz"]["seconds"]), 1e-9)  # type: ignore[arg-type]
        out["jsonl_member"] = {
            "records": n,
            "file_mib": round(size / 2**20, 1),
            **best,
            "tar_gz_seconds_over_jsonl_gz": round(float(best["tar_gz"]["seconds"]) / base, 2),  # type: ignore[arg-type]
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0, help="size of the generated JSON Lines file")
    parser.add_argument("--warc-mb", type=float, default=100.0, help="size of the generated WARC (0: none)")
    parser.add_argument(
        "--gz-mb", type=float, default=0.0, help="size of the gzipped JSON Lines comparison (0: none)"
    )
    parser.add_argument("--rss-mb", type=float, default=0.0, help="size of the generated RSS feed (0: none)")
    parser.add_argument("--mbox-mb", type=float, default=0.0, help="size of the generated mailbox (0: none)")
    parser.add_argument(
        "--bundle-files", type=int, default=0, help="articles for the bundle comparison (0: none)"
    )
    parser.add_argument(
        "--bundle-jsonl-mb", type=float, default=0.0, help="JSON Lines dump read inside a tar.gz (0: none)"
    )
    parser.add_argument("--out", default="benchmarks/results/memory.json")
    parser.add_argument("--tmp", default=None, help="folder for the generated files (deleted after)")
    args = parser.parse_args()
    out = Path(args.out)
    results: dict[str, object] = json.loads(out.read_text()) if out.is_file() else {}
    results["python"] = sys.version.split()[0]
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        if args.gb > 0:
            path = Path(tmp) / "dump.jsonl"
            t = time.perf_counter()
            n, size = write_jsonl(path, int(args.gb * 2**30))
            jsonl: dict[str, object] = {"records": n, "file_mib": round(size / 2**20, 1)}
            jsonl["generate_seconds"] = round(time.perf_counter() - t, 1)
            for mode in ("baseline", "stream", "read"):
                jsonl[mode] = measure(mode, path)
                print(mode, jsonl[mode], flush=True)
            results["jsonl"] = jsonl
            path.unlink()
        if args.rss_mb > 0:
            results["rss"] = stream_generated("rss", Path(tmp) / "site.rss", write_rss, args.rss_mb, "items")
        if args.mbox_mb > 0:
            results["mbox"] = stream_generated(
                "mbox", Path(tmp) / "desk.mbox", write_mbox, args.mbox_mb, "messages"
            )
        if args.gz_mb > 0:
            results["jsonl_gz"] = compare_gzip(Path(tmp), int(args.gz_mb * 2**20))
        if args.bundle_files > 0 or args.bundle_jsonl_mb > 0:
            bundles = compare_bundles(Path(tmp), args.bundle_files, int(args.bundle_jsonl_mb * 2**20))
            results["bundles"] = {**results.get("bundles", {}), **bundles}  # type: ignore[dict-item]
        if args.warc_mb > 0:
            results["warc_gz"] = stream_generated(
                "warc", Path(tmp) / "crawl.warc.gz", write_warc, args.warc_mb, "records"
            )
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
