"""Compound files (OLE2, as Word 97-2003 and Outlook write them) built for tests: no sample file
from elsewhere is needed."""

from __future__ import annotations

import struct

SECTOR = 512
END, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE2 compound file (version 3) holding ``streams`` in the root storage, each padded with
    zeros to at least the 4096 bytes from which a stream lives in regular sectors (so no mini stream
    is needed)."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # the directory's sibling order
    datas = [streams[n].ljust(max(4096, -(-len(streams[n]) // SECTOR) * SECTOR), b"\0") for n in names]
    directory_sectors = -(-(len(names) + 1) * 128 // SECTOR)  # 128 bytes an entry, the root's first
    # sector 0: the FAT, then the directory's sectors, chained
    fat = [FAT_SECTOR] + [k + 2 for k in range(directory_sectors - 1)] + [END]
    starts = []
    for data in datas:
        starts.append(len(fat))
        n = len(data) // SECTOR
        fat += [len(fat) + i + 1 for i in range(n - 1)] + [END]
    assert len(fat) <= SECTOR // 4
    fat += [FREE] * (SECTOR // 4 - len(fat))

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0"
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(encoded), kind, 1, left, right, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    # a chain of siblings: the first name is the root's child, each later one the right sibling
    ids = list(range(1, len(names) + 1))
    directory = entry("Root Entry", 5, NO_STREAM, NO_STREAM, ids[0], END, 0)
    for k, (name, data) in enumerate(zip(names, datas, strict=True)):
        right = ids[k + 1] if k + 1 < len(ids) else NO_STREAM
        directory += entry(name, 2, NO_STREAM, right, NO_STREAM, starts[k], len(data))
    directory = directory.ljust(directory_sectors * SECTOR, b"\0")
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<108I", *([FREE] * 108))
    )
    assert len(header) == SECTOR
    return header + struct.pack(f"<{SECTOR // 4}I", *fat) + directory + b"".join(datas)
