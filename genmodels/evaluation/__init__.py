"""Measuring a model: multi-scale SWD, near-copy detection (originality) and the quality report."""
