"""Development tools (demo data, benchmarks, the CMRT command-line parser), apart from the product."""
