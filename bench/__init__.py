"""`make bench`: load, scaling and page-weight benchmarks (see docs/benchmarks.md)."""
