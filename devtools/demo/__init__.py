"""Demo data for `make run` and the benchmarks: a realistic register (``suppliers``) and audit programme
(``audits``), reproducible from a seed."""
