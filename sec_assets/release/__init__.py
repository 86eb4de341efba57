"""Versioned research releases: a bundle of the golden Parquet of both grains, the research
tables, the codebook, the figures drawn from them and a manifest whose version is the hash of
what it holds (:mod:`.bundle`, :mod:`.manifest`; ``docs/release.md``)."""
