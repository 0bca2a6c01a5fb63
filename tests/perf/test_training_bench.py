"""The training-step benchmark: the same network with chanconv's and torch's layers, timed in turn."""

import torch

from chanconv.perf import training


def test_notebook_9s_network_has_notebook_9s_layers():
    net = training.SmallCNN()
    assert [tuple(p.shape) for p in net.parameters()] == [(8, 3, 3, 3), (8,), (4, 8, 1, 1), (4,)]
    assert net(torch.randn(2, 3, 10, 10)).shape == (2, 4)


def test_the_twins_start_equal_and_each_row_has_a_ratio():
    case = training.Training("tiny", training.ThreeLayerCNN, (4, 3, 8, 8), 32)
    (ours, twin), _, X, _ = training._pair(case, "cpu")
    torch.testing.assert_close(ours(X), twin(X), rtol=1e-4, atol=1e-5)
    rows = training.run_training("cpu", rounds=1, min_seconds=0, cases=(case,))
    (row,) = rows
    assert row["network"] == "tiny" and row["chanconv_ms"] > 0 and row["torch_ms"] > 0
    assert row["ratio"] == row["ratio_min"] == row["ratio_max"] > 0
