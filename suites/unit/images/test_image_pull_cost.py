"""Pull cost arithmetic: a runner downloads only the blobs whose digests it does not hold."""

from harness.images.registry import Blob, RemoteImage, update_bytes


def _image(config: str, *layers: tuple[str, int]) -> RemoteImage:
    return RemoteImage("r/x:t", Blob(config, 7), tuple(Blob(d, s) for d, s in layers))


def test_an_empty_runner_pulls_everything():
    image = _image("c1", ("os", 30), ("venv", 900), ("code", 2))
    assert image.compressed == 939
    assert update_bytes(None, image) == (939, 3)


def test_a_code_change_pulls_only_the_new_code_layer_and_config():
    old = _image("c1", ("os", 30), ("venv", 900), ("code", 2))
    new = _image("c2", ("os", 30), ("venv", 900), ("code-2", 3))
    assert update_bytes(old, new) == (3 + 7, 1)


def test_the_same_image_costs_nothing():
    old = _image("c1", ("os", 30), ("code", 2))
    assert update_bytes(old, old) == (0, 0)
