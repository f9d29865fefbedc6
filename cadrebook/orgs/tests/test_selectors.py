"""Reads on the org tree and the checks of its rules (orgs.selectors)."""

from __future__ import annotations

from cadrebook.orgs.selectors import cells_below_minimum


# cells_below_minimum ----------------------------------------------------------------------
def test_cells_with_fewer_than_three_full_members_are_listed(tree):
    units = [tree.G1, tree.K1, tree.K2, tree.GC]
    counts = {tree.K1.pk: 3, tree.K2.pk: 2, tree.G1.pk: 0}
    assert cells_below_minimum(units, counts) == [tree.K2, tree.GC]


def test_the_cell_minimum_comes_from_the_rule_set(alt_tree):
    counts = {alt_tree.B1.pk: 4, alt_tree.B2.pk: 5}
    assert cells_below_minimum([alt_tree.N, alt_tree.B1, alt_tree.B2], counts) == [alt_tree.B1]
