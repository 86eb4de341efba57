"""The simulator's master data: the seed CSVs, customers per comuna, region name lookup."""

from __future__ import annotations

import pytest

from sec_sim.master import load_master, normalize_name


def test_seeds_give_16_regions_346_comunas_and_about_8m_customers() -> None:
    master = load_master()
    assert len(master.regions) == 16
    assert len(master.comunas) == 346
    assert 8_000_000 <= master.national_clientes <= 8_400_000
    assert all(len(c.cut) == 5 and c.cut.isdigit() for c in master.comunas)
    assert [c.idx for c in master.comunas] == list(range(346))


def test_region_customers_are_split_by_population_share() -> None:
    master = load_master()
    for cut, region in master.regions.items():
        comunas = master.comunas_of(cut)
        assert comunas
        assert sum(c.clientes for c in comunas) == region.clientes
        biggest = max(comunas, key=lambda c: c.poblacion)
        smallest = min(comunas, key=lambda c: c.poblacion)
        assert biggest.clientes >= smallest.clientes >= 1


def test_every_comuna_has_companies_whose_shares_sum_to_one() -> None:
    master = load_master()
    for comuna in master.comunas:
        pairs = master.comuna_empresas[comuna.cut]
        assert pairs and abs(sum(s for _, s in pairs) - 1.0) < 1e-9
        assert all(e in master.empresas for e, _ in pairs)


def test_sec_names_keep_the_services_quirks() -> None:
    master = load_master()
    assert master.regions[6].sec_name == "O`Higgins"
    names = {c.sec_name for c in master.comunas}
    assert {"Ñuñoa", "Peñaflor", "Maipu", "Punitagui", "Quillón"} <= names


@pytest.mark.parametrize(
    ("name", "cut"),
    [
        ("Valparaiso", 5),
        ("Valparaíso", 5),
        ("Region de Valparaiso", 5),
        ("Región de Valparaíso", 5),
        ("REGION DE VALPARAISO", 5),
        ("O`Higgins", 6),
        ("O'Higgins", 6),
        ("Región del Libertador General Bernardo O'Higgins", 6),
        ("Biobío", 8),
        ("Region del Biobio", 8),
        ("Metropolitana", 13),
        ("Región Metropolitana de Santiago", 13),
        ("Ñuble", 16),
        ("Nuble", 16),
        ("Aysén", 11),
        ("Los Rios", 14),
        ("La Araucanía", 9),
    ],
)
def test_find_region_accepts_short_and_long_names_with_or_without_accents(
    name: str, cut: int
) -> None:
    region = load_master().find_region(name)
    assert region is not None and region.cut == cut


def test_unknown_region_is_none() -> None:
    assert load_master().find_region("Atlantida") is None
    assert load_master().find_region("") is None


def test_normalize_name() -> None:
    assert normalize_name("  Región  de Ñuble ") == "region de nuble"
    assert normalize_name("O`Higgins") == normalize_name("O'Higgins") == "ohiggins"
