"""Demo data for `make run` and the benchmarks: a realistic register and audit programme, reproducible from
a seed.

- ``suppliers``: the seeding run of the register (``demo_seed``) and its summary;
- ``register_shape``: the shares and weights suppliers are drawn with, and the word lists of names, contacts
  and reasons;
- ``supplier_generator``: the drawing of one supplier with its lifecycle steps, contacts, agreements and
  ratings;
- ``audits``: the audit programme on top of the register (``demo_audits_seed``).
"""
