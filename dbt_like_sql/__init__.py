"""The project's SQL, shipped as package data: ``contracts/`` (the silver DDL, one table per
file), ``models/`` (the gold queries, SELECTs except the ``recent_30d`` view, which name their
inputs with ``{{ ref('table') }}``) and ``migrations/`` (``supabase/``: the dashboard's schema;
``silver/``: renames that bring an older silver warehouse to the current contracts). No Python
here: :mod:`sec_assets.sql_files` locates the files, in a checkout as in an installed wheel."""
