"""The grids make bench times: the fit grid, a validation grid the fit never saw, real networks' layers."""

from chanconv.perf import grids


def _key(s):
    return (s.c_i, s.c_o, s.kernel, s.n, s.batch, s.stride, s.padding, s.dilation, s.groups)


def test_the_validation_grid_shares_no_layer_with_the_others():
    fit, validation, networks = (set(map(_key, g())) for g in (grids.fit_grid, grids.validation_grid,
                                                               grids.network_grid))
    assert not fit & validation and not validation & networks
    # one real layer is in the fit grid too (ResNet's 3 × 3 stride-2 64 → 128 on 56 × 56, batch 1)
    assert fit & networks == {(64, 128, (3, 3), 56, 1, 2, 1, 1, 1)}


def test_the_validation_grid_covers_what_the_fit_grid_lacks():
    v = grids.validation_grid()
    assert len(v) >= 12
    assert any(max(s.kernel) >= 9 for s in v) and any(max(s.kernel) == 5 for s in v)      # large kernels
    assert {24, 48, 144} <= {c for s in v for c in (s.c_i, s.c_o)}                          # odd channel counts
    assert any(1 < s.batch < 8 for s in v)                                                  # small batches
    assert any(s.groups > 1 and s.groups < s.c_i for s in v) and any(s.groups == s.c_i > 1 for s in v)


def test_network_layers_at_batch_1_and_8_with_non_square_kernels():
    n = grids.network_grid()
    assert {s.batch for s in n} == {1, 8} and len(n) == 2 * len(grids.NETWORK_LAYERS)
    assert any(s.kernel == (1, 7) for s in n) and any(s.kernel == (7, 1) for s in n)
    assert any(s.groups == s.c_i > 1 for s in n) and any(1 < s.groups < s.c_i for s in n)
    for s in n:  # every layer is valid, and its label names its network
        assert s.cost().macs == s.layer.macs and s.label.split(":")[0] == s.family
    assert len({s.label for s in n}) == len(n)
