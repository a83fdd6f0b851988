"""The model folder on disk: config.json + safetensors weights, model cards, model zips, and where the
built-in models and sample pictures live."""
