"""Layer analysis on real layer tarballs: overwritten and deleted files are waste."""

import io
import tarfile

from harness.images.layers import largest_paths, overlay, read_layer


def layer(files=(), whiteouts=(), opaque=()) -> io.BytesIO:
    """A real OCI layer tarball: files (path, bytes), whiteout and opaque markers."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, data in files:
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for path in whiteouts:
            folder, _, name = path.rpartition("/")
            archive.addfile(tarfile.TarInfo(f"{folder}/.wh.{name}" if folder else f".wh.{name}"))
        for folder in opaque:
            archive.addfile(tarfile.TarInfo(f"{folder}/.wh..wh..opq"))
        directory = tarfile.TarInfo("opt")
        directory.type = tarfile.DIRTYPE
        archive.addfile(directory)
    buffer.seek(0)
    return buffer


def test_read_layer_sees_files_whiteouts_and_opaque_dirs():
    """Read layer sees files whiteouts and opaque dirs."""
    content = read_layer(layer([("opt/a.bin", b"x" * 10)], ["etc/gone"], ["var/cache"]))
    assert content.files == {"/opt/a.bin": 10}
    assert content.whiteouts == ["/etc/gone"]
    assert content.opaque_dirs == ["/var/cache"]
    assert content.size == 10


def test_read_layer_hands_small_files_to_the_visitor_only():
    """Read layer hands small files to the visitor only."""
    seen = {}
    read_layer(layer([("small", b"abc"), ("big", b"y" * 100)]),
               lambda path, size, data: seen.update({path: (size, data)}), read_limit=10)
    assert seen == {"/small": (3, b"abc"), "/big": (100, None)}


def test_overwritten_and_deleted_files_are_waste():
    """Overwritten and deleted files are waste."""
    layers = [
        read_layer(layer([("var/lib/apt/lists/big", b"L" * 1000), ("etc/conf", b"c" * 50),
                          ("var/cache/apt/pkg.deb", b"D" * 300), ("opt/keep", b"k" * 7)])),
        read_layer(layer([("etc/conf", b"C" * 60)], whiteouts=["var/lib/apt/lists"])),
        read_layer(layer(opaque=["var/cache"])),
    ]
    files, wasted = overlay(layers)
    assert files == {"/etc/conf": 60, "/opt/keep": 7}
    assert sorted((w.path, w.size, w.layer, w.hidden_by) for w in wasted) == [
        ("/etc/conf", 50, 0, 1),
        ("/var/cache/apt/pkg.deb", 300, 0, 2),
        ("/var/lib/apt/lists/big", 1000, 0, 1),
    ]
    assert sum(w.size for w in wasted) == 1350


def test_nothing_hidden_means_no_waste():
    """Nothing hidden means no waste."""
    files, wasted = overlay([read_layer(layer([("a", b"1")])), read_layer(layer([("b", b"22")]))])
    assert files == {"/a": 1, "/b": 2}
    assert not wasted


def test_a_whiteout_does_not_touch_a_sibling_with_the_same_prefix():
    """A whiteout does not touch a sibling with the same prefix."""
    files, wasted = overlay([read_layer(layer([("opt/tool", b"1"), ("opt/toolbox/x", b"22")])),
                             read_layer(layer(whiteouts=["opt/tool"]))])
    assert files == {"/opt/toolbox/x": 2}
    assert [w.path for w in wasted] == ["/opt/tool"]


def test_largest_paths_group_by_depth():
    """Largest paths group by depth."""
    files = {"/opt/venv/lib/torch/a.so": 700, "/opt/venv/lib/torch/b.py": 50,
             "/opt/venv/lib/numpy/c.so": 200, "/usr/bin/python3": 100}
    assert largest_paths(files, depth=4, top=2) == [("/opt/venv/lib/torch", 750),
                                                    ("/opt/venv/lib/numpy", 200)]
