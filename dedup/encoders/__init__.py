"""Sentence encoders: the protocol, ONNX Runtime and torch encoders, and the embedding cache."""
