"""Candidate search: exact top-k, approximate (faiss HNSW), and the cheap first tier."""
