"""Stands in for Kaggle's `kaggle` package in tests: no network; records what the notebook asks of it."""
