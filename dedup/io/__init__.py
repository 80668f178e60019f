"""Reading inputs and writing outputs.

Walking the inputs (``walk``), reading them into documents (``read``, ``read_records``), bytes to
text (``decode``, ``html_text``; broadcast captions in ``subtitles`` and ``scc``), record formats
(``formats``, ``warc``), digests (``hashing``), atomic writes (``atomic``), folder locks
(``locking``), and the scan result files, written and read back (``scan_files``).
"""
