"""How fast it runs: the machine's limits, the roofline, ``make bench``. Imports only ``core``.

    roofline   the theoretical peak read from the CPU, the attainable peak, memory bandwidth, intensity
    figures    one colour per method, and the roofline figure
    bench      ``python -m chanconv.perf.bench``: every method against torch.nn.functional.conv2d
"""
