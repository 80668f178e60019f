"""warcio vs FastWARC: throughput of reading every response record of a generated WARC.

Writes a gzipped WARC of synthetic news pages (plus image and 404 responses, as a crawl holds)
with warcio, then reads it with both libraries the way :mod:`dedup.warc` does: every ``response``
record's WARC headers, HTTP status and content type, and its whole payload. Best of ``--repeat``
runs each, in this process, so the two numbers are comparable. Results: ``benchmarks/results/warc.json``.

    python -m benchmarks.bench_warc --records 4000
"""

from __future__ import annotations

import argparse
import io
import json
import random
import tempfile
import time
from pathlib import Path

_WORDS = (
    "storm coast power government minister report election market bank rates city council police "
    "river bridge school health hospital weather wind rain forecast vote budget agency court"
).split()


def write_warc(path: Path, n_records: int, *, seed: int = 0, compress: bool = True) -> int:
    """Write ``n_records`` response records (80 % HTML pages, 10 % images, 10 % 404s); returns bytes."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(seed)
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=compress)
        for k in range(n_records):
            kind = rng.random()
            url = f"https://news.example.org/{k:06d}.html"
            if kind < 0.8:
                paras = "".join(
                    "<p>" + " ".join(rng.choice(_WORDS) for _ in range(60)).capitalize() + ".</p>"
                    for _ in range(12)
                )
                head = f"<html><head><title>Story {k}</title></head>"
                body = f"{head}<body><nav>Home</nav>{paras}</body></html>"
                payload, status, ctype = body.encode(), "200 OK", "text/html; charset=utf-8"
            elif kind < 0.9:
                image = bytes(rng.getrandbits(8) for _ in range(4000))
                payload, status, ctype = image, "200 OK", "image/jpeg"
            else:
                payload, status, ctype = b"<html>not found</html>", "404 Not Found", "text/html"
            http = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload), http_headers=http
            )
            writer.write_record(record)
    return path.stat().st_size


def read_warcio(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type != "response":
                continue
            meta = (
                rec.rec_headers.get_header("WARC-Record-ID"),
                rec.rec_headers.get_header("WARC-Target-URI"),
                rec.http_headers.get_statuscode(),
                rec.http_headers.get_header("Content-Type"),
            )
            n += len(rec.content_stream().read()) + 0 * len(meta)
    return n


def read_fastwarc(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    n = 0
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(
            fh, record_types=WarcRecordType.response, parse_http=True, auto_decode="all"
        ):
            meta = (
                rec.record_id,
                rec.headers.get("WARC-Target-URI"),
                rec.http_headers.status_code,
                rec.http_content_type,
            )
            n += len(rec.reader.read()) + 0 * len(meta)
    return n


def extraction_seconds_per_page(n_pages: int = 100) -> float:
    """trafilatura on pages like the benchmark's, for scale: a scan's cost per HTML record once read."""
    from dedup.io.html_text import extract_html

    rng = random.Random(1)
    pages = [
        "<html><body>"
        + "".join("<p>" + " ".join(rng.choice(_WORDS) for _ in range(60)) + ".</p>" for _ in range(12))
        + "</body></html>"
        for _ in range(n_pages)
    ]
    t = time.perf_counter()
    for page in pages:
        extract_html(page)
    return (time.perf_counter() - t) / n_pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/warc.json")
    args = parser.parse_args()
    from importlib.metadata import version

    results: dict[str, object] = {"records": args.records}
    with tempfile.TemporaryDirectory() as tmp:
        for compress in (True, False):
            path = Path(tmp) / ("bench.warc.gz" if compress else "bench.warc")
            size = write_warc(path, args.records, compress=compress)
            row: dict[str, object] = {"file_mib": round(size / 2**20, 2)}
            payload = {}
            for name, fn in (("warcio", read_warcio), ("fastwarc", read_fastwarc)):
                best = float("inf")
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    payload[name] = fn(path)
                    best = min(best, time.perf_counter() - t)
                row[f"{name}_seconds"] = round(best, 3)
                row[f"{name}_mib_per_s"] = round(size / 2**20 / best, 1)
            assert payload["warcio"] == payload["fastwarc"], payload  # both read the same payload bytes
            row["fastwarc_speedup"] = round(row["warcio_seconds"] / row["fastwarc_seconds"], 2)
            results["gzip" if compress else "plain"] = row
    results["versions"] = {"warcio": version("warcio"), "fastwarc": version("fastwarc")}
    results["html_extraction_ms_per_page"] = round(1000 * extraction_seconds_per_page(), 2)
    Path(args.out).write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
