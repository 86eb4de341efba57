"""The project's SQL, shipped as package data: ``contracts/`` (the silver DDL), ``models/`` (the
gold SELECTs, which name their inputs with ``{{ ref('table') }}``) and ``migrations/`` (the
Supabase schema). No Python here: :mod:`sec_assets.sql_files` locates the files, in a checkout
as in an installed wheel."""
