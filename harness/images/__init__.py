"""Container images: build the slim base and debug images, inspect, budget, scan, smoke, push.

The docker SDK is an optional extra (`pip install 'torch-regression-harness[images]'`); it is
imported only by the modules that talk to the engine, so configuration, budgets and layer
analysis work without it.
"""
