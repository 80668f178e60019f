"""Reading inputs and writing outputs.

Walking folders, decoding files and record formats, atomic writes, locks, and the scan result files.
"""
